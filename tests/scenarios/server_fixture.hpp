#pragma once

#include "certificate.hpp"
#include "postgres_database.hpp"
#include "process.hpp"
#include "scenario.hpp"
#include "temp_dir.hpp"

#include <sys/types.h>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace starling::scenarios {

/// A `listen:` entry for server_fixture::extra_listen: a listener of `type` on 127.0.0.1:`port`.
inline std::string listen_entry(const std::string& type, std::uint16_t port) {
    return "  - {type: " + type + ", address: 127.0.0.1, port: " + std::to_string(port) + "}\n";
}

/// The virtual hosts every fixture serves; certificates are made for both (other.test via SNI).
inline constexpr const char* main_host = "example.test";
inline constexpr const char* other_host = "other.test";

/// A live starlingd on loopback: its own directory, certificates, free ports, config, database
/// and accounts. The server is started by `start` and stopped by PID, never by name.
///
/// A crash is a failure: whenever the fixture reaps the server (`stop`, `kill`, `running`, the
/// destructor), it checks how it ended against what the fixture asked of it (exit 0 after
/// SIGTERM, death by SIGKILL after `kill`; nothing else, and no exit at all unasked), and reads
/// its log and what it wrote to stdout and stderr for a crash or sanitizer report. What it finds
/// is recorded with report_server_failure (server_failures.hpp), which fails the scenario once it
/// returns. The same holds for the starlingd and starlingctl commands it runs.
/// The two domains a fixture serves, and who signs their certificates.
struct fixture_domains {
    std::string main = main_host;
    std::string other = other_host;
    /// Signs the hosts' certificates when given (servers that federate check each other's);
    /// otherwise they are self-signed.
    const certificate_files* ca = nullptr;
};

class server_fixture {
public:
    explicit server_fixture(const runner_options& options, const fixture_domains& domains = {});
    ~server_fixture();
    server_fixture(const server_fixture&) = delete;
    server_fixture& operator=(const server_fixture&) = delete;

    /// Creates an account with `starlingctl adduser`, which must exit 0.
    void add_account(const std::string& jid, const std::string& password);

    /// Starts starlingd and waits (bounded) until it has logged "starlingd ready" (it takes
    /// signals from then on) and both c2s ports accept connections.
    void start();

    /// SIGTERM, then SIGKILL after `grace`; returns the wait status (killed means it failed).
    /// Anything but exit 0, or a crash report in the output, is recorded as a failure.
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

    /// SIGKILL at once (a crash), then reaps the process; returns the wait status.
    int kill();

    /// Sends `signal_number` to the server process. After SIGTERM or SIGINT the server may exit
    /// (with 0), after SIGKILL die of it; any other signal must leave it running.
    void send_signal(int signal_number);

    /// True while the server process has not exited. Reaps it once it has (an exit nobody asked
    /// for is recorded as a failure).
    bool running();

    /// The server's process id, for a test that signals it behind the fixture's back (the
    /// runner's self-tests crash it on purpose).
    pid_t pid() const;

    /// The file starlingd's stdout and stderr go to (where sanitizers write their reports).
    std::string output_path() const { return dir_.file("starlingd.out"); }

    /// The size of starlingd's log file now: a mark for wait_for_log.
    std::size_t log_mark() const;

    /// Waits (bounded) until a line logged after `mark` contains `text`; fails the scenario with
    /// what was logged since otherwise. For what the server does on its own time and shows
    /// nowhere but in its log (a reload, a session it hibernated or ended). Only lines at level
    /// info and above are written at once.
    void wait_for_log(const std::string& text, std::size_t mark,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    /// Rewrites the config file from the settings below (used before start and for SIGHUP).
    void write_config();

    /// Replaces the config file with `yaml` verbatim (for invalid configs).
    void write_config_text(const std::string& yaml);

    std::string config_text() const;

    /// Runs `starlingctl --config FILE args...` with `input` on its standard input.
    split_result ctl(const std::vector<std::string>& args, const std::string& input = "") const;

    /// Runs `starlingd --config FILE args...` to completion (for start-up failures and
    /// --check-config), killing it after `timeout`.
    split_result run_starlingd(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout) const;

    /// The 1-based line of the config file that first contains `text`, 0 if none does.
    int config_line_of(const std::string& text) const;

    /// starlingd's log file followed by what it wrote to stdout and stderr.
    std::string log_text() const;

    std::uint16_t c2s_port() const { return c2s_port_; }
    std::uint16_t c2s_tls_port() const { return c2s_tls_port_; }
    const certificate_files& main_certificate() const { return main_certificate_; }
    const certificate_files& other_certificate() const { return other_certificate_; }
    const std::string& config_path() const { return config_path_; }
    std::string control_socket_path() const { return dir_.file("ctl.sock"); }
    /// The SQLite database file (with the sqlite driver), for tests that read what was stored.
    std::string sqlite_path() const { return dir_.file("db.sqlite"); }
    /// The conninfo of the scenario's own PostgreSQL database, "" with the sqlite driver.
    std::string postgres_conninfo() const { return database_ ? database_->conninfo() : ""; }

    /// Settings written into the config; change them and call write_config. The log level must
    /// keep info lines (debug or info): start() and wait_for_log read them.
    std::string log_level = "debug";
    /// The value of `modules:`, a flow list or a block list starting on the next line.
    std::string modules = "[disco, ping, version, time]";
    /// Further listeners appended verbatim to `listen:` (e.g. "  - {type: component, ...}\n").
    std::string extra_listen;
    /// Further top-level settings appended verbatim (e.g. "limits: {preauth_timeout: 2s}\n").
    std::string extra_config;

private:
    std::string storage_yaml() const;
    std::string tail_of_log() const;
    /// What starlingd logged after `mark` (a log_mark).
    std::string log_since(std::size_t mark) const;
    /// Judges how the reaped server ended against what was asked of it, then reads its output.
    void reaped(int status);
    /// Records a crash report written since the last look into the log or starlingd.out.
    void check_output();
    /// The end of every scenario: SIGTERM, as an operator would, so that a crash at shutdown
    /// or a leak report at exit shows; SIGKILL if it does not exit in time.
    void shut_down_at_teardown();

    runner_options options_;
    fixture_domains domains_;
    temp_dir dir_;
    std::unique_ptr<postgres_database> database_;
    certificate_files main_certificate_;
    certificate_files other_certificate_;
    std::uint16_t c2s_port_;
    std::uint16_t c2s_tls_port_;
    std::string config_path_;
    std::optional<pid_t> pid_;
    bool asked_to_exit_ = false;   // SIGTERM or SIGINT sent: exit 0 is expected
    bool asked_to_die_ = false;    // SIGKILL sent: death by it is expected
    std::size_t log_checked_ = 0;  // how much of starlingd.log was read for crash reports
    std::size_t out_checked_ = 0;  // the same for starlingd.out
};

}  // namespace starling::scenarios
