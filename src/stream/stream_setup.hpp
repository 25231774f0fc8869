#pragma once
// What every inbound stream (c2s, component) sets up alike when its connection is accepted:
// who the peer is, for the log, and the restricted XML limits it starts with.

#include "core/config.hpp"
#include "net/asio.hpp"
#include "xml/stream_parser.hpp"

#include <string>

namespace starling {

/// "address:port" of the connection's peer, "?" when the socket cannot say; `ip`, when given,
/// gets the address alone.
inline std::string peer_of(asio::ip::tcp::socket& socket, std::string* ip = nullptr) {
    error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    const std::string address = ec ? "?" : endpoint.address().to_string();
    if (ip) *ip = address;
    return ec ? "?" : address + ":" + std::to_string(endpoint.port());
}

/// The parser limits of a stream that has not authenticated yet (DESIGN.md, security defaults);
/// the stream raises max_stanza_bytes and max_elements to limits.stanza_bytes and
/// limits.stanza_elements once it has.
inline xml::ParserLimits preauth_parser_limits(const config::Config& config) {
    xml::ParserLimits limits;
    limits.max_stanza_bytes = config.limits.stanza_bytes_preauth;
    limits.max_depth = config.limits.max_depth;
    limits.max_attributes = config.limits.max_attributes;
    limits.max_elements = config.limits.stanza_elements_preauth;
    return limits;
}

}  // namespace starling
