#pragma once
// Which messages go into a user archive, and the XEP-0359 <stanza-id/> that tells the recipient
// where its copy is archived.

#include "core/archive_query.hpp"
#include "core/stanza.hpp"

#include <string>

namespace starling::mam {

inline constexpr const char* ns_sid = "urn:xmpp:sid:0";
inline constexpr const char* ns_hints = "urn:xmpp:hints";

/// XEP-0313 §7.1.1: 1:1 messages of type normal or chat that carry a body (or an end-to-end
/// encrypted payload, whose body is inside the ciphertext), unless a XEP-0334 hint says not to
/// store them; a <store/> hint archives such a message even without a body.
inline bool archivable(const Stanza& stanza) {
    if (!stanza.is_message()) return false;
    const auto type = stanza.type();
    if (type != "" && type != "normal" && type != "chat") return false;
    bool content = false;
    for (const auto* child : stanza.element().child_elements()) {
        if (child->xmlns() == ns_hints) {
            if (child->name() == "no-store" || child->name() == "no-permanent-store") return false;
            if (child->name() == "store") content = true;
        } else if (child->name() == "body" && child->xmlns() == ns_client) {
            content = true;
        } else if (child->name() == "encrypted") {
            content = true;  // OMEMO (both namespaces) and XEP-0384 successors
        }
    }
    return content;
}

/// True when `by` names `archive` (the user's bare JID) or its domain: only this server may
/// claim those, so a <stanza-id/> that does was forged by the sender (XEP-0359 §5).
inline bool claims(std::string_view by, const Jid& archive) {
    if (by.empty()) return false;
    const auto jid = Jid::parse(by);
    return jid && (*jid == archive || (jid->local().empty() && jid->resource().empty() &&
                                       jid->domain() == archive.domain()));
}

/// The stanza without the <stanza-id/> elements that claim `archive`; null when it has none.
inline xml::ElementPtr without_forged_ids(const Stanza& stanza, const Jid& archive) {
    bool forged = false;
    for (const auto* child : stanza.element().child_elements())
        if (child->name() == "stanza-id" && child->xmlns() == ns_sid &&
            claims(child->attr("by"), archive))
            forged = true;
    if (!forged) return nullptr;
    auto copy = xml::make_element(stanza.name(), stanza.element().xmlns());
    for (const auto& attribute : stanza.element().attributes())
        copy->set_attr(attribute.name, attribute.value);
    for (const auto& node : stanza.element().children()) {
        if (const auto* element = std::get_if<xml::ElementPtr>(&node)) {
            const auto& child = **element;
            if (child.name() == "stanza-id" && child.xmlns() == ns_sid &&
                claims(child.attr("by"), archive))
                continue;
            copy->add_child((*element)->clone());
        } else {
            copy->add_text(std::get<std::string>(node));
        }
    }
    return copy;
}

}  // namespace starling::mam
