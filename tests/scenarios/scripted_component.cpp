#include "scripted_component.hpp"

#include "free_port.hpp"
#include "raw_session.hpp"
#include "xmpp_names.hpp"

#include <openssl/evp.h>

#include <thread>

namespace starling::scenarios {

std::uint16_t add_component_listener(server_fixture& server, const std::string& domain,
                                     const std::string& secret) {
    const std::uint16_t port = free_loopback_port();
    server.extra_listen += listen_entry("component", port);
    server.extra_config += "components:\n  " + domain + ":\n    secret: \"" + secret + "\"\n";
    server.write_config();
    return port;
}

std::string component_handshake(const std::string& stream_id, const std::string& secret) {
    const std::string input = stream_id + secret;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    require(EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr) == 1,
            "SHA-1 failed");
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 15];
    }
    return out;
}

scripted_component::scripted_component(std::uint16_t port) {
    // The server binds its listeners one after another; the component one may open a moment
    // after the c2s ports the fixture waited for.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
        try {
            stream_.emplace(port);
            return;
        } catch (const scenario_failure&) {
            if (std::chrono::steady_clock::now() >= deadline) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

std::string scripted_component::open(const std::string& domain) {
    stream_->send(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='" +
        domain + "'>");
    const xml_element& header = stream_->expect_header();
    require(header.name == "stream" && header.ns == ns::streams,
            "expected a stream header, got " + header.to_string());
    return header.attribute("id");
}

void scripted_component::connect(const std::string& domain, const std::string& secret) {
    const std::string id = open(domain);
    require(!id.empty(), "the server's stream header has no id");
    require(stream_->reader().header()->attribute("from") == domain,
            "the server's header is not from " + domain + ": " +
                stream_->reader().header()->to_string());
    send("<handshake>" + component_handshake(id, secret) + "</handshake>");
    const auto reply = stream_->expect_element("handshake", "jabber:component:accept");
    require(reply.children.empty() && reply.text.empty(),
            "expected an empty <handshake/>, got " + reply.to_string());
}

std::optional<xml_element> scripted_component::next(std::chrono::milliseconds timeout) {
    return stream_->next_element(timeout);
}

xml_element scripted_component::expect(const std::string& name, std::chrono::milliseconds timeout) {
    return stream_->expect_element(name, "jabber:component:accept", timeout);
}

void scripted_component::expect_nothing(std::chrono::milliseconds quiet, const std::string& what) {
    stream_->expect_silence(quiet, what);
}

std::string scripted_component::expect_stream_error() {
    auto error = stream_->next_element(std::chrono::seconds(5));
    require(error.has_value(),
            "expected a stream error, got " +
                std::string(stream_->reader().closed() ? "end of stream" : "nothing"));
    require(error->name == "error" && error->ns == ns::streams,
            "expected a stream error, got " + error->to_string());
    const std::string condition = error_condition(*error);
    require(error->child(condition, ns::stream_errors) != nullptr,
            "stream error condition not in the streams namespace: " + error->to_string());
    require(stream_->wait_closed(),
            "the server did not close the stream after <" + condition + "/>");
    return condition;
}

}  // namespace starling::scenarios
