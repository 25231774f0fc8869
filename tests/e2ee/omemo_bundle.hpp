#pragma once

#include <strophe.h>

#include <cstdint>
#include <string>
#include <vector>

namespace starling::e2ee {

/// OMEMO 0.3 (XEP-0384 v0.3, as Conversations speaks it), the namespace and PEP nodes.
inline constexpr const char* omemo_ns = "eu.siacs.conversations.axolotl";
inline constexpr const char* device_list_node = "eu.siacs.conversations.axolotl.devicelist";
inline constexpr const char* bundle_node_prefix = "eu.siacs.conversations.axolotl.bundles:";

inline std::string bundle_node(std::uint32_t device_id) {
    return bundle_node_prefix + std::to_string(device_id);
}

/// One one-time prekey as published: its id and its serialized public key (0x05 || 32 bytes).
struct published_pre_key {
    std::uint32_t id = 0;
    std::string public_key;
};

/// A device's bundle: the public keys another device needs for X3DH. Keys are raw bytes here
/// and base64 on the wire.
struct omemo_bundle {
    std::uint32_t signed_pre_key_id = 0;
    std::string signed_pre_key_public;
    std::string signed_pre_key_signature;
    std::string identity_key;
    std::vector<published_pre_key> pre_keys;
};

/// <bundle xmlns='eu.siacs.conversations.axolotl'>…</bundle>
std::string bundle_xml(const omemo_bundle& bundle);

/// Decodes a <bundle/> element; fails the scenario, quoting it, if a part is missing or bad.
omemo_bundle parse_bundle(xmpp_stanza_t* bundle);

/// <list xmlns='eu.siacs.conversations.axolotl'><device id='…'/>…</list>
std::string device_list_xml(const std::vector<std::uint32_t>& device_ids);

/// The device ids of a <list/> element, in document order.
std::vector<std::uint32_t> parse_device_list(xmpp_stanza_t* list);

/// A decimal id attribute as OMEMO uses them (31-bit unsigned); fails the scenario otherwise.
std::uint32_t parse_id(const std::string& text, const std::string& what);

}  // namespace starling::e2ee
