#pragma once
// Matchers and steps the presence, roster and last-activity scenarios share.

#include "canonical_stanza.hpp"
#include "client_steps.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"

#include <string>

namespace starling::scenarios {

inline bool is_roster_push(xmpp_stanza_t* stanza) {
    return stanza_named("iq")(stanza) && stanza_attribute(stanza, "type") == "set" &&
           stanza_child(stanza, "query", "jabber:iq:roster") != nullptr;
}

/// A presence from `from` of `type` ("" for available).
inline std::function<bool(xmpp_stanza_t*)> presence_from(std::string from, std::string type = "") {
    return [from = std::move(from), type = std::move(type)](xmpp_stanza_t* stanza) {
        return stanza_named("presence")(stanza) && stanza_attribute(stanza, "from") == from &&
               stanza_attribute(stanza, "type") == type;
    };
}

inline std::string push_to(const std::string& jid, int ver, const std::string& item) {
    return "<iq to='" + jid + "' type='set'><query ver='" + std::to_string(ver) +
           "' xmlns='jabber:iq:roster'>" + item + "</query></iq>";
}

/// Asks for the roster (so that pushes arrive) and sends initial presence, consuming the
/// reflection of that presence.
inline void go_online(strophe_client& client) {
    client.request("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>", "roster");
    client.send("<presence/>");
    client.wait_for(presence_from(client.bound_jid()), "own presence reflected");
}

/// `from` asks `to` for a subscription and `to` approves; both are online with a fetched roster.
inline void subscribe(strophe_client& from, const std::string& from_bare, strophe_client& to,
                      const std::string& to_bare) {
    from.send("<presence to='" + to_bare + "' type='subscribe'/>");
    to.wait_for(presence_from(from_bare, "subscribe"), "the subscription request");
    to.send("<presence to='" + from_bare + "' type='subscribed'/>");
    from.wait_for(presence_from(to_bare, "subscribed"), "the approval");
}

}  // namespace starling::scenarios
