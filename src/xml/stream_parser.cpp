#include "xml/stream_parser.hpp"

#include <expat.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <unordered_map>

namespace starling::xml {

namespace {

// 0xFF never occurs in UTF-8, so it cannot clash with anything in a namespace name or local name.
constexpr char separator = '\xFF';
constexpr std::string_view streams_ns = "http://etherx.jabber.org/streams";
constexpr std::string_view xml_ns = "http://www.w3.org/XML/1998/namespace";
// Bytes handed to expat per call: the stanza limit is also checked between calls, so a single
// huge read cannot make expat buffer far more than the limit before it trips.
constexpr std::size_t chunk_bytes = 16 * 1024;
// Distinct namespace names a parser keeps shared copies of; past it the table starts afresh
// (elements keep the copies they hold).
constexpr std::size_t max_interned_namespaces = 64;

// An expat name in namespace mode with triplets on: "uri<sep>local<sep>prefix", where uri and
// prefix are absent for names in no namespace and prefix is absent for default-namespace names.
struct ExpandedName {
    std::string_view uri;
    std::string_view local;
    std::string_view prefix;
};

ExpandedName split_name(const XML_Char* raw) {
    const std::string_view name(raw);
    const std::size_t first = name.find(separator);
    if (first == std::string_view::npos) return {{}, name, {}};
    const std::size_t second = name.find(separator, first + 1);
    if (second == std::string_view::npos) {
        return {name.substr(0, first), name.substr(first + 1), {}};
    }
    return {name.substr(0, first), name.substr(first + 1, second - first - 1),
            name.substr(second + 1)};
}

std::size_t count_attributes(const XML_Char** atts) {
    std::size_t count = 0;
    while (atts[count * 2] != nullptr) ++count;
    return count;
}

// Attributes in the xml namespace keep the reserved "xml:" prefix. Any other namespaced
// attribute keeps its prefix too, and the prefix's declaration travels with it as an
// "xmlns:prefix" attribute on the same element, so the serializer (which writes attributes as
// named) produces XML that re-parses to the same expanded names.
// Returns how many bytes of namespace names were copied into "xmlns:prefix" attributes: bytes
// the tree holds that the peer did not send for this element.
template <typename SetAttribute>
std::size_t convert_attributes(const XML_Char** atts, SetAttribute&& set) {
    std::size_t copied = 0;
    for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
        const ExpandedName name = split_name(atts[i]);
        const std::string_view value(atts[i + 1]);
        if (name.uri.empty()) {
            set(name.local, value);
        } else if (name.uri == xml_ns) {
            set("xml:" + std::string(name.local), value);
        } else {
            set("xmlns:" + std::string(name.prefix), name.uri);
            copied += name.uri.size();
            set(std::string(name.prefix) + ":" + std::string(name.local), value);
        }
    }
    return copied;
}

bool is_whitespace(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

ParseError classify(XML_Error code) {
    switch (code) {
        case XML_ERROR_UNDEFINED_ENTITY:
            // Without a DTD only the five predefined entities exist; any other reference is one of
            // the constructs RFC 6120 §11.1 forbids rather than mere bad syntax.
            return ParseError::restricted_xml;
        case XML_ERROR_UNBOUND_PREFIX:
            return ParseError::invalid_namespace;
        default:
            return ParseError::not_well_formed;
    }
}

}  // namespace

std::string_view to_condition(ParseError error) {
    switch (error) {
        case ParseError::not_well_formed:
            return "not-well-formed";
        case ParseError::restricted_xml:
            return "restricted-xml";
        case ParseError::policy_violation:
            return "policy-violation";
        case ParseError::invalid_namespace:
            return "invalid-namespace";
        case ParseError::bad_format:
            return "bad-format";
    }
    return "undefined-condition";
}

std::string_view StreamHeader::attr(std::string_view name) const {
    for (const Attribute& attribute : attrs) {
        if (attribute.name == name) return attribute.value;
    }
    return {};
}

struct StreamParser::Impl {
    ParserEvents events;
    ParserLimits limits;
    XML_Parser parser;

