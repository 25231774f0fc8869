#pragma once
// What every inbound stream (c2s, component) sets up alike when its connection is accepted:
// who the peer is, for the log, and the restricted XML limits it starts with; and how it says
// why it ends.

#include "core/config.hpp"
#include "core/stanza.hpp"
#include "net/asio.hpp"
#include "xml/serializer.hpp"
#include "xml/stream_parser.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace starling {

/// The parser limits of a stream that has not authenticated yet (DESIGN.md, security defaults);
/// the stream raises max_stanza_bytes and max_elements to limits.stanza_bytes and
/// limits.stanza_elements once it has.
inline xml::ParserLimits preauth_parser_limits(const config::Config& config) {
    xml::ParserLimits limits;
    limits.max_stanza_bytes = config.limits.stanza_bytes_preauth;
    limits.max_depth = config.limits.max_depth;
    limits.max_attributes = config.limits.max_attributes;
    limits.max_elements = config.limits.stanza_elements_preauth;
    return limits;
}

/// Moves a stanza that arrived in `stream_ns` (jabber:component:accept, jabber:server), and its
/// children in that namespace (body, subject, error), into jabber:client, so that the rest of
/// the server sees one namespace for stanzas; payloads in their own namespaces stay as they are.
/// On the way out the cached jabber:client bytes are written unchanged: a stanza without an
/// xmlns inherits the stream's default namespace.
inline void to_client_namespace(xml::Element& element, std::string_view stream_ns) {
    if (element.xmlns() == stream_ns) element.set_xmlns(std::string(ns_client));
    for (const auto& child : element.children())
        if (const auto* e = std::get_if<xml::ElementPtr>(&child))
            to_client_namespace(**e, stream_ns);
}

/// `<stream:error>` with the defined `condition`, a `text` when given, and an application
/// condition element (RFC 6120 §4.9.4) after them; the stream's end tag is the caller's.
/// `declare_prefix` declares the stream prefix on it, for a framed stream whose every message is
/// a document of its own (RFC 7395 §3.6.1).
inline std::string stream_error_xml(std::string_view condition, std::string_view text,
                                    std::string_view app_xml = {}, bool declare_prefix = false) {
    constexpr std::string_view ns = "urn:ietf:params:xml:ns:xmpp-streams";
    std::string out = declare_prefix
                          ? "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><"
                          : "<stream:error><";
    out += condition;
    out += " xmlns='";
    out += ns;
    out += "'/>";
    if (!text.empty()) {
        auto element = xml::make_element("text", std::string(ns));
        element->add_text(text);
        out += xml::to_string(*element, "");
    }
    out += app_xml;
    out += "</stream:error>";
    return out;
}

}  // namespace starling
