#pragma once

#include <map>
#include <string>
#include <vector>

namespace starling::scenarios {

/// One element received on a raw stream, with its namespace resolved by expat.
struct xml_element {
    std::string name;
    std::string ns;
    std::map<std::string, std::string> attributes;  ///< unprefixed names; xml:lang as "xml:lang"
    std::vector<xml_element> children;
    std::string text;  ///< the character data directly inside this element

    /// The first child called `name` (in `ns` unless that is empty), or nullptr.
    const xml_element* child(const std::string& child_name, const std::string& child_ns = "") const;
    /// The attribute's value, "" when absent.
    std::string attribute(const std::string& attribute_name) const;
    /// Approximate XML text, only for failure messages.
    std::string to_string() const;
};

}  // namespace starling::scenarios
