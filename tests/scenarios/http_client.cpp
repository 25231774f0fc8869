#include "http_client.hpp"

#include "scenario.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cctype>

namespace starling::scenarios {

namespace http = boost::beast::http;
using clock = std::chrono::steady_clock;

std::string http_reply::header(const std::string& name) const {
    for (const auto& [key, value] : headers)
        if (key == name) return value;
    return "";
}

std::string http_reply::to_string() const {
    std::string out = "HTTP " + std::to_string(status) + "\n";
    for (const auto& [key, value] : headers) out += key + ": " + value + "\n";
    return out + "\n" + body;
}

http_reply http_client::request(const std::string& method, const std::string& target,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& body, std::chrono::milliseconds timeout) {
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: example.test\r\n";
    for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
    if (!body.empty()) text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n" + body;
    send(text);
    auto reply = next_reply(timeout, method == "HEAD");
    require(reply.has_value(), method + " " + target + ": no response" +
                                   (stream_.ended() ? " (connection closed)" : ""));
    return *reply;
}

std::optional<http_reply> http_client::next_reply(std::chrono::milliseconds timeout, bool head) {
    const auto deadline = clock::now() + timeout;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(head);
    for (;;) {
        boost::system::error_code ec;
        while (!pending_.empty() && !parser.is_done()) {
            const auto used = parser.put(boost::asio::buffer(pending_), ec);
            // Even when it needs more, the parser may have taken some (a body's first part).
            pending_.erase(0, used);
            if (ec == http::error::need_more) break;
            require(!ec, "the server sent a malformed HTTP response (" + ec.message() +
                             "): " + pending_);
            if (used == 0) break;
        }
        if (parser.is_done()) break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto bytes = stream_.read_bytes(left);
        if (!bytes) {
            // A body that runs to the end of the connection ends there.
            if (stream_.ended() && parser.is_header_done()) {
                boost::system::error_code eof_ec;
                parser.put_eof(eof_ec);
                if (!eof_ec && parser.is_done()) break;
            }
            return std::nullopt;
        }
        pending_ += *bytes;
    }
    auto message = parser.release();
    http_reply reply;
    reply.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
        std::string name(field.name_string().data(), field.name_string().size());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        reply.headers.emplace_back(name, std::string(field.value().data(), field.value().size()));
    }
    reply.body = std::move(message.body());
    reply.keep_alive = message.keep_alive();
    return reply;
}

bool http_client::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (!stream_.ended()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - clock::now());
        if (left.count() <= 0) return false;
        auto bytes = stream_.read_bytes(left);
        if (bytes && !bytes->empty())
            throw scenario_failure("expected the server to close the connection, it sent: " +
                                   *bytes);
    }
    return pending_.empty();
}

}  // namespace starling::scenarios
