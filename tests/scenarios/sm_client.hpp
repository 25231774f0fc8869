#pragma once
// A raw client for XEP-0198 and XEP-0352 scenarios: negotiation through raw_session, then
// stream management by hand.

#include "raw_session.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace starling::scenarios {

inline constexpr const char* ns_sm = "urn:xmpp:sm:3";

inline bool is_stanza(const xml_element& e) {
    return e.ns == ns::client && (e.name == "message" || e.name == "presence" || e.name == "iq");
}

inline std::string body_of(const xml_element& e) {
    const xml_element* body = e.child("body", ns::client);
    return body ? body->text : "";
}

// A raw client that speaks stream management by hand, counting the stanzas it receives the way
// XEP-0198 counts them, so each scenario decides exactly what it acknowledges.
class sm_client {
public:
    explicit sm_client(std::uint16_t port) : session_(std::make_unique<raw_session>(port)) {}

    raw_session& session() { return *session_; }
    raw_stream& stream() { return session_->stream(); }

    // STARTTLS, PLAIN, and (unless `bind` is false) binding `resource`, on the account's domain.
    void login(const test_account& account, const std::string& resource, bool bind = true) {
        const std::string jid = account.jid;
        session_->open(jid.substr(jid.find('@') + 1));
        session_->starttls();
        auto result = session_->authenticate("PLAIN", account.localpart, account.password);
        require(result.name == "success", "login failed: " + result.to_string());
        if (bind) jid_ = session_->bind(resource);
    }

    // <enable resume='true'/>; returns the <enabled/>.
    xml_element enable() {
        stream().send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
        auto enabled = next_nonza();
        require(enabled.name == "enabled" && enabled.ns == ns_sm,
                "expected <enabled/>, got " + enabled.to_string());
        return enabled;
    }

    // The next element; a stanza is counted. A <r/> is answered when auto_ack is set and
    // skipped either way.
    std::optional<xml_element> next(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        for (;;) {
            auto e = stream().next_element(timeout);
            if (!e) return e;
            if (is_stanza(*e)) ++received_;
            if (e->ns == ns_sm && e->name == "r") {
                ++requests_;
                if (auto_ack) ack();
                if (skip_requests) continue;
            }
            return e;
        }
    }

    // The next stanza, skipping <r/>; fails on anything else.
    xml_element next_stanza(const std::string& what,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        auto e = next(timeout);
        require(e.has_value(), "nothing arrived where " + what + " was expected");
        require(is_stanza(*e), "expected " + what + ", got " + e->to_string());
        return *e;
    }

    // The next stream-management element other than <r/>.
    xml_element next_nonza(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        auto e = next(timeout);
        require(e.has_value(), "no stream management answer arrived");
        require(e->ns == ns_sm, "expected a stream management element, got " + e->to_string());
        return *e;
    }

    // Requires that no stanza or nonza other than <r/> arrives within `quiet`, on a stream
    // that is still open afterwards (a dead stream cannot show that something was held back).
    void require_quiet(std::chrono::milliseconds quiet, const std::string& what) {
        auto e = next(quiet);
        require(!e.has_value(), what + ", but " + (e ? e->to_string() : "") + " arrived");
        require(!stream().ended(), what + ", but the stream ended instead (" +
                                       stream().end_reason() + "), which proves nothing");
    }

    void ack() {
        stream().send("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(received_) + "'/>");
    }

    // Sends <r/> and returns the h of the server's <a/>; stanzas that come first (bounces,
    // replies) are kept in `before_ack`.
    std::string request_ack() {
        stream().send("<r xmlns='urn:xmpp:sm:3'/>");
        for (;;) {
            auto e = next();
            require(e.has_value(), "no <a/> came for <r/>");
            if (e->ns == ns_sm && e->name == "a") return e->attribute("h");
            require(is_stanza(*e), "expected <a/>, got " + e->to_string());
            before_ack.push_back(*e);
        }
    }
    std::vector<xml_element> before_ack;

    // Cuts the TCP connection without closing the stream, as a phone losing its network does.
    void cut() { session_.reset(); }

    const std::string& jid() const { return jid_; }
    int received_ = 0;
    int requests_ = 0;
    bool auto_ack = false;
    bool skip_requests = true;

private:
    std::unique_ptr<raw_session> session_;
    std::string jid_;
};

}  // namespace starling::scenarios
