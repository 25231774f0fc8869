// Hostile input the parser must refuse (RFC 6120 §11): DTDs and entities, comments, processing
// instructions, invalid UTF-8 and control characters.
#include "xml/stream_parser.hpp"

#include "parser_harness.hpp"

#include <cppunit/extensions/HelperMacros.h>

using starling::xml::test::client_header;
using starling::xml::test::ParserHarness;

namespace {

using Log = std::vector<std::string>;

const Log open_then(const std::string& error) { return {"open jabber:client", "error " + error}; }

const std::string billion_laughs =
    "<?xml version='1.0'?>"
    "<!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
    "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
    "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
    "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>"
    "<!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>"
    "<!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>"
    "<!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>"
    "<!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>"
    "<!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>]>"
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    "<message><body>&lol9;</body></message>";

// A stanza whose body holds `bytes`, after a valid header.
Log log_for_body(const std::string& bytes) {
    ParserHarness harness;
    harness.feed_after_header("<message><body>" + bytes + "</body></message>");
    return harness.log;
}

}  // namespace

class RestrictedXmlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RestrictedXmlTest);
    CPPUNIT_TEST(billion_laughs_is_refused_before_expansion);
    CPPUNIT_TEST(doctype_is_restricted);
    CPPUNIT_TEST(internal_entity_is_restricted);
    CPPUNIT_TEST(unknown_entity_is_restricted);
    CPPUNIT_TEST(predefined_and_numeric_references_are_allowed);
    CPPUNIT_TEST(comments_are_restricted);
    CPPUNIT_TEST(processing_instructions_are_restricted);
    CPPUNIT_TEST(invalid_utf8_is_not_well_formed);
    CPPUNIT_TEST(invalid_utf8_split_across_feeds);
    CPPUNIT_TEST(control_characters_are_not_well_formed);
    CPPUNIT_TEST(declared_encoding_cannot_replace_utf8);
    CPPUNIT_TEST_SUITE_END();

