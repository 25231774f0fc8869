#include "xml/serializer.hpp"

#include <array>

namespace starling::xml {

namespace {

// What each byte becomes: nothing (copied as is) or its replacement. Besides the five special
// characters, tab, line feed and carriage return travel as character references: a parser
// normalises them to spaces in attribute values and folds CR LF to LF in text, so writing them
// literally would not re-parse to the same tree. One table for both contexts keeps a single
// escaper. The other C0 controls cannot appear in XML 1.0 at all (a parsed tree never holds them);
// a module that puts one into a tree gets U+FFFD instead of a stream the peer must reject.
constexpr std::array<std::string_view, 256> make_replacements() {
    std::array<std::string_view, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[c] = "\xEF\xBF\xBD";
    table['\t'] = "&#9;";
    table['\n'] = "&#10;";
    table['\r'] = "&#13;";
    table['&'] = "&amp;";
    table['<'] = "&lt;";
    table['>'] = "&gt;";
    table['"'] = "&quot;";
    table['\''] = "&apos;";
    return table;
}

constexpr std::array<std::string_view, 256> replacements = make_replacements();

// The same table as one flag a byte: the scan below tests a byte, not a 16-byte string_view.
constexpr std::array<bool, 256> make_special() {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) table[c] = !replacements[c].empty();
    return table;
}

constexpr std::array<bool, 256> special = make_special();

}  // namespace

void escape(std::string_view text, std::string& out) {
    // Copy runs of plain bytes in one append; most text has no special character at all.
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (!special[byte]) continue;
        out.append(text, run_start, i - run_start);
        out += replacements[byte];
        run_start = i + 1;
    }
    out.append(text, run_start, text.size() - run_start);
}

void serialize(const Element& element, std::string& out, std::string_view ns_in_force) {
    out += '<';
    out += element.name();
    // An empty xmlns means "whatever is in force", so a stanza built without one is written
    // bare; a differing one is declared as the default namespace, never with a prefix.
    std::string_view ns = ns_in_force;
    if (!element.xmlns().empty() && element.xmlns() != ns_in_force) {
        ns = element.xmlns();
        out += " xmlns='";
        escape(ns, out);
        out += '\'';
    }
    for (const Attribute& attribute : element.attributes()) {
        // The namespace is the element's xmlns; a stray "xmlns" attribute set by a module must
        // not contradict it.
        if (attribute.name == "xmlns") continue;
        out += ' ';
        out += attribute.name;
        out += "='";
        escape(attribute.value, out);
        out += '\'';
    }
    if (element.children().empty()) {
        out += "/>";
        return;
    }
    out += '>';
    for (const Node& node : element.children()) {
        if (const auto* child = std::get_if<ElementPtr>(&node)) {
            serialize(**child, out, ns);
        } else {
            escape(std::get<std::string>(node), out);
        }
    }
    out += "</";
    out += element.name();
    out += '>';
}

std::string to_string(const Element& element, std::string_view parent_ns) {
    std::string out;
    serialize(element, out, parent_ns);
    return out;
}

}  // namespace starling::xml
