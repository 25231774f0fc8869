#include "core/stanza.hpp"

#include "xml/serializer.hpp"

#include <thread>
#include <utility>

namespace starling {

Stanza::Stanza(xml::ElementPtr element) : element_(std::move(element)) {
    if (auto to = element_->attr("to"); !to.empty()) {
        if (auto jid = Jid::parse(to)) to_ = std::move(*jid);
        else bad_to_ = true;
    }
    if (auto from = element_->attr("from"); !from.empty()) {
        if (auto jid = Jid::parse(from)) from_ = std::move(*jid);
    }
}

Stanza::Stanza(Readdressed, std::shared_ptr<const Stanza> base, Jid to)
    : element_(base->element_), base_(base), to_(std::move(to)), from_(base->from_) {}

StanzaPtr Stanza::readdressed(std::shared_ptr<const Stanza> base, Jid to) {
    // A stanza that has a 'to' already is rewritten whole (its bytes cannot take a second one).
    if (base->element().has_attr("to")) {
        auto element = base->copy();
        element->set_attr("to", to.str());
        return make_stanza(std::move(element));
    }
    return std::make_shared<const Stanza>(Readdressed{}, std::move(base), std::move(to));
}

xml::ElementPtr Stanza::copy() const {
    auto element = element_->clone();
    if (base_) element->set_attr("to", to_.str());
    return element;
}

const std::string& Stanza::bytes() const {
    if (bytes_state_.load(std::memory_order_acquire) == serialized) return bytes_;
    std::uint8_t expected = not_serialized;
    if (bytes_state_.compare_exchange_strong(expected, serializing, std::memory_order_acquire)) {
        if (base_) {
            // `<message` + ` to='…'` + the base's bytes after its name: one copy of the bytes,
            // no tree walked.
            const std::string& shared = base_->bytes();
            const std::size_t name_end = 1 + element_->name().size();
            bytes_.reserve(shared.size() + 64);
            bytes_.append(shared, 0, name_end);
            bytes_ += " to='";
            // Piece by piece: Jid::str() would build (and allocate) the whole string first.
            if (!to_.local().empty()) {
                xml::escape(to_.local(), bytes_);
                bytes_ += '@';
            }
            xml::escape(to_.domain(), bytes_);
            if (!to_.resource().empty()) {
                bytes_ += '/';
                xml::escape(to_.resource(), bytes_);
            }
            bytes_ += '\'';
            bytes_.append(shared, name_end);
        } else {
            xml::serialize(*element_, bytes_, ns_client);
        }
        bytes_state_.store(serialized, std::memory_order_release);
        return bytes_;
    }
    // Another thread of a fan-out is serializing it right now: that takes microseconds.
    while (bytes_state_.load(std::memory_order_acquire) != serialized) std::this_thread::yield();
    return bytes_;
}

StanzaPtr make_stanza(xml::ElementPtr element) { return std::make_shared<const Stanza>(std::move(element)); }

std::span<const StanzaErrorCondition> stanza_error_conditions() {
    // XEP-0086 §3, "Error codes to add to XMPP-style errors". <policy-violation/> came later
    // (RFC 6120) and has no code there; ejabberd sends 403, as for <forbidden/>.
    static constexpr StanzaErrorCondition conditions[] = {
        {"bad-request", "400"},
        {"conflict", "409"},
        {"feature-not-implemented", "501"},
        {"forbidden", "403"},
        {"gone", "302"},
        {"internal-server-error", "500"},
        {"item-not-found", "404"},
        {"jid-malformed", "400"},
        {"not-acceptable", "406"},
        {"not-allowed", "405"},
        {"not-authorized", "401"},
        {"payment-required", "402"},
        {"policy-violation", "403"},
        {"recipient-unavailable", "404"},
        {"redirect", "302"},
        {"registration-required", "407"},
        {"remote-server-not-found", "404"},
        {"remote-server-timeout", "504"},
        {"resource-constraint", "500"},
        {"service-unavailable", "503"},
        {"subscription-required", "407"},
        {"undefined-condition", "500"},
        {"unexpected-request", "400"},
    };
    return conditions;
}

std::string_view legacy_error_code(std::string_view condition) {
    for (const auto& [name, code] : stanza_error_conditions())
        if (name == condition) return code;
    return "500";
}

bool may_answer_with_error(const Stanza& stanza) {
    return stanza.type() != "error" && !(stanza.is_iq() && stanza.type() == "result");
}

StanzaPtr make_error_reply(const Stanza& original, std::string_view error_type,
                           std::string_view condition, std::string_view text) {
    auto reply = original.copy();
    const std::string to(reply->attr("from"));
    const std::string from(reply->attr("to"));
    reply->remove_attr("to");
    reply->remove_attr("from");
    if (!to.empty()) reply->set_attr("to", to);
    if (!from.empty()) reply->set_attr("from", from);
    reply->set_attr("type", "error");
    // An iq error need not echo the request payload; messages and presences keep their content so
    // the sender can tell which one bounced.
    if (original.is_iq()) reply->clear_children();
    auto& error = reply->add_child("error");
    error.set_attr("type", error_type);
    // Profanity, among others, still tells a missing node by code='404' alone.
    error.set_attr("code", legacy_error_code(condition));
    error.add_child(std::string(condition), std::string(ns_stanzas));
    if (!text.empty()) error.add_child("text", std::string(ns_stanzas)).add_text(text);
    return make_stanza(std::move(reply));
}

bool to_own_account(const Stanza& stanza) {
    return stanza.to().empty() || stanza.to() == stanza.from().bare();
}

StanzaPtr make_iq_result(const Stanza& request, xml::ElementPtr payload) {
    auto reply = xml::make_element("iq", std::string(ns_client));
    reply->set_attr("id", request.element().attr("id"));
    if (auto from = request.element().attr("from"); !from.empty()) reply->set_attr("to", from);
    if (auto to = request.element().attr("to"); !to.empty()) reply->set_attr("from", to);
    reply->set_attr("type", "result");
    if (payload) reply->add_child(std::move(payload));
    return make_stanza(std::move(reply));
}

}  // namespace starling