    // Open elements, the stream root included: 1 between stanzas, 2 inside a stanza's top element.
    std::size_t depth = 0;
    ElementPtr stanza;
    std::vector<Element*> open;  // the stanza's open elements, innermost last
    std::string stream_default_ns;
    std::string pending_default_ns;  // declared by the start tag being parsed
    std::size_t pending_declarations = 0;

    // Byte offsets in the document: everything handed to expat, and where the current stanza (or
    // the gap after the previous one) began. Their difference is what the stanza limit bounds,
    // which counts bytes expat still holds in an unfinished start tag or attribute value.
    std::uint64_t fed = 0;
    std::uint64_t stanza_start = 0;
    // What the current stanza's tree holds beyond the bytes that spell it: its element count,
    // and namespace names copied into the attributes of prefixed attributes, which count
    // towards the stanza's byte limit as if they had been sent.
    std::size_t elements = 0;
    std::uint64_t copied_bytes = 0;
    // Namespace names in use, each held once however many elements are in it; bounded, and
    // every name in it was declared in bytes the peer sent.
    std::unordered_map<std::string_view, Namespace> namespaces;
    Namespace stream_ns;  // the stream's default namespace, shared

    // The stream's start tag as the peer sent it, so that a parser released between stanzas
    // (release()) can be rebuilt by parsing it again; empty when it could not be kept.
    std::string header_tag;
    bool replaying = false;
    std::string_view chunk;          // what the current XML_Parse call is given
    std::uint64_t chunk_offset = 0;  // where it starts in the document  // parsing header_tag
                                     // again: the stream is not opened twice

    bool in_feed = false;
    bool halted = false;  // an error or stop(): no more events until reset()
    bool closed = false;  // </stream:stream> seen; only trailing whitespace may follow
    bool reset_requested = false;

    Impl(ParserEvents events_in, ParserLimits limits_in)
        : events(std::move(events_in)), limits(limits_in), parser(nullptr) {
        create();
    }
    ~Impl() {
        if (parser != nullptr) XML_ParserFree(parser);
    }

    void create() {
        parser = XML_ParserCreateNS("UTF-8", separator);
        if (parser == nullptr) throw std::bad_alloc();
        configure();
    }

    // A parser between stanzas holds the stream's namespace context and nothing else of use,
    // yet expat keeps ~10 KiB of tables and buffers per parser: an idle stream gives them back.
    bool release() {
        if (parser == nullptr) return true;
        if (in_feed || halted || closed || depth != 1 || stanza_start != fed || header_tag.empty())
            return false;
        XML_ParserFree(parser);
        parser = nullptr;
        std::unordered_map<std::string_view, Namespace>().swap(namespaces);
        stream_ns.reset();  // made again when the start tag is parsed again
        return true;
    }

    // Before the next bytes of a released stream: a fresh parser re-reads the start tag.
    bool rebuild() {
        create();
        depth = 0;  // the replayed start tag opens the stream again
        replaying = true;
        in_feed = true;
        const XML_Status status =
            XML_Parse(parser, header_tag.data(), static_cast<int>(header_tag.size()), XML_FALSE);
        in_feed = false;
        replaying = false;
        fed = stanza_start = header_tag.size();
        if (status == XML_STATUS_OK && depth == 1) return true;
        fail(ParseError::not_well_formed, "the stream header could not be parsed again");
        return false;
    }

