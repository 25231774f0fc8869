#pragma once
// What mod_roster shares with the modules that change rosters (mod_presence): the item's XML form
// and the event that asks mod_roster to push a changed item to the resources that want pushes.

#include "core/events.hpp"
#include "core/host.hpp"
#include "storage/roster_store.hpp"

#include <cstdint>
#include <string>

namespace starling::roster {

inline constexpr const char* ns_roster = "jabber:iq:roster";

/// A StanzaEvent whose stanza is `<iq type='set' to='user bare JID'><query ver='N'><item/>`;
/// mod_roster delivers it to each interested resource (RFC 6121 §2.1.6).
inline const EventKey& push_event() {
    static const EventKey key("roster_push");
    return key;
}

/// The <item/> of RFC 6121 §2.1.2; `removed` gives subscription='remove'.
inline xml::ElementPtr item_element(const storage::RosterItem& item, bool removed = false) {
    auto element = xml::make_element("item", ns_roster);
    element->set_attr("jid", item.contact);
    if (removed) {
        element->set_attr("subscription", "remove");
        return element;
    }
    if (!item.name.empty()) element->set_attr("name", item.name);
    element->set_attr("subscription", item.subscription);
    if (item.ask) element->set_attr("ask", "subscribe");
    if (item.approved) element->set_attr("approved", "true");
    for (const auto& group : item.groups) element->add_child("group").add_text(group);
    return element;
}

/// Pushes the item (at roster version `version`) to the user's interested resources.
inline void push_item(Host& host, const std::string& user_bare, const storage::RosterItem& item,
                      std::int64_t version, bool removed = false) {
    auto iq = xml::make_element("iq", std::string(ns_client));
    iq->set_attr("type", "set");
    iq->set_attr("to", user_bare);
    auto& query = iq->add_child("query", ns_roster);
    query.set_attr("ver", std::to_string(version));
    query.add_child(item_element(item, removed));
    StanzaEvent event{host, nullptr, make_stanza(std::move(iq))};
    host.stanza_hooks().fire(push_event(), event);
}

}  // namespace starling::roster
