#pragma once
// An external component (XEP-0114, jabber:component:accept) scripted by a scenario over a raw
// socket: it opens the stream, computes the handshake itself (SHA-1 from OpenSSL), and then reads
// and writes stanzas as literal XML, so a scenario can play an app server or a misbehaving
// component.

#include "raw_stream.hpp"
#include "server_fixture.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace starling::scenarios {

/// Adds a component listener on a free loopback port and `domain` with `secret` to the fixture's
/// configuration and rewrites it; returns the port. Call before `server.start()`, after any other
/// change to `extra_config` (this appends to it).
std::uint16_t add_component_listener(server_fixture& server, const std::string& domain,
                                     const std::string& secret);

/// Lowercase hex SHA-1 of `stream_id` + `secret`: the XEP-0114 handshake.
std::string component_handshake(const std::string& stream_id, const std::string& secret);

class scripted_component {
public:
    /// Connects to 127.0.0.1:`port` (retrying for up to 5 s while the listener opens).
    explicit scripted_component(std::uint16_t port);

    raw_stream& stream() { return *stream_; }

    /// Sends the stream header naming `domain`, waits for the server's header; returns its id.
    std::string open(const std::string& domain);
    /// open(), the handshake with `secret`, and the server's empty <handshake/>.
    void connect(const std::string& domain, const std::string& secret);

    /// Sends XML text as it is.
    void send(const std::string& xml) { stream_->send(xml); }
    /// The next stanza (or other element), nothing on timeout or end of stream.
    std::optional<xml_element> next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// The next element, which must be a `name` stanza in jabber:component:accept.
    xml_element expect(const std::string& name,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Requires that nothing arrives for `quiet` and that the stream is still open after it.
    void expect_nothing(std::chrono::milliseconds quiet, const std::string& what);
    /// Requires a stream error and the end of the stream; returns the defined condition.
    std::string expect_stream_error();

private:
    std::optional<raw_stream> stream_;
};

}  // namespace starling::scenarios
