#pragma once
// A routed stanza: an immutable element tree plus what routing reads from it, shared by every
// recipient. The serialized bytes are made once, on first use, so a fan-out serializes once.

#include "jid/jid.hpp"
#include "xml/element.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace starling {

inline constexpr std::string_view ns_client = "jabber:client";
inline constexpr std::string_view ns_stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

class Stanza;
using StanzaPtr = std::shared_ptr<const Stanza>;

class Stanza {
public:
    /// `to` and `from` are parsed here; an unparsable address leaves it empty and sets bad_to().
    explicit Stanza(xml::ElementPtr element);

    /// The same stanza for another recipient, for a fan-out (a chat room's message to each
    /// occupant): it shares `base`'s tree and its serialized bytes, and differs only in `to`.
    /// Its element() is base's, so its 'to' is in to(), in copy() and in bytes(), never in
    /// element().attr("to"). A `base` that has a 'to' is copied and rewritten instead.
    static StanzaPtr readdressed(std::shared_ptr<const Stanza> base, Jid to);

    const xml::Element& element() const { return *element_; }
    /// A deep copy to rewrite (the shared original stays untouched).
    xml::ElementPtr copy() const;

    const std::string& name() const { return element_->name(); }
    std::string_view type() const { return element_->attr("type"); }
    std::string_view id() const { return element_->attr("id"); }
    const Jid& to() const { return to_; }
    const Jid& from() const { return from_; }
    bool bad_to() const { return bad_to_; }
    bool is_message() const { return name() == "message"; }
    bool is_presence() const { return name() == "presence"; }
    bool is_iq() const { return name() == "iq"; }

    /// The bytes as written on a c2s stream (default namespace jabber:client).
    const std::string& bytes() const;

private:
    struct Readdressed {};

public:
    // For readdressed() only (the tag is private), through make_shared.
    Stanza(Readdressed, std::shared_ptr<const Stanza> base, Jid to);

private:
    xml::ElementPtr element_;
    std::shared_ptr<const Stanza> base_;  // readdressed(): whose bytes these are, but for 'to'
    Jid to_;
    Jid from_;
    bool bad_to_ = false;
    // Not std::call_once: glibc's pthread_once makes a futex system call every time it runs the
    // initialiser, which was one system call per routed stanza.
    enum : std::uint8_t { not_serialized, serializing, serialized };
    mutable std::atomic<std::uint8_t> bytes_state_{not_serialized};
    mutable std::string bytes_;
};

StanzaPtr make_stanza(xml::ElementPtr element);

/// A stanza error condition (RFC 6120 §8.3.3) and its legacy numeric code (XEP-0086 §3).
struct StanzaErrorCondition {
    std::string_view name;
    std::string_view legacy_code;
};
/// Every defined stanza error condition, sorted by name.
std::span<const StanzaErrorCondition> stanza_error_conditions();
/// The legacy numeric code of a stanza error condition (XEP-0086 §3, and 403 for
/// <policy-violation/> as ejabberd sends it); 500, undefined-condition's, for any other.
std::string_view legacy_error_code(std::string_view condition);
/// False for an error and for an iq result: an error is never answered with an error, and
/// nobody is told about a result that went nowhere (RFC 6120 §8.3.1).
bool may_answer_with_error(const Stanza& stanza);
/// An error reply to `original` (RFC 6120 §8.3): to/from swapped, the original's children kept
/// for iq-less context, `<error type=... code=...><condition xmlns=stanzas/></error>` appended,
/// with the legacy code of XEP-0086 that older clients still go by.
StanzaPtr make_error_reply(const Stanza& original, std::string_view error_type,
                           std::string_view condition, std::string_view text = {});
/// True when the stanza has no 'to' or is to its sender's own bare JID: a request about the
/// sender's own account (its roster, blocklist, private storage).
bool to_own_account(const Stanza& stanza);
/// A result iq for an iq get/set, optionally carrying a payload.
StanzaPtr make_iq_result(const Stanza& request, xml::ElementPtr payload = nullptr);

}  // namespace starling
