#pragma once
// The configuration of a Server that unit tests build in process: two hosts, no listeners, the
// SQLite store and certificate in the directory of the config file (a TempDir), the source
// tree's schemas. The server is not started unless a test starts it (and writes the
// certificate first).

#include <string>

namespace starling::test {

inline std::string in_process_config() {
    return std::string(R"(hosts:
  - example.test
  - other.test
listen: []
tls:
  certificate: server.crt
  key: server.key
storage:
  driver: sqlite
  path: starling.db
schema_path: )") +
           STARLING_SRCDIR + R"(/schemas
control_socket: control.sock
threads: 1
)";
}

}  // namespace starling::test
