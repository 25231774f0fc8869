#include "storage/stored_xml.hpp"

#include "xml/stream_parser.hpp"

#include <string>

namespace starling::storage {

xml::ElementPtr parse_stored_xml(std::string_view text, std::string_view default_ns) {
    xml::ElementPtr parsed;
    bool failed = false;
    xml::ParserEvents events;
    events.on_stanza = [&parsed, &failed](xml::ElementPtr element) {
        if (parsed) failed = true;  // more than one element: not what was stored
        parsed = std::move(element);
    };
    events.on_error = [&failed](xml::ParseError, std::string) { failed = true; };
    xml::ParserLimits limits;
    // The text was within the limits when it was accepted; room for the wrapper is all it needs.
    limits.max_stanza_bytes = text.size() + 1024;
    xml::StreamParser parser(std::move(events), limits);
    std::string document = "<stream:stream xmlns='";
    document += default_ns;
    document += "' xmlns:stream='http://etherx.jabber.org/streams'>";
    document += text;
    document += "</stream:stream>";
    parser.feed(document);
    if (failed) return nullptr;
    return parsed;
}

}  // namespace starling::storage
