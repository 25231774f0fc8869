#pragma once
// A WebSocket client (Beast) to 127.0.0.1, plain or TLS with SNI, for the RFC 7395 scenarios:
// it speaks the handshake and the frames a browser would, and hands back each message the
// server sends, parsed on its own (a message must be a document of its own), so scenarios assert
// on structure. Pings from the server are answered, as browsers do, and counted.

#include "xml_element.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace starling::scenarios {

class websocket_client {
public:
    struct settings {
        bool tls = true;
        std::string path = "/xmpp-websocket";
        std::string protocol = "xmpp";  // offered in Sec-WebSocket-Protocol; "" offers none
        std::string server_name = "example.test";
        /// > 0: SO_RCVBUF before connecting, so that a client that stops reading makes the
        /// server's writes block after a few KB.
        int receive_buffer = 0;
    };

    /// Connects and completes the opening handshake; fails the scenario otherwise.
    websocket_client(std::uint16_t port, settings how);
    ~websocket_client();
    websocket_client(const websocket_client&) = delete;
    websocket_client& operator=(const websocket_client&) = delete;

    /// The subprotocol the server's 101 named.
    const std::string& accepted_protocol() const { return accepted_protocol_; }

    /// Sends one text message.
    void send(std::string_view text);
    /// The next message's text; nothing on timeout or once the connection ended.
    std::optional<std::string> next_message(std::chrono::milliseconds timeout);
    /// The next message, which must be one XML document, parsed.
    xml_element next_element(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// The next message must be `name` in `ns`.
    xml_element expect(const std::string& name, const std::string& ns,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// True once the server ended the WebSocket (its close frame, or the connection).
    bool closed() const { return closed_; }
    /// The close code of the server's close frame (RFC 6455 §7.4), 0 without one.
    int close_code() const { return close_code_; }
    /// Waits until the server ends the WebSocket, skipping messages; true if it did in time.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Pings received from the server so far.
    int pings() const { return pings_; }
    /// Drops the connection without a close frame (a network failure, as the server sees it).
    void drop();

    /// The XMPP steps of RFC 7395 up to a bound resource: <open/>, SASL PLAIN, <open/> again,
    /// bind. Returns the full JID.
    std::string login(const std::string& jid, const std::string& password,
                      const std::string& resource = "web");

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::string accepted_protocol_;
    bool closed_ = false;
    int close_code_ = 0;
    int pings_ = 0;
};

}  // namespace starling::scenarios