    // Everything XML_ParserReset clears. The encoding is forced to UTF-8 (RFC 6120 §11.6) so an
    // encoding declaration cannot switch expat to another charset.
    void configure() {
        XML_SetUserData(parser, this);
        XML_SetReturnNSTriplet(parser, XML_TRUE);
        // Without this, expat 2.6 defers a large token until more bytes arrive, which would
        // delay a stanza that is already complete.
#if HAVE_DECL_XML_SETREPARSEDEFERRALENABLED
        XML_SetReparseDeferralEnabled(parser, XML_FALSE);
#endif
        XML_SetElementHandler(parser, &Impl::start_element, &Impl::end_element);
        XML_SetCharacterDataHandler(parser, &Impl::character_data);
        XML_SetStartNamespaceDeclHandler(parser, &Impl::namespace_declaration);
        XML_SetCommentHandler(parser, &Impl::comment);
        XML_SetProcessingInstructionHandler(parser, &Impl::processing_instruction);
        // Rejecting the DOCTYPE as it opens means no entity is ever declared, so entity
        // expansion attacks (billion laughs) never start.
        XML_SetStartDoctypeDeclHandler(parser, &Impl::doctype);
    }

    void restart() {
        if (parser == nullptr) {
            create();
        } else {
            XML_ParserReset(parser, "UTF-8");
            configure();
        }
        header_tag.clear();
        depth = 0;
        stanza.reset();
        open.clear();
        stream_default_ns.clear();
        pending_default_ns.clear();
        pending_declarations = 0;
        fed = 0;
        stanza_start = 0;
        elements = 0;
        copied_bytes = 0;
        namespaces.clear();
        stream_ns.reset();
        halted = closed = reset_requested = false;
    }

    void halt() {
        halted = true;
        if (in_feed) XML_StopParser(parser, XML_FALSE);
    }

    void fail(ParseError error, std::string detail) {
        if (halted) return;
        halt();
        if (events.on_error) events.on_error(error, std::move(detail));
    }

    void report_expat_error() {
        const XML_Error code = XML_GetErrorCode(parser);
        // Aborted means one of our handlers stopped the parser and has already said why.
        if (code == XML_ERROR_ABORTED) return;
        fail(classify(code), std::string(XML_ErrorString(code)) + " at line " +
                                 std::to_string(XML_GetCurrentLineNumber(parser)) + ", column " +
                                 std::to_string(XML_GetCurrentColumnNumber(parser)));
    }

    std::uint64_t event_end() const {
        return static_cast<std::uint64_t>(XML_GetCurrentByteIndex(parser)) +
               static_cast<std::uint64_t>(XML_GetCurrentByteCount(parser));
    }

    bool check_stanza_size(std::uint64_t end) {
        if (end - stanza_start + copied_bytes <= limits.max_stanza_bytes) return true;
        fail(ParseError::policy_violation,
             "stanza larger than " + std::to_string(limits.max_stanza_bytes) + " bytes");
        return false;
    }

    bool check_attribute_count(const XML_Char** atts) {
        // Namespace declarations are attributes in the byte stream, so they count as well.
        const std::size_t count = count_attributes(atts) + pending_declarations;
        pending_declarations = 0;
        if (count <= limits.max_attributes) return true;
        fail(ParseError::policy_violation,
             "element with more than " + std::to_string(limits.max_attributes) + " attributes");
        return false;
    }

    void open_stream(const ExpandedName& name, const XML_Char** atts) {
        if (name.local != "stream") {
            fail(ParseError::bad_format,
                 "the stream root is <" + std::string(name.local) + ">, not <stream:stream>");
            return;
        }
        if (name.uri != streams_ns) {
            fail(ParseError::invalid_namespace,
                 "the stream root is in namespace '" + std::string(name.uri) + "'");
            return;
        }
        if (!check_attribute_count(atts)) return;
        StreamHeader header;
        header.name = name.local;
        header.xmlns_stream = name.uri;
        header.default_ns = pending_default_ns;
        convert_attributes(atts, [&](std::string_view attr_name, std::string_view value) {
            for (Attribute& attribute : header.attrs) {
                if (attribute.name == attr_name) return;
            }
            header.attrs.push_back(Attribute{std::string(attr_name), std::string(value)});
        });
        depth = 1;
        stream_default_ns = pending_default_ns;
        stream_ns = make_namespace(stream_default_ns);
        stanza_start = event_end();
        if (replaying) return;
        keep_header_tag();
        if (events.on_stream_open) events.on_stream_open(std::move(header));
    }

