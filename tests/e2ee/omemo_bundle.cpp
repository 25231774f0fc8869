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

// The named child in the OMEMO namespace, which is inherited from <bundle/>.
xmpp_stanza_t* omemo_child(xmpp_stanza_t* parent, const char* name) {
    return xmpp_stanza_get_child_by_name_and_ns(parent, name, omemo_ns);
}

std::string required_key(xmpp_stanza_t* bundle, const char* name) {
    xmpp_stanza_t* element = omemo_child(bundle, name);
    require(element != nullptr,
            std::string("bundle without <") + name + ">: " + stanza_text(bundle));
    std::string key = base64_decode(stanza_content(element));
    require(!key.empty(), std::string("empty <") + name + "> in " + stanza_text(bundle));
    return key;
}

}  // namespace

std::uint32_t parse_id(const std::string& text, const std::string& what) {
    require(!text.empty() && text.size() <= 10 &&
                text.find_first_not_of("0123456789") == std::string::npos,
            what + " '" + text + "' is not a decimal id");
    const unsigned long long value = std::stoull(text);
    require(value <= 0x7fffffffULL, what + " '" + text + "' is out of range");
    return static_cast<std::uint32_t>(value);
}

std::string bundle_xml(const omemo_bundle& bundle) {
    std::string xml = std::string("<bundle xmlns='") + omemo_ns + "'>";
    xml += "<signedPreKeyPublic signedPreKeyId='" + std::to_string(bundle.signed_pre_key_id) +
           "'>" + base64_encode(bundle.signed_pre_key_public) + "</signedPreKeyPublic>";
    xml += "<signedPreKeySignature>" + base64_encode(bundle.signed_pre_key_signature) +
           "</signedPreKeySignature>";
    xml += "<identityKey>" + base64_encode(bundle.identity_key) + "</identityKey>";
    xml += "<prekeys>";
    for (const auto& key : bundle.pre_keys)
        xml += "<preKeyPublic preKeyId='" + std::to_string(key.id) + "'>" +
               base64_encode(key.public_key) + "</preKeyPublic>";
    xml += "</prekeys></bundle>";
    return xml;
}

omemo_bundle parse_bundle(xmpp_stanza_t* element) {
    require(element != nullptr && std::strcmp(xmpp_stanza_get_name(element), "bundle") == 0,
            "not an OMEMO bundle: " + (element ? stanza_text(element) : std::string("nothing")));
    omemo_bundle bundle;
    xmpp_stanza_t* signed_key = omemo_child(element, "signedPreKeyPublic");
    require(signed_key != nullptr, "bundle without <signedPreKeyPublic>: " + stanza_text(element));
    bundle.signed_pre_key_id =
        parse_id(stanza_attribute(signed_key, "signedPreKeyId"), "signedPreKeyId");
    bundle.signed_pre_key_public = required_key(element, "signedPreKeyPublic");
    bundle.signed_pre_key_signature = required_key(element, "signedPreKeySignature");
    bundle.identity_key = required_key(element, "identityKey");
    xmpp_stanza_t* pre_keys = omemo_child(element, "prekeys");
    require(pre_keys != nullptr, "bundle without <prekeys>: " + stanza_text(element));
    for (xmpp_stanza_t* key = xmpp_stanza_get_children(pre_keys); key;
         key = xmpp_stanza_get_next(key)) {
        if (!xmpp_stanza_is_tag(key)) continue;
        require(std::strcmp(xmpp_stanza_get_name(key), "preKeyPublic") == 0,
                "unexpected element in <prekeys>: " + stanza_text(key));
        bundle.pre_keys.push_back({parse_id(stanza_attribute(key, "preKeyId"), "preKeyId"),
                                   base64_decode(stanza_content(key))});
    }
    return bundle;
}

std::string device_list_xml(const std::vector<std::uint32_t>& device_ids) {
    std::string xml = std::string("<list xmlns='") + omemo_ns + "'>";
    for (std::uint32_t id : device_ids) xml += "<device id='" + std::to_string(id) + "'/>";
    return xml + "</list>";
}

std::vector<std::uint32_t> parse_device_list(xmpp_stanza_t* list) {
    require(list != nullptr && std::strcmp(xmpp_stanza_get_name(list), "list") == 0,
            "not an OMEMO device list: " + (list ? stanza_text(list) : std::string("nothing")));
    std::vector<std::uint32_t> ids;
    for (xmpp_stanza_t* device = xmpp_stanza_get_children(list); device;
         device = xmpp_stanza_get_next(device)) {
        if (xmpp_stanza_is_tag(device) && std::strcmp(xmpp_stanza_get_name(device), "device") == 0)
            ids.push_back(parse_id(stanza_attribute(device, "id"), "device id"));
    }
    return ids;
}

}  // namespace starling::e2ee
