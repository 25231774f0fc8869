#pragma once
// Stored stanzas and documents are kept as XML text; this turns such text back into a tree with
// the same restricted-XML parser the streams use, so stored text is never trusted more than input.

#include "xml/element.hpp"

#include <string_view>

namespace starling::storage {

/// Parses one element written by xml::to_string(element, default_ns); null when it is not one
/// well-formed element. Its namespace is resolved against `default_ns`.
xml::ElementPtr parse_stored_xml(std::string_view text, std::string_view default_ns);

}  // namespace starling::storage
