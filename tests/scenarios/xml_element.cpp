#include "xml_element.hpp"

namespace starling::scenarios {

const xml_element* xml_element::child(const std::string& child_name,
                                      const std::string& child_ns) const {
    for (const auto& element : children)
        if (element.name == child_name && (child_ns.empty() || element.ns == child_ns))
            return &element;
    return nullptr;
}

std::string xml_element::attribute(const std::string& attribute_name) const {
    auto it = attributes.find(attribute_name);
    return it == attributes.end() ? "" : it->second;
}

std::string xml_element::to_string() const {
    std::string text = "<" + name + " xmlns='" + ns + "'";
    for (const auto& [key, value] : attributes) text += " " + key + "='" + value + "'";
    if (children.empty() && this->text.empty()) return text + "/>";
    text += ">" + this->text;
    for (const auto& element : children) text += element.to_string();
    return text + "</" + name + ">";
}

}  // namespace starling::scenarios
