#pragma once
// OMEMO bundles as PEP items: which nodes hold bundles, and how a bundle's one-time prekeys are
// taken out of the stored item and put back. OMEMO 0.3 (eu.siacs.conversations.axolotl):
// node "…axolotl.bundles:<device-id>", <prekeys><preKeyPublic preKeyId='n'>…; OMEMO 2
// (urn:xmpp:omemo:2, XEP-0384): node "urn:xmpp:omemo:2:bundles", item id the device id,
// <prekeys><pk id='n'>….

#include "storage/prekey_store.hpp"
#include "xml/element.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace starling::pep {

inline constexpr const char* ns_axolotl = "eu.siacs.conversations.axolotl";
inline constexpr const char* ns_omemo2 = "urn:xmpp:omemo:2";

/// The bundle namespace of a bundle node, or nullopt for any other node.
std::optional<std::string> bundle_namespace(std::string_view node);
/// True for OMEMO 2's one node of bundles, where the item id names the device.
inline bool is_omemo2_bundles(std::string_view node) {
    return node == "urn:xmpp:omemo:2:bundles";
}

/// Removes the one-time prekeys from `payload` (a bundle of namespace `ns`, left with an empty
/// <prekeys/>) and returns them; nullopt when the payload is not such a bundle.
std::optional<std::vector<storage::Prekey>> take_prekeys(xml::Element& payload,
                                                         const std::string& ns);
/// Puts `keys` into the bundle's <prekeys/>.
void put_prekeys(xml::Element& payload, const std::vector<storage::Prekey>& keys);

}  // namespace starling::pep
