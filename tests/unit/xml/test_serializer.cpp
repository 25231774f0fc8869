// Serializer: the canonical escaper, namespace declarations only where they change, and round
// trips through the stream parser back to the same tree.
#include "xml/serializer.hpp"

#include "parser_harness.hpp"

#include <cppunit/extensions/HelperMacros.h>

using starling::xml::Element;
using starling::xml::ElementPtr;
using starling::xml::escape;
using starling::xml::make_element;
using starling::xml::to_string;
using starling::xml::test::ParserHarness;
using starling::xml::test::same_tree;

namespace {

std::string escaped(std::string_view text) {
    std::string out;
    escape(text, out);
    return out;
}

// Serializes the stanza as a c2s stream would, parses it back and returns the parsed tree.
ElementPtr reparse(const Element& stanza) {
    ParserHarness harness;
    harness.feed_after_header(to_string(stanza, "jabber:client"));
    CPPUNIT_ASSERT_EQUAL(std::size_t(0), harness.count_errors());
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.stanzas.size());
    return harness.stanzas[0];
}

}  // namespace

class SerializerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SerializerTest);
    CPPUNIT_TEST(escapes_the_five_special_characters);
    CPPUNIT_TEST(escapes_whitespace_controls_and_replaces_invalid_ones);
    CPPUNIT_TEST(leaves_utf8_untouched);
    CPPUNIT_TEST(omits_the_namespace_in_force);
    CPPUNIT_TEST(declares_a_namespace_only_where_it_changes);
    CPPUNIT_TEST(writes_empty_elements_self_closed);
    CPPUNIT_TEST(ignores_a_stray_xmlns_attribute);
    CPPUNIT_TEST(round_trips_a_built_tree);
    CPPUNIT_TEST(round_trips_parsed_input);
    CPPUNIT_TEST_SUITE_END();

