#pragma once
// Scripted peer servers for the s2s scenarios, on raw streams: `scripted_server` opens a stream
// to the server under test (its incoming side), `scripted_receiving_server` takes the stream the
// server under test opens to remote.test (its outgoing side). Each step is one call, so a
// scenario can send what no real server would.

#include "free_port.hpp"
#include "loopback_listener.hpp"
#include "raw_session.hpp"
#include "raw_stream.hpp"
#include "server_fixture.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace starling::scenarios {

inline constexpr const char* remote_domain = "remote.test";

// A server's stream header, from `from` to `to`.
inline std::string server_header(const std::string& to, const std::string& from) {
    return "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' "
           "to='" +
           to + "' from='" + from + "' version='1.0'>";
}

// The test CA, a certificate it signed for remote.test, and a listener that trusts the CA.
struct s2s_setup {
    temp_dir pki;
    certificate_files ca = make_test_ca(pki.path());
    certificate_files remote = make_signed_certificate(pki.path(), ca, remote_domain);
    std::uint16_t port = free_loopback_port();

    /// `settings`: more of the `s2s` section, as ", key: value".
    explicit s2s_setup(server_fixture& server, const std::string& settings = "") {
        server.extra_listen += listen_entry("s2s", port);
        server.extra_config += "s2s: {ca_file: \"" + ca.certificate + "\"" + settings + "}\n";
        server.write_config();
    }
};

// The peer server's side of a stream, one step at a time.
class scripted_server {
public:
    explicit scripted_server(std::uint16_t port) : stream_(port) {}

    raw_stream& stream() { return stream_; }

    /// Sends a header from remote.test to `to`; returns the features that answer it.
    xml_element open(const std::string& to = main_host) {
        stream_.send(server_header(to, remote_domain));
        const auto& header = stream_.expect_header();
        require(header.attribute("from") == to && header.attribute("to") == remote_domain &&
                    header.attribute("version") == "1.0" && !header.attribute("id").empty(),
                "wrong s2s header: " + header.to_string());
        return stream_.expect_element("features", ns::streams);
    }

    /// STARTTLS with `own` as the client certificate (none: nullptr); returns the new features.
    xml_element starttls(const certificate_files* own) {
        stream_.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        stream_.expect_element("proceed", ns::tls);
        stream_.start_tls(main_host, own);
        stream_.restart_stream();
        return open();
    }

    /// SASL EXTERNAL with an empty authorization identity; returns <success/> or <failure/>.
    xml_element external(const std::string& response = "=") {
        stream_.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" +
                     response + "</auth>");
        auto answer = stream_.next_element(std::chrono::seconds(5));
        require(answer && answer->ns == ns::sasl, "no SASL answer to EXTERNAL");
        return *answer;
    }

    /// Waits for a stream error and the end of the stream; returns the condition.
    std::string expect_stream_error() {
        auto error = stream_.next_element(std::chrono::seconds(5));
        require(error && error->name == "error" && error->ns == ns::streams,
                "expected a stream error, got " + (error ? error->to_string() : "nothing"));
        require(stream_.wait_closed(), "the server did not close the stream after its error");
        return error_condition(*error);
    }

private:
    raw_stream stream_;
};

inline bool offers_external(const xml_element& features) {
    const auto* mechanisms = features.child("mechanisms", ns::sasl);
    if (!mechanisms) return false;
    for (const auto& mechanism : mechanisms->children)
        if (mechanism.text == "EXTERNAL") return true;
    return false;
}


// remote.test's server as the server under test's outgoing stream finds it (s2s.hosts points
// at port()): STARTTLS with `own`, SASL EXTERNAL taken whatever the certificate, then the
// features after authentication.
class scripted_receiving_server {
public:
    explicit scripted_receiving_server(certificate_files own) : own_(std::move(own)) {}

    std::uint16_t port() const { return listener_.port(); }
    raw_stream& stream() { return *stream_; }

    /// Takes the next connection up to the features after authentication, which offer stream
    /// management (XEP-0198) when `offer_sm`; with `offer_bidi`, the features before it offer
    /// bidirectional streams (XEP-0288), and the server under test must ask for one first.
    void accept(bool offer_sm, bool offer_bidi = false) {
        stream_ = listener_.accept(std::chrono::seconds(10));
        answer_header("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>");
        stream_->expect_element("starttls", ns::tls);
        stream_->send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        stream_->accept_tls(own_);
        stream_->restart_stream();
        answer_header(
            "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism>"
            "</mechanisms>" +
            std::string(offer_bidi ? "<bidi xmlns='urn:xmpp:features:bidi'/>" : ""));
        // XEP-0288 §2.2: asked for before authentication.
        if (offer_bidi) stream_->expect_element("bidi", "urn:xmpp:bidi");
        const auto auth = stream_->expect_element("auth", ns::sasl);
        require(auth.attribute("mechanism") == "EXTERNAL", "not EXTERNAL: " + auth.to_string());
        stream_->send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        stream_->restart_stream();
        answer_header(offer_sm ? "<sm xmlns='urn:xmpp:sm:3'/>" : "");
    }

    /// Drops the connection without closing the stream, as a crash or a cut cable would.
    void drop() { stream_.reset(); }

private:
    // Waits for the header of the server under test, answers it with ours and `features`.
    void answer_header(const std::string& features) {
        const auto& header = stream_->expect_header();
        require(header.attribute("to") == remote_domain,
                "the outgoing stream is not for remote.test: " + header.to_string());
        stream_->send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                      "xmlns:stream='http://etherx.jabber.org/streams' from='remote.test' to='" +
                      header.attribute("from") + "' id='scripted-" + std::to_string(++streams_) +
                      "' version='1.0'><stream:features>" + features + "</stream:features>");
    }

    loopback_listener listener_;
    certificate_files own_;
    std::unique_ptr<raw_stream> stream_;
    int streams_ = 0;
};

// The server under test (example.test, with alice's and bob's accounts, started) whose stream
// to remote.test goes to a scripted receiving server, and alice logged in to it.
struct home_with_scripted_remote {
    temp_dir pki;
    certificate_files ca = make_test_ca(pki.path());
    scripted_receiving_server peer{make_signed_certificate(pki.path(), ca, remote_domain)};
    server_fixture home;
    std::unique_ptr<strophe_client> alice_client;

    explicit home_with_scripted_remote(const runner_options& options) : home(options) {
        home.extra_listen += listen_entry("s2s", free_loopback_port());
        home.extra_config += "s2s:\n  ca_file: \"" + ca.certificate +
                             "\"\n  hosts:\n    remote.test: \"127.0.0.1:" +
                             std::to_string(peer.port()) + "\"\n";
        home.write_config();
        start_with_accounts(home);
        alice_client = std::make_unique<strophe_client>(std::string(alice.jid) + "/desk",
                                                        alice.password, home.c2s_port());
        alice_client->login();
    }
};

}  // namespace starling::scenarios
