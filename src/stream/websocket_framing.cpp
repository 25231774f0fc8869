#include "stream/websocket_framing.hpp"

#include "xml/serializer.hpp"

#include <expat.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace starling::websocket_framing {
namespace {

// <open/> and <close/> are short; anything longer is not one.
constexpr std::size_t max_framing_element = 4096;
constexpr char separator = '\x01';

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

bool starts_with_tag(std::string_view text, std::string_view name) {
    if (text.size() <= name.size() + 1 || text[0] != '<' || text.substr(1, name.size()) != name)
        return false;
    const char next = text[name.size() + 1];
    return is_space(next) || next == '/' || next == '>';
}

}  // namespace

std::optional<FramingElement> read_framing(std::string_view message) {
    struct Parse {
        FramingElement element;
        int roots = 0;
    } parse;
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(
        XML_ParserCreateNS("UTF-8", separator), &XML_ParserFree);
    if (!parser) return std::nullopt;
    XML_SetUserData(parser.get(), &parse);
    XML_SetStartElementHandler(parser.get(), [](void* data, const XML_Char* name,
                                                const XML_Char** attributes) {
        auto& parse = *static_cast<Parse*>(data);
        if (++parse.roots != 1) return;
        const std::string qualified(name);
        const std::string prefix = std::string(ns_framing) + separator;
        if (qualified.rfind(prefix, 0) != 0) return;
        parse.element.name = qualified.substr(prefix.size());
        for (auto* a = attributes; *a; a += 2) {
            std::string attribute(a[0]);
            const std::string xml_prefix = std::string("http://www.w3.org/XML/1998/namespace") +
                                           separator;
            if (attribute.rfind(xml_prefix, 0) == 0)
                attribute = "xml:" + attribute.substr(xml_prefix.size());
            else if (attribute.find(separator) != std::string::npos)
                continue;  // another namespace's: nothing the stream header carries
            parse.element.attributes.emplace_back(std::move(attribute), a[1]);
        }
    });
    // Anything but one empty element (a DOCTYPE, a child) is not a framing element.
    XML_SetCharacterDataHandler(parser.get(), [](void* data, const XML_Char*, int) {
        ++static_cast<Parse*>(data)->roots;
    });
    XML_SetStartDoctypeDeclHandler(parser.get(), [](void* data, const XML_Char*, const XML_Char*,
                                                    const XML_Char*, int) {
        static_cast<Parse*>(data)->roots += 2;
    });
    if (XML_Parse(parser.get(), message.data(), static_cast<int>(message.size()), XML_TRUE) !=
            XML_STATUS_OK ||
        parse.roots != 1 || parse.element.name.empty())
        return std::nullopt;
    return std::move(parse.element);
}

std::string inbound(std::string_view message) {
    const std::string_view text = trimmed(message);
    if (text.size() > max_framing_element ||
        !(starts_with_tag(text, "open") || starts_with_tag(text, "close")))
        return std::string(message);
    const auto element = read_framing(text);
    if (!element) return std::string(message);
    if (element->name == "close") return "</stream:stream>";
    if (element->name != "open") return std::string(message);
    std::string out =
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'";
    for (const auto& [name, value] : element->attributes) {
        if (name == "xmlns" || name.rfind("xmlns:", 0) == 0) continue;
        out += ' ';
        out += name;
        out += "='";
        xml::escape(value, out);
        out += '\'';
    }
    out += '>';
    return out;
}

std::string outbound(std::string_view element) {
    // The start tag's name and attributes, read as the serializer writes them (every value
    // quoted, the quote character escaped inside it).
    if (element.size() < 2 || element[0] != '<') return std::string(element);
    std::size_t i = 1;
    while (i < element.size() && !is_space(element[i]) && element[i] != '/' && element[i] != '>')
        ++i;
    const std::size_t name_end = i;
    if (element.substr(1, name_end - 1).find(':') != std::string_view::npos)
        return std::string(element);  // prefixed (stream:features, stream:error): declared
    while (i < element.size()) {
        while (i < element.size() && is_space(element[i])) ++i;
        if (i >= element.size() || element[i] == '/' || element[i] == '>') break;
        const std::size_t name_start = i;
        while (i < element.size() && element[i] != '=' && !is_space(element[i])) ++i;
        const std::string_view name = element.substr(name_start, i - name_start);
        while (i < element.size() && element[i] != '\'' && element[i] != '"') ++i;
        if (i >= element.size()) break;
        const char quote = element[i];
        const std::size_t close = element.find(quote, i + 1);
        if (close == std::string_view::npos) break;
        if (name == "xmlns") return std::string(element);
        i = close + 1;
    }
    std::string out;
    out.reserve(element.size() + 24);
    out.append(element.substr(0, name_end));
    out += " xmlns='jabber:client'";
    out.append(element.substr(name_end));
    return out;
}

}  // namespace starling::websocket_framing
