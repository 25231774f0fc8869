#pragma once

#include "strophe_client.hpp"

#include <cstring>
#include <functional>
#include <map>
#include <string>

namespace starling::scenarios {

/// Matches a stanza by element name and, when given, its id.
inline std::function<bool(xmpp_stanza_t*)> stanza_named(std::string name, std::string id = "") {
    return [name = std::move(name), id = std::move(id)](xmpp_stanza_t* stanza) {
        return name == xmpp_stanza_get_name(stanza) &&
               (id.empty() || stanza_attribute(stanza, "id") == id);
    };
}

/// The defined condition of a stanza error (<error><item-not-found .../></error>), or "".
inline std::string stanza_error_condition(xmpp_stanza_t* stanza) {
    xmpp_stanza_t* error = xmpp_stanza_get_child_by_name(stanza, "error");
    if (error == nullptr) return "";
    for (xmpp_stanza_t* child = xmpp_stanza_get_children(error); child;
         child = xmpp_stanza_get_next(child)) {
        const char* ns = xmpp_stanza_get_ns(child);
        if (xmpp_stanza_is_tag(child) && ns != nullptr &&
            std::strcmp(ns, "urn:ietf:params:xml:ns:xmpp-stanzas") == 0 &&
            std::strcmp(xmpp_stanza_get_name(child), "text") != 0)
            return xmpp_stanza_get_name(child);
    }
    return "";
}

/// The legacy code XEP-0086 §3 gives a condition (403 for <policy-violation/>, as ejabberd),
/// written out here rather than taken from the server, so that the server's table is checked.
inline std::string legacy_error_code(const std::string& condition) {
    static const std::map<std::string, std::string> codes{
        {"bad-request", "400"},
        {"conflict", "409"},
        {"feature-not-implemented", "501"},
        {"forbidden", "403"},
        {"internal-server-error", "500"},
        {"item-not-found", "404"},
        {"jid-malformed", "400"},
        {"not-acceptable", "406"},
        {"not-allowed", "405"},
        {"not-authorized", "401"},
        {"policy-violation", "403"},
        {"registration-required", "407"},
        {"remote-server-not-found", "404"},
        {"resource-constraint", "500"},
        {"service-unavailable", "503"},
        {"unexpected-request", "400"},
        {"undefined-condition", "500"},
    };
    const auto it = codes.find(condition);
    return it == codes.end() ? "500" : it->second;
}

/// The opening tag of a stanza error as the server sends it, in canonical_stanza's form
/// (attributes sorted): <error code='404' type='cancel'>.
inline std::string error_open(const std::string& type, const std::string& condition) {
    return "<error code='" + legacy_error_code(condition) + "' type='" + type + "'>";
}

}  // namespace starling::scenarios
