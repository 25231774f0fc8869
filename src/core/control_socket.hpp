#pragma once
// The UNIX socket starlingctl talks to. Only its owner may connect (mode 0600). One request per
// connection: the command words and arguments separated by U+001F, ending in a newline; the
// answer is the exit status on a line of its own, then the output.

#include "net/asio.hpp"

#include <string>

namespace starling {

class Server;

class ControlSocket {
public:
    ControlSocket(asio::io_context& io, Server& server, std::string path);
    ~ControlSocket();
    void close();

private:
    void do_accept();

    Server& server_;
    std::string path_;
    asio::local::stream_protocol::acceptor acceptor_;
};

/// The client side, for starlingctl: sends one request and returns {status, output}; throws
/// std::system_error when the socket cannot be reached.
std::pair<int, std::string> control_request(const std::string& path, const std::vector<std::string>& words);

inline constexpr char control_separator = '\x1f';

}  // namespace starling