    // The tag is copied from the bytes being fed (expat's own input context is not there when
    // it parses straight from the caller's buffer); a tag split over two feeds is not kept.
    void keep_header_tag() {
        const auto index = static_cast<std::uint64_t>(XML_GetCurrentByteIndex(parser));
        const auto length = static_cast<std::uint64_t>(XML_GetCurrentByteCount(parser));
        if (length > 0 && index >= chunk_offset && index + length <= chunk_offset + chunk.size())
            header_tag.assign(chunk.substr(index - chunk_offset, length));
    }

    // The shared copy of namespace `uri` (null for none).
    // The shared copy of namespace `uri` (null for none). Most elements are in their parent's
    // namespace, and most stanzas in the stream's: those are compared, not hashed.
    Namespace intern(std::string_view uri) {
        if (uri.empty()) return nullptr;
        const Namespace& nearest = open.empty() ? stream_ns : open.back()->shared_xmlns();
        if (nearest && *nearest == uri) return nearest;
        if (auto found = namespaces.find(uri); found != namespaces.end()) return found->second;
        if (namespaces.size() >= max_interned_namespaces) namespaces.clear();
        Namespace shared = make_namespace(std::string(uri));
        namespaces.emplace(*shared, shared);
        return shared;
    }

    void open_element(const ExpandedName& name, const XML_Char** atts) {
        if (depth == 1) {
            stanza_start = static_cast<std::uint64_t>(XML_GetCurrentByteIndex(parser));
            elements = 0;
            copied_bytes = 0;
        }
        ++depth;
        if (depth - 1 > limits.max_depth) {
            fail(ParseError::policy_violation,
                 "elements nested deeper than " + std::to_string(limits.max_depth));
            return;
        }
        if (++elements > limits.max_elements) {
            fail(ParseError::policy_violation,
                 "stanza with more than " + std::to_string(limits.max_elements) + " elements");
            return;
        }
        if (!check_attribute_count(atts) || !check_stanza_size(event_end())) return;
        // The tree cannot say "no namespace" under a namespaced parent (an empty xmlns means
        // "inherited"), so undeclaring the default namespace is refused rather than misread.
        const std::string_view in_force = depth == 2 ? stream_default_ns : open.back()->xmlns();
        if (name.uri.empty() && !in_force.empty()) {
            fail(ParseError::invalid_namespace,
                 "<" + std::string(name.local) + "> undeclares the default namespace");
            return;
        }
        // The xml prefix's namespace is for attributes (xml:lang). An element in it could not be
        // written out again: that namespace may not be declared as a default one, so the
        // recipient's parser would fail on what this server sent (found by stored_xml_fuzz).
        if (name.uri == xml_ns) {
            fail(ParseError::invalid_namespace,
                 "<xml:" + std::string(name.local) + "> is an element in the xml namespace");
            return;
        }
        Element* element;
        if (depth == 2) {
            stanza = std::make_shared<Element>(std::string(name.local), intern(name.uri));
            element = stanza.get();
        } else {
            element = &open.back()->add_child(std::string(name.local), intern(name.uri));
        }
        open.push_back(element);
        copied_bytes +=
            convert_attributes(atts, [element](std::string_view attr_name, std::string_view value) {
                element->set_attr(attr_name, value);
            });
        check_stanza_size(event_end());
    }

    static void start_element(void* data, const XML_Char* raw_name, const XML_Char** atts) {
        auto& self = *static_cast<Impl*>(data);
        if (self.halted) return;
        const ExpandedName name = split_name(raw_name);
        if (self.depth == 0) {
            self.open_stream(name, atts);
        } else {
            self.open_element(name, atts);
        }
        self.pending_default_ns.clear();
    }

