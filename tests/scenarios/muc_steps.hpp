#pragma once
// Steps for the multi-user chat scenarios (XEP-0045): entering a room, reading the muc#user
// item and status codes of an occupant's presence, and making a room ready to use.

#include "client_steps.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace starling::scenarios::muc {

inline constexpr const char* service = "conference.example.test";
inline constexpr const char* ns_muc = "http://jabber.org/protocol/muc";
inline constexpr const char* ns_user = "http://jabber.org/protocol/muc#user";
inline constexpr const char* ns_admin = "http://jabber.org/protocol/muc#admin";
inline constexpr const char* ns_owner = "http://jabber.org/protocol/muc#owner";
inline constexpr const char* modules = "[disco, ping, muc]";

inline std::string room(const std::string& name) { return name + "@" + service; }
inline std::string occupant(const std::string& name, const std::string& nick) {
    return room(name) + "/" + nick;
}

/// The <x xmlns='muc#user'/> of a presence or message, or null.
inline xmpp_stanza_t* user_x(xmpp_stanza_t* stanza) { return stanza_child(stanza, "x", ns_user); }

/// The status codes in the muc#user x, in order.
inline std::vector<std::string> status_codes(xmpp_stanza_t* stanza) {
    std::vector<std::string> codes;
    xmpp_stanza_t* x = user_x(stanza);
    for (xmpp_stanza_t* child = x ? xmpp_stanza_get_children(x) : nullptr; child;
         child = xmpp_stanza_get_next(child))
        if (xmpp_stanza_is_tag(child) && std::string(xmpp_stanza_get_name(child)) == "status")
            codes.push_back(stanza_attribute(child, "code"));
    return codes;
}

inline bool has_code(xmpp_stanza_t* stanza, const std::string& code) {
    const auto codes = status_codes(stanza);
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

/// An attribute of the muc#user <item/> ("affiliation", "role", "jid", "nick"), or "".
inline std::string item_attribute(xmpp_stanza_t* stanza, const char* name) {
    xmpp_stanza_t* x = user_x(stanza);
    xmpp_stanza_t* item = x ? stanza_child(x, "item", ns_user) : nullptr;
    return item ? stanza_attribute(item, name) : std::string();
}

/// Matches a presence from `from` (any type); with `self`, only one carrying status 110 or an
/// error.
inline std::function<bool(xmpp_stanza_t*)> presence_from(std::string from, bool self = false) {
    return [from = std::move(from), self](xmpp_stanza_t* stanza) {
        if (std::string(xmpp_stanza_get_name(stanza)) != "presence") return false;
        if (stanza_attribute(stanza, "from") != from) return false;
        return !self || has_code(stanza, "110") || stanza_attribute(stanza, "type") == "error";
    };
}

/// Matches an unavailable presence from `from` carrying status `code` ("" for any).
inline std::function<bool(xmpp_stanza_t*)> leaving(std::string from, std::string code = "") {
    return [from = std::move(from), code = std::move(code)](xmpp_stanza_t* stanza) {
        return presence_from(from)(stanza) && stanza_attribute(stanza, "type") == "unavailable" &&
               (code.empty() || has_code(stanza, code));
    };
}

/// Matches a groupchat message from `from` with a body (or a subject when `subject`).
inline std::function<bool(xmpp_stanza_t*)> groupchat_from(std::string from, bool subject = false) {
    return [from = std::move(from), subject](xmpp_stanza_t* stanza) {
        return std::string(xmpp_stanza_get_name(stanza)) == "message" &&
               stanza_attribute(stanza, "type") == "groupchat" &&
               stanza_attribute(stanza, "from") == from &&
               stanza_child(stanza, subject ? "subject" : "body", nullptr) != nullptr;
    };
}

/// Enters the room as `nick` (with `x_children` in the muc x: a password, a history request)
/// and returns the self-presence, or the error presence.
inline stanza_ptr enter(strophe_client& client, const std::string& room_name,
                        const std::string& nick, const std::string& x_children = "") {
    client.send("<presence to='" + occupant(room_name, nick) + "'><x xmlns='" + ns_muc + "'>" +
                x_children + "</x></presence>");
    return client.wait_for(presence_from(occupant(room_name, nick), true),
                           "the self-presence in " + room_name + " as " + nick);
}

/// Enters and waits for the subject, which ends the join (XEP-0045 §7.2.16).
inline stanza_ptr enter_and_settle(strophe_client& client, const std::string& room_name,
                                   const std::string& nick, const std::string& x_children = "") {
    auto self = enter(client, room_name, nick, x_children);
    require(stanza_attribute(self.get(), "type") != "error",
            "could not enter " + room_name + ": " + stanza_text(self.get()));
    client.wait_for(
        [&room_name](xmpp_stanza_t* s) {
            return std::string(xmpp_stanza_get_name(s)) == "message" &&
                   stanza_attribute(s, "from").rfind(room(room_name), 0) == 0 &&
                   stanza_child(s, "subject", nullptr) != nullptr;
        },
        "the subject that ends the join of " + room_name);
    return self;
}

/// Submits the room's configuration form with these fields (var, value) and requires a result.
inline void configure(strophe_client& owner, const std::string& room_name,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string form =
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
        "http://jabber.org/protocol/muc#roomconfig</value></field>";
    for (const auto& [var, value] : fields)
        form += "<field var='" + var + "'><value>" + value + "</value></field>";
    form += "</x>";
    auto result = owner.request("<iq type='set' id='cfg' to='" + room(room_name) +
                                    "'><query xmlns='" + ns_owner + "'>" + form + "</query></iq>",
                                "cfg");
    require(stanza_attribute(result.get(), "type") == "result",
            "configuring " + room_name + ": " + stanza_text(result.get()));
}

/// Creates the room as its owner (entering as `nick`) and configures it with `fields`.
inline void create_room(strophe_client& owner, const std::string& room_name,
                        const std::string& nick,
                        const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    auto self = enter(owner, room_name, nick);
    require(has_code(self.get(), "201"), "the room existed already: " + stanza_text(self.get()));
    configure(owner, room_name, fields);
}

}  // namespace starling::scenarios::muc
