#pragma once

#include "raw_stream.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace starling::scenarios {

struct http_reply {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
    std::string body;
    bool keep_alive = false;

    /// The first value of header `name` (lowercase), "" when absent.
    std::string header(const std::string& name) const;
    std::string to_string() const;
};

/// An HTTP/1.1 client connection to 127.0.0.1 on a raw_stream (plain, or TLS with SNI), for
/// scenarios that check exactly what the server answers, including to requests no library
/// would send. Responses are parsed by Beast's parser.
class http_client {
public:
    explicit http_client(std::uint16_t port) : stream_(port) {}

    void start_tls(const std::string& server_name) { stream_.start_tls(server_name); }
    raw_stream& stream() { return stream_; }

    void send(std::string_view bytes) { stream_.send(bytes); }
    /// Sends `method target` with Host, the given headers and body (Content-Length added when
    /// there is one), and requires a response within `timeout`.
    http_reply request(const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       const std::string& body = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// The next response; nothing on timeout or when the connection ended first. `head`: the
    /// response is to a HEAD request (it has no body whatever its Content-Length says).
    std::optional<http_reply> next_reply(std::chrono::milliseconds timeout, bool head = false);
    /// True if the server closes the connection within `timeout`; bytes it sends first fail.
    bool wait_closed(std::chrono::milliseconds timeout);

private:
    raw_stream stream_;
    std::string pending_;  // bytes read past the last response
};

}  // namespace starling::scenarios
