#pragma once
// A stanza as text with its attributes sorted and its top-level id left out, so that a scenario
// can assert a whole stanza exactly, whatever order libstrophe keeps attributes in. Namespaces
// appear where they change; jabber:client at the top is implied.

#include "scenario.hpp"
#include "strophe_client.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace starling::scenarios {

inline std::string canonical_stanza(xmpp_stanza_t* stanza, const std::string& parent_ns = "",
                                    bool top = true) {
    if (xmpp_stanza_is_text(stanza)) {
        const char* text = xmpp_stanza_get_text_ptr(stanza);
        return text ? text : "";
    }
    const int count = xmpp_stanza_get_attribute_count(stanza);
    std::vector<const char*> flat(2 * static_cast<std::size_t>(count));
    xmpp_stanza_get_attributes(stanza, flat.data(), static_cast<int>(flat.size()));
    std::vector<std::pair<std::string, std::string>> attributes;
    for (int i = 0; i + 1 < 2 * count; i += 2) {
        const std::string name = flat[i];
        if (name == "xmlns" || (top && name == "id")) continue;
        attributes.emplace_back(name, flat[i + 1]);
    }
    const char* raw_ns = xmpp_stanza_get_ns(stanza);
    std::string ns = raw_ns ? raw_ns : parent_ns;
    if (top && ns.empty()) ns = "jabber:client";
    if (ns != parent_ns && !(top && ns == "jabber:client")) attributes.emplace_back("xmlns", ns);
    std::sort(attributes.begin(), attributes.end());
    std::string out = std::string("<") + xmpp_stanza_get_name(stanza);
    for (const auto& [name, value] : attributes) out += " " + name + "='" + value + "'";
    std::string inner;
    for (xmpp_stanza_t* child = xmpp_stanza_get_children(stanza); child;
         child = xmpp_stanza_get_next(child))
        inner += canonical_stanza(child, ns, false);
    if (inner.empty()) return out + "/>";
    return out + ">" + inner + "</" + xmpp_stanza_get_name(stanza) + ">";
}

/// Fails the scenario unless `stanza` is exactly `expected` in the canonical form above.
inline void require_stanza(xmpp_stanza_t* stanza, const std::string& expected,
                           const std::string& what) {
    const std::string actual = canonical_stanza(stanza);
    require(actual == expected, what + ": expected\n  " + expected + "\ngot\n  " + actual);
}

}  // namespace starling::scenarios
