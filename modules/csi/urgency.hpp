#pragma once
// Which stanzas an inactive client (XEP-0352) gets at once, and which can wait.

#include "core/stanza.hpp"

namespace starling::csi {

inline constexpr const char* ns_jingle_message = "urn:xmpp:jingle-message:0";

/// True for a stanza that must reach an inactive client at once: a message with a body or an
/// encrypted payload, or a call (XEP-0353); presence that is not about availability
/// (subscriptions, errors); and anything that is neither presence nor a message (an iq is a
/// request the client must answer). Availability presence, chat states, receipts and markers
/// describe, and can wait.
inline bool urgent(const Stanza& stanza) {
    if (stanza.is_presence()) {
        const auto type = stanza.type();
        return !(type.empty() || type == "unavailable");
    }
    if (!stanza.is_message()) return true;
    const auto& message = stanza.element();
    if (message.child("body", ns_client)) return true;
    for (const auto* child : message.child_elements()) {
        // OMEMO (eu.siacs.conversations.axolotl, urn:xmpp:omemo:2) and OpenPGP payloads alike.
        if (child->name() == "encrypted") return true;
        // XEP-0353: a call rings now, and its retract or accept matters as much.
        if (child->xmlns() == ns_jingle_message) return true;
    }
    return false;
}

}  // namespace starling::csi