public:
    void escapes_the_five_special_characters() {
        CPPUNIT_ASSERT_EQUAL(std::string("a&amp;b&lt;c&gt;d&quot;e&apos;f"),
                             escaped("a&b<c>d\"e'f"));
        CPPUNIT_ASSERT_EQUAL(std::string("&lt;/body&gt;&lt;message&gt;"),
                             escaped("</body><message>"));
        CPPUNIT_ASSERT_EQUAL(std::string("plain"), escaped("plain"));
        CPPUNIT_ASSERT_EQUAL(std::string(), escaped(""));

        std::string out = "kept:";
        escape("&", out);
        CPPUNIT_ASSERT_EQUAL(std::string("kept:&amp;"), out);
    }

    void escapes_whitespace_controls_and_replaces_invalid_ones() {
        CPPUNIT_ASSERT_EQUAL(std::string("a&#9;b&#10;c&#13;d"), escaped("a\tb\nc\rd"));
        CPPUNIT_ASSERT_EQUAL(std::string("x\xEF\xBF\xBDy\xEF\xBF\xBD"),
                             escaped(std::string("x\x01y\0", 4)));
    }

    void leaves_utf8_untouched() {
        CPPUNIT_ASSERT_EQUAL(std::string("caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80"),
                             escaped("caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80"));
    }

    void omits_the_namespace_in_force() {
        Element message("message", "jabber:client");
        message.set_attr("to", "juliet@example.com").set_attr("type", "chat");
        message.add_child("body").add_text("Art thou not Romeo?");
        CPPUNIT_ASSERT_EQUAL(
            std::string("<message to='juliet@example.com' type='chat'>"
                        "<body>Art thou not Romeo?</body></message>"),
            to_string(message, "jabber:client"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("<message xmlns='jabber:client' to='juliet@example.com' type='chat'>"
                        "<body>Art thou not Romeo?</body></message>"),
            to_string(message));

        // Built without a namespace, a stanza takes whatever is in force where it is written.
        ElementPtr presence = make_element("presence", "");
        CPPUNIT_ASSERT_EQUAL(std::string("<presence/>"), to_string(*presence, "jabber:server"));
    }

    void declares_a_namespace_only_where_it_changes() {
        Element iq("iq", "jabber:client");
        iq.set_attr("type", "result");
        Element& query = iq.add_child("query", "jabber:iq:roster");
        query.add_child("item").set_attr("jid", "nurse@example.com");
        query.add_child("note", "jabber:client");
        CPPUNIT_ASSERT_EQUAL(
            std::string("<iq type='result'><query xmlns='jabber:iq:roster'>"
                        "<item jid='nurse@example.com'/><note xmlns='jabber:client'/>"
                        "</query></iq>"),
            to_string(iq, "jabber:client"));
    }

    void writes_empty_elements_self_closed() {
        Element starttls("starttls", "urn:ietf:params:xml:ns:xmpp-tls");
        CPPUNIT_ASSERT_EQUAL(std::string("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
                             to_string(starttls, "jabber:client"));
        starttls.add_text("");
        CPPUNIT_ASSERT_EQUAL(std::string("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
                             to_string(starttls, "jabber:client"));
    }

    void ignores_a_stray_xmlns_attribute() {
        Element message("message", "jabber:client");
        message.set_attr("xmlns", "jabber:server").set_attr("id", "a'1");
        CPPUNIT_ASSERT_EQUAL(std::string("<message id='a&apos;1'/>"),
                             to_string(message, "jabber:client"));
    }

    void round_trips_a_built_tree() {
        Element message("message", "jabber:client");
        message.set_attr("to", "j\xC3\xBCliet@example.com/balcony")
            .set_attr("id", "<'&\">")
            .set_attr("xml:lang", "de")
            .set_attr("note", "line one\nline two\ttabbed\r");
        message.add_child("body").add_text("5 < 6 && 7 > 3 \"quoted\" 'single' \xE2\x98\x83\r\n");
        Element& x = message.add_child("x", "urn:example:outer");
        x.add_text("before");
        x.add_child("inner", "jabber:client").add_text("back in the stream namespace");
        x.add_text("after");
        x.add_child("deeper").add_child("deepest", "urn:example:other");

        ElementPtr parsed = reparse(message);
        CPPUNIT_ASSERT(same_tree(message, *parsed));
        CPPUNIT_ASSERT_EQUAL(std::string("de"), std::string(parsed->attr("xml:lang")));
        CPPUNIT_ASSERT_EQUAL(std::string("urn:example:outer"),
                             parsed->child("x")->child("deeper")->xmlns());
        CPPUNIT_ASSERT_EQUAL(to_string(message, "jabber:client"),
                             to_string(*parsed, "jabber:client"));
    }

    void round_trips_parsed_input() {
        // Prefixed elements and attributes in foreign namespaces come back unprefixed with
        // default-namespace declarations, or with their prefix declared on the element.
        ParserHarness harness;
        harness.feed_after_header(
            "<message xmlns:e='urn:example:ext' e:level='3' to='a@example.com'>"
            "<e:data>x &amp; y &#x263A;</e:data><body xml:lang='fr'>&lt;b&gt;</body></message>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.stanzas.size());
        const Element& first = *harness.stanzas[0];
        CPPUNIT_ASSERT_EQUAL(std::string("urn:example:ext"), std::string(first.attr("xmlns:e")));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), std::string(first.attr("e:level")));
        CPPUNIT_ASSERT_EQUAL(std::string("x & y \xE2\x98\xBA"),
                             first.child_text("data", "urn:example:ext"));

        const std::string written = to_string(first, "jabber:client");
        CPPUNIT_ASSERT_EQUAL(
            std::string("<message xmlns:e='urn:example:ext' e:level='3' to='a@example.com'>"
                        "<data xmlns='urn:example:ext'>x &amp; y \xE2\x98\xBA</data>"
                        "<body xml:lang='fr'>&lt;b&gt;</body></message>"),
            written);
        ElementPtr again = reparse(first);
        CPPUNIT_ASSERT(same_tree(first, *again));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SerializerTest);
