#include "omemo_message.hpp"

#include "omemo_bundle.hpp"
#include "scenario.hpp"
#include "scram_client.hpp"
#include "strophe_client.hpp"

#include <cstring>

namespace starling::e2ee {
namespace {

using scenarios::base64_decode;
using scenarios::base64_encode;
using scenarios::require;
using scenarios::stanza_attribute;
using scenarios::stanza_content;
using scenarios::stanza_text;

}  // namespace

std::string encrypted_xml(const omemo_encrypted& encrypted) {
    std::string xml = std::string("<encrypted xmlns='") + omemo_ns + "'><header sid='" +
                      std::to_string(encrypted.sid) + "'>";
    for (const auto& key : encrypted.keys)
        xml += std::string("<key") + (key.prekey ? " prekey='true'" : "") + " rid='" +
               std::to_string(key.rid) + "'>" + base64_encode(key.data) + "</key>";
    xml += "<iv>" + base64_encode(encrypted.iv) + "</iv></header>";
    xml += "<payload>" + base64_encode(encrypted.payload) + "</payload></encrypted>";
    return xml;
}

omemo_encrypted parse_encrypted(xmpp_stanza_t* element) {
    require(
        element != nullptr && std::strcmp(xmpp_stanza_get_name(element), "encrypted") == 0,
        "not an OMEMO <encrypted/>: " + (element ? stanza_text(element) : std::string("nothing")));
    omemo_encrypted encrypted;
    xmpp_stanza_t* header = xmpp_stanza_get_child_by_name_and_ns(element, "header", omemo_ns);
    require(header != nullptr, "<encrypted/> without <header/>: " + stanza_text(element));
    encrypted.sid = parse_id(stanza_attribute(header, "sid"), "sid");
    for (xmpp_stanza_t* child = xmpp_stanza_get_children(header); child;
         child = xmpp_stanza_get_next(child)) {
        if (!xmpp_stanza_is_tag(child)) continue;
        const std::string name = xmpp_stanza_get_name(child);
        if (name == "key") {
            // XEP-0384 v0.3 writes the flag as an xs:boolean, so both spellings are accepted.
            const std::string prekey = stanza_attribute(child, "prekey");
            encrypted.keys.push_back({parse_id(stanza_attribute(child, "rid"), "rid"),
                                      prekey == "true" || prekey == "1",
                                      base64_decode(stanza_content(child))});
        } else if (name == "iv") {
            encrypted.iv = base64_decode(stanza_content(child));
        }
    }
    require(!encrypted.iv.empty(), "<header/> without <iv/>: " + stanza_text(element));
    xmpp_stanza_t* payload = xmpp_stanza_get_child_by_name_and_ns(element, "payload", omemo_ns);
    require(payload != nullptr, "<encrypted/> without <payload/>: " + stanza_text(element));
    encrypted.payload = base64_decode(stanza_content(payload));
    return encrypted;
}

std::string encrypted_message_xml(const std::string& to, const std::string& id,
                                  const omemo_encrypted& encrypted, const std::string& type) {
    return "<message type='" + type + "' to='" + to + "' id='" + id + "'>" +
           encrypted_xml(encrypted) +
           "<encryption xmlns='urn:xmpp:eme:0' name='OMEMO' namespace='" + omemo_ns + "'/>" +
           "<body>" + fallback_body + "</body><store xmlns='urn:xmpp:hints'/></message>";
}

}  // namespace starling::e2ee
