#pragma once

#include "strophe_client.hpp"

#include <cstring>
#include <functional>
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

}  // namespace starling::scenarios
