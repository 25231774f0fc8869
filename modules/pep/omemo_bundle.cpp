#include "omemo_bundle.hpp"

namespace starling::pep {

namespace {

constexpr std::string_view axolotl_bundles = "eu.siacs.conversations.axolotl.bundles:";

// The element and id attribute of one prekey in each namespace.
std::pair<const char*, const char*> key_names(std::string_view ns) {
    if (ns == ns_omemo2) return {"pk", "id"};
    return {"preKeyPublic", "preKeyId"};
}

}  // namespace

std::optional<std::string> bundle_namespace(std::string_view node) {
    if (is_omemo2_bundles(node)) return std::string(ns_omemo2);
    if (node.size() > axolotl_bundles.size() && node.starts_with(axolotl_bundles))
        return std::string(ns_axolotl);
    return std::nullopt;
}

std::optional<std::vector<storage::Prekey>> take_prekeys(xml::Element& payload,
                                                         const std::string& ns) {
    if (payload.name() != "bundle" || payload.xmlns() != ns) return std::nullopt;
    xml::Element* prekeys = payload.child("prekeys", ns);
    if (prekeys == nullptr) return std::nullopt;
    const auto [name, id_attr] = key_names(ns);
    std::vector<storage::Prekey> keys;
    for (const xml::Element* key : prekeys->child_elements()) {
        // Anything but a well-formed prekey stays in the stored item untouched.
        if (key->name() != name || key->xmlns() != ns || key->attr(id_attr).empty())
            return std::nullopt;
        keys.push_back({std::string(key->attr(id_attr)), key->text()});
    }
    prekeys->clear_children();
    return keys;
}

void put_prekeys(xml::Element& payload, const std::vector<storage::Prekey>& keys) {
    xml::Element* prekeys = payload.child("prekeys", payload.xmlns());
    if (prekeys == nullptr) return;
    const auto [name, id_attr] = key_names(payload.xmlns());
    for (const auto& key : keys) {
        auto& element = prekeys->add_child(name, payload.xmlns());
        element.set_attr(id_attr, key.id);
        element.add_text(key.data);
    }
}

}  // namespace starling::pep