    static void end_element(void* data, const XML_Char*) {
        auto& self = *static_cast<Impl*>(data);
        if (self.halted) return;
        if (self.depth == 1) {
            // Expat goes on parsing the epilogue, so anything but whitespace after the close is
            // still reported as not well-formed.
            self.depth = 0;
            self.closed = true;
            if (self.events.on_stream_close) self.events.on_stream_close();
            return;
        }
        --self.depth;
        self.open.pop_back();
        if (self.depth > 1) return;
        const std::uint64_t end = self.event_end();
        if (!self.check_stanza_size(end)) return;
        self.stanza_start = end;
        ElementPtr complete = std::move(self.stanza);
        if (self.events.on_stanza) self.events.on_stanza(std::move(complete));
    }

    static void character_data(void* data, const XML_Char* text, int length) {
        auto& self = *static_cast<Impl*>(data);
        if (self.halted) return;
        const std::string_view run(text, static_cast<std::size_t>(length));
        if (self.depth == 1) {
            // Whitespace between stanzas is a keepalive: it ends the previous stanza's span so
            // hours of keepalives never add up to a "stanza" over the limit.
            if (!is_whitespace(run)) {
                self.fail(ParseError::bad_format, "character data between stanzas");
                return;
            }
            self.stanza_start = self.event_end();
            return;
        }
        if (!self.check_stanza_size(self.event_end())) return;
        self.open.back()->add_text(run);
    }

    static void namespace_declaration(void* data, const XML_Char* prefix, const XML_Char* uri) {
        auto& self = *static_cast<Impl*>(data);
        if (self.halted) return;
        ++self.pending_declarations;
        if (prefix == nullptr) self.pending_default_ns = uri != nullptr ? uri : "";
    }

    static void comment(void* data, const XML_Char*) {
        static_cast<Impl*>(data)->fail(ParseError::restricted_xml, "comment");
    }

    static void processing_instruction(void* data, const XML_Char* target, const XML_Char*) {
        static_cast<Impl*>(data)->fail(ParseError::restricted_xml,
                                       "processing instruction <?" + std::string(target) + "?>");
    }

    static void doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        static_cast<Impl*>(data)->fail(ParseError::restricted_xml, "document type declaration");
    }
};

StreamParser::StreamParser(ParserEvents events, ParserLimits limits)
    : impl_(std::make_unique<Impl>(std::move(events), limits)) {}

StreamParser::~StreamParser() = default;

bool StreamParser::feed(std::string_view bytes) {
    Impl& p = *impl_;
    if (p.parser == nullptr && !bytes.empty() && !p.rebuild()) return false;
    while (!bytes.empty() && !p.halted) {
        const std::size_t size = std::min(bytes.size(), chunk_bytes);
        p.in_feed = true;
        p.chunk = bytes.substr(0, size);
        p.chunk_offset = p.fed;
        const XML_Status status =
            XML_Parse(p.parser, bytes.data(), static_cast<int>(size), XML_FALSE);
        p.in_feed = false;
        p.fed += size;
        bytes.remove_prefix(size);
        if (status != XML_STATUS_OK) {
            p.report_expat_error();
        } else if (!p.closed) {
            p.check_stanza_size(p.fed);
        }
    }
    if (p.reset_requested) {
        p.restart();
        return false;
    }
    return !p.halted && !p.closed;
}

void StreamParser::stop() {
    impl_->halt();
}

bool StreamParser::release() {
    return impl_->release();
}

void StreamParser::reset() {
    // Expat cannot be reset from inside its own callback; a reset asked for by a handler takes
    // effect when feed() returns, and the rest of that feed belongs to the old document.
    if (impl_->in_feed) {
        impl_->reset_requested = true;
        impl_->halt();
        return;
    }
    impl_->restart();
}

void StreamParser::set_limits(ParserLimits limits) {
    impl_->limits = limits;
}

bool StreamParser::inside_element() const {
    return impl_->depth > 1;
}

const ParserLimits& StreamParser::limits() const {
    return impl_->limits;
}

}  // namespace starling::xml
