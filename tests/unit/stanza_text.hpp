#pragma once
// Stanzas for unit tests, written as XML text and parsed the way a c2s stream parses them.

#include "core/stanza.hpp"
#include "xml/stream_parser.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <string_view>
#include <vector>

namespace starling::test {

/// The one element `text` holds; the test fails if it does not parse or holds another number.
inline xml::ElementPtr parse_element(std::string_view text) {
    std::vector<xml::ElementPtr> parsed;
    std::string error;
    xml::ParserEvents events;
    events.on_stream_open = [](xml::StreamHeader) {};
    events.on_stanza = [&](xml::ElementPtr e) { parsed.push_back(std::move(e)); };
    events.on_stream_close = [] {};
    events.on_error = [&](xml::ParseError, std::string detail) { error = std::move(detail); };
    xml::StreamParser parser(std::move(events), {});
    parser.feed(
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    parser.feed(text);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(text), std::string(), error);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(text), std::size_t(1), parsed.size());
    return parsed.front();
}

inline StanzaPtr stanza_from(std::string_view text) {
    return make_stanza(parse_element(text));
}

}  // namespace starling::test
