#pragma once
// Incremental XMPP stream parser on expat: bytes in, stream header / stanzas / errors out.

#include "xml/element.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace starling::xml {

struct ParserLimits {
    /// Bytes one top-level element (stanza) may span, counting bytes still held in the parser.
    std::size_t max_stanza_bytes = 16 * 1024;
    /// Element depth below the stream root (the stanza itself is depth 1).
    std::size_t max_depth = 32;
    std::size_t max_attributes = 64;
    /// Elements in one stanza, the stanza itself included. Each costs far more memory than the
    /// few bytes that spell it (`<a/>`), so the byte limit alone does not bound the tree.
    std::size_t max_elements = 10000;
};

/// The stream error a parse failure maps to (RFC 6120 §4.9.3).
enum class ParseError {
    not_well_formed,    // malformed XML, invalid UTF-8, bytes after the stream closed
    restricted_xml,     // DOCTYPE, comment, processing instruction, entity declaration or reference
    policy_violation,   // a limit in ParserLimits was passed
    invalid_namespace,  // stream root not in http://etherx.jabber.org/streams, or unbound prefix
    bad_format,         // an element other than <stream:stream> at the root
};
std::string_view to_condition(ParseError error);  // "not-well-formed", "restricted-xml", ...

struct StreamHeader {
    std::string name;              // "stream" for a valid header
    std::string xmlns_stream;      // the namespace of the root element
    std::string default_ns;        // the default namespace declared on it ("jabber:client", ...)
    std::vector<Attribute> attrs;  // to, from, id, version, xml:lang ...
    std::string_view attr(std::string_view name) const;
};

struct ParserEvents {
    std::function<void(StreamHeader)> on_stream_open;
    /// A complete top-level element. Its xmlns is resolved (a stanza in the stream's default
    /// namespace carries that namespace, e.g. "jabber:client").
    std::function<void(ElementPtr)> on_stanza;
    std::function<void()> on_stream_close;
    /// A fatal error; no further events follow until reset().
    std::function<void(ParseError, std::string detail)> on_error;
};

/// One parser per stream. Feed bytes as they arrive, split anywhere. A handler may call stop()
/// (after <starttls/> or SASL success) and then nothing after that element in the same feed is
/// processed; reset() starts a fresh document for a restarted stream (called from a handler, it
/// takes effect when feed() returns and the rest of that feed is dropped). Limits persist across
/// reset(). Handlers must not destroy the parser. Tree conventions: attributes in the xml namespace
/// are named "xml:lang"; an attribute in any other namespace keeps its prefix ("p:name") and the
/// element also gets an "xmlns:p" attribute holding the namespace, so it serializes faithfully.
/// An element that undeclares the default namespace (xmlns='') under a namespaced parent is
/// refused with invalid_namespace; non-whitespace text between stanzas with bad_format.
class StreamParser {
public:
    StreamParser(ParserEvents events, ParserLimits limits);
    ~StreamParser();
    StreamParser(const StreamParser&) = delete;
    StreamParser& operator=(const StreamParser&) = delete;

    /// Parses bytes; returns false when parsing stopped (error, stop(), or stream closed).
    bool feed(std::string_view bytes);
    void stop();
    /// Frees expat's memory while the stream is between stanzas, holding no partial input; the
    /// next feed() rebuilds the parser by parsing the stream's start tag again, without a
    /// second on_stream_open. False (and nothing freed) at any other moment.
    bool release();
    void reset();
    /// True while a top-level element has begun and not ended (its start tag parsed).
    bool inside_element() const;
    void set_limits(ParserLimits limits);
    const ParserLimits& limits() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace starling::xml