public:
    void billion_laughs_is_refused_before_expansion() {
        ParserHarness harness;
        CPPUNIT_ASSERT(!harness.feed(billion_laughs));
        CPPUNIT_ASSERT((harness.log == Log{"error restricted-xml"}));
        CPPUNIT_ASSERT(harness.stanzas.empty());

        ParserHarness split;
        for (char c : billion_laughs) split.feed(std::string_view(&c, 1));
        CPPUNIT_ASSERT((split.log == Log{"error restricted-xml"}));
    }

    void doctype_is_restricted() {
        ParserHarness harness;
        harness.feed("<?xml version='1.0'?><!DOCTYPE stream:stream SYSTEM 'http://x/s.dtd'>");
        CPPUNIT_ASSERT((harness.log == Log{"error restricted-xml"}));

        ParserHarness plain;
        plain.feed("<!DOCTYPE stream>");
        CPPUNIT_ASSERT((plain.log == Log{"error restricted-xml"}));
    }

    void internal_entity_is_restricted() {
        ParserHarness harness;
        harness.feed("<!DOCTYPE s [<!ENTITY name 'Juliet'>]><stream:stream xmlns='jabber:client' "
                     "xmlns:stream='http://etherx.jabber.org/streams'><presence>&name;</presence>");
        CPPUNIT_ASSERT((harness.log == Log{"error restricted-xml"}));
    }

    void unknown_entity_is_restricted() {
        CPPUNIT_ASSERT(log_for_body("&foo;") == open_then("restricted-xml"));

        ParserHarness in_attribute;
        in_attribute.feed_after_header("<message to='&nbsp;'/>");
        CPPUNIT_ASSERT(in_attribute.log == open_then("restricted-xml"));
    }

    void predefined_and_numeric_references_are_allowed() {
        ParserHarness harness;
        harness.feed_after_header("<message id='&quot;&apos;&#x41;'><body>&lt;&gt;&amp;&quot;"
                                  "&apos;&#65;&#x263A;&#128512;</body></message>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), harness.count_errors());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.stanzas.size());
        CPPUNIT_ASSERT_EQUAL(std::string("\"'A"), std::string(harness.stanzas[0]->attr("id")));
        CPPUNIT_ASSERT_EQUAL(std::string("<>&\"'A\xE2\x98\xBA\xF0\x9F\x98\x80"),
                             harness.stanzas[0]->child_text("body"));
    }

    void comments_are_restricted() {
        ParserHarness prolog;
        prolog.feed("<!-- hello --><stream:stream xmlns='jabber:client' "
                    "xmlns:stream='http://etherx.jabber.org/streams'>");
        CPPUNIT_ASSERT((prolog.log == Log{"error restricted-xml"}));

        CPPUNIT_ASSERT(log_for_body("a<!-- b -->c") == open_then("restricted-xml"));

        ParserHarness between;
        between.feed_after_header("<!--x--><presence/>");
        CPPUNIT_ASSERT(between.log == open_then("restricted-xml"));
    }

    void processing_instructions_are_restricted() {
        ParserHarness prolog;
        prolog.feed("<?xml version='1.0'?><?xml-stylesheet href='a.xsl'?>");
        CPPUNIT_ASSERT((prolog.log == Log{"error restricted-xml"}));

        CPPUNIT_ASSERT(log_for_body("<?php echo 1; ?>") == open_then("restricted-xml"));

        // A second XML declaration is a misplaced one, not an allowed declaration.
        CPPUNIT_ASSERT(log_for_body("<?xml version='1.0'?>") == open_then("not-well-formed"));
    }

    void invalid_utf8_is_not_well_formed() {
        const std::vector<std::string> invalid = {
            "\xC0\xAF",          // overlong '/'
            "\xE0\x80\xAF",      // overlong '/', three bytes
            "\xF0\x80\x80\xAF",  // overlong '/', four bytes
            "\xED\xA0\x80",      // U+D800, a surrogate
            "\xED\xBF\xBF",      // U+DFFF
            "\xF4\x90\x80\x80",  // beyond U+10FFFF
            "\xC3",              // truncated before '<'
            "\xE2\x98",          // truncated three-byte sequence
            "\x80",              // lone continuation byte
            "\xFF",
            "\xEF\xBF\xBE",  // U+FFFE, not an XML character
        };
        for (const std::string& bytes : invalid) {
            CPPUNIT_ASSERT_MESSAGE("body bytes of length " + std::to_string(bytes.size()),
                                   log_for_body("ok " + bytes) == open_then("not-well-formed"));
        }

        ParserHarness in_name;
        in_name.feed_after_header("<mess\xC0\xAF" "age/>");
        CPPUNIT_ASSERT(in_name.log == open_then("not-well-formed"));
    }

    void invalid_utf8_split_across_feeds() {
        // A valid sequence split between reads is fine; a surrogate split between reads is not.
        ParserHarness valid;
        valid.feed_after_header("<message><body>caf\xC3");
        valid.feed("\xA9</body></message>");
        CPPUNIT_ASSERT_EQUAL(std::string("caf\xC3\xA9"), valid.stanzas.at(0)->child_text("body"));

        ParserHarness surrogate;
        surrogate.feed_after_header("<message><body>\xED");
        surrogate.feed("\xA0");
        surrogate.feed("\x80</body></message>");
        CPPUNIT_ASSERT(surrogate.log == open_then("not-well-formed"));
    }

    void control_characters_are_not_well_formed() {
        CPPUNIT_ASSERT(log_for_body("bell\x07") == open_then("not-well-formed"));
        CPPUNIT_ASSERT(log_for_body("escape\x1B[0m") == open_then("not-well-formed"));
        CPPUNIT_ASSERT(log_for_body(std::string("nul\0", 4)) == open_then("not-well-formed"));
        CPPUNIT_ASSERT(log_for_body("&#1;") == open_then("not-well-formed"));
        CPPUNIT_ASSERT(log_for_body("&#0;") == open_then("not-well-formed"));

        ParserHarness in_attribute;
        in_attribute.feed_after_header("<message id='a\x01'/>");
        CPPUNIT_ASSERT(in_attribute.log == open_then("not-well-formed"));
    }

    void declared_encoding_cannot_replace_utf8() {
        // 0xE9 is 'é' in ISO-8859-1 but an invalid byte in UTF-8, which the parser insists on.
        ParserHarness harness;
        harness.feed("<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream "
                     "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                     "<message><body>caf\xE9</body></message>");
        CPPUNIT_ASSERT(harness.stanzas.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.count_errors());
        CPPUNIT_ASSERT_EQUAL(std::string("error not-well-formed"), harness.log.back());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RestrictedXmlTest);
