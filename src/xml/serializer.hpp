#pragma once
// The one place outgoing XML text is made: every byte sent is rebuilt from a parsed tree.

#include "xml/element.hpp"

#include <string>
#include <string_view>

namespace starling::xml {

/// Appends `text` with the five XML special characters escaped (the canonical escaper; used for
/// both character data and attribute values).
void escape(std::string_view text, std::string& out);

/// Appends the element. `parent_ns` is the default namespace in force where the element is written
/// (for a stanza on a c2s stream, "jabber:client"); an xmlns equal to it is not repeated.
void serialize(const Element& element, std::string& out, std::string_view parent_ns = {});
std::string to_string(const Element& element, std::string_view parent_ns = {});

}  // namespace starling::xml
