#pragma once

#include "raw_stream.hpp"

#include <cstdint>
#include <string>

namespace starling::scenarios {

/// The opening <stream:stream> a client sends, addressed to `to`.
std::string stream_header(const std::string& to);

/// The defined condition inside a <stream:error/> or a SASL <failure/> (its first child that is
/// not <text/>), "" if there is none.
std::string error_condition(const xml_element& error);

/// Client-side stream negotiation over a raw_stream, one step at a time, so a scenario can stop
/// or misbehave at any step and can force an exact SASL mechanism.
class raw_session {
public:
    enum class transport { plain, direct_tls };

    /// `receive_buffer`: as for raw_stream.
    explicit raw_session(std::uint16_t port, transport mode = transport::plain,
                         const std::string& server_name = "example.test", int receive_buffer = 0);

    raw_stream& stream() { return stream_; }

    /// Sends a stream header to `to`, waits for the server's header and features.
    const xml_element& open(const std::string& to = "example.test");
    /// <starttls/>, <proceed/>, TLS handshake with SNI, then a fresh stream.
    void starttls();
    /// The features of the current stream.
    const xml_element& features() const { return features_; }
    /// True if the current features offer SASL `mechanism`.
    bool offers_mechanism(const std::string& mechanism) const;

    /// Runs SASL `mechanism` (PLAIN or SCRAM-SHA-*[-PLUS]) and returns the server's final
    /// <success/> or <failure/>. For -PLUS, `binding_type` is tls-exporter or
    /// tls-server-end-point. After a verified success the stream is restarted and reopened.
    xml_element authenticate(const std::string& mechanism, const std::string& username,
                             const std::string& password, const std::string& binding_type = "");

    /// Binds `resource` and returns the full JID the server assigned.
    std::string bind(const std::string& resource);

    /// STARTTLS (unless direct TLS), authenticate, bind; fails the scenario on any refusal.
    std::string login(const std::string& mechanism, const std::string& username,
                      const std::string& password, const std::string& resource);

    /// Waits for a <stream:error/>, requires it and then the end of the stream; returns the
    /// defined condition.
    std::string expect_stream_error(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// The channel binding data of this connection's TLS session for `binding_type`
    /// (tls-exporter or tls-server-end-point), as a -PLUS client computes it.
    std::string channel_binding_data(const std::string& binding_type) const;

private:
    raw_stream stream_;
    std::string to_ = "example.test";
    xml_element features_;
};

}  // namespace starling::scenarios
