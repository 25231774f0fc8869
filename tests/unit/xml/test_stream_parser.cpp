// StreamParser on well-formed streams: header, stanzas, namespaces, splits at every offset,
// close, stop() after <starttls/>, reset() for a restarted stream.
#include "xml/stream_parser.hpp"

#include "parser_harness.hpp"

#include <cppunit/extensions/HelperMacros.h>

using starling::xml::Element;
using starling::xml::ParseError;
using starling::xml::ParserLimits;
using starling::xml::StreamParser;
using starling::xml::test::client_header;
using starling::xml::test::ParserHarness;

namespace {

using Log = std::vector<std::string>;

// A login-like exchange with text, entities, non-ASCII, nested namespaces and keepalives.
const std::string realistic_stream =
    std::string(client_header) +
    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n"
    "<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
    "<resource>balc\xC3\xB3ny \xF0\x9F\x8C\xB9</resource></bind></iq> \n "
    "<message to='romeo@example.net' type='chat' id='m&amp;1' xml:lang='en'>"
    "<body>Wherefore art thou, &lt;Romeo&gt;? &#x2764;&#65;</body>"
    "<x xmlns='urn:example:outer'><back xmlns='jabber:client'>in</back></x>"
    "<![CDATA[<not-a-tag/>]]></message>"
    "<presence><show>away</show><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
    "node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>"
    "</stream:stream>";

const Log realistic_log = {
    "open jabber:client",
    "stanza <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    "stanza <iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
    "<resource>balc\xC3\xB3ny \xF0\x9F\x8C\xB9</resource></bind></iq>",
    "stanza <message to='romeo@example.net' type='chat' id='m&amp;1' xml:lang='en'>"
    "<body>Wherefore art thou, &lt;Romeo&gt;? \xE2\x9D\xA4" "A</body>"
    "<x xmlns='urn:example:outer'><back xmlns='jabber:client'>in</back></x>"
    "&lt;not-a-tag/&gt;</message>",
    "stanza <presence><show>away</show><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
    "node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>",
    "close",
};

}  // namespace

class StreamParserTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StreamParserTest);
    CPPUNIT_TEST(reports_the_stream_header);
    CPPUNIT_TEST(resolves_stanza_namespaces);
    CPPUNIT_TEST(child_in_another_namespace_and_grandchild_back);
    CPPUNIT_TEST(parses_a_realistic_stream_in_one_feed);
    CPPUNIT_TEST(every_split_offset_gives_identical_events);
    CPPUNIT_TEST(byte_by_byte_gives_identical_events);
    CPPUNIT_TEST(whitespace_keepalives_never_reach_the_limit);
    CPPUNIT_TEST(stream_close_then_trailing_whitespace);
    CPPUNIT_TEST(bytes_after_close_are_not_well_formed);
    CPPUNIT_TEST(root_other_than_stream_is_bad_format);
    CPPUNIT_TEST(root_in_wrong_namespace_is_invalid_namespace);
    CPPUNIT_TEST(unbound_prefix_is_invalid_namespace);
    CPPUNIT_TEST(element_in_the_xml_namespace_is_invalid_namespace);
    CPPUNIT_TEST(undeclared_default_namespace_is_refused);
    CPPUNIT_TEST(text_between_stanzas_is_bad_format);
    CPPUNIT_TEST(stop_after_starttls_drops_the_rest_of_the_feed);
    CPPUNIT_TEST(stop_in_the_header_feed);
    CPPUNIT_TEST(reset_accepts_a_second_header_and_keeps_limits);
    CPPUNIT_TEST(reset_from_a_handler_applies_after_the_feed);
    CPPUNIT_TEST(an_error_is_reported_once);
    CPPUNIT_TEST(release_between_stanzas_and_rebuild);
    CPPUNIT_TEST(release_refused_with_partial_input);
    CPPUNIT_TEST_SUITE_END();

public:
    void reports_the_stream_header() {
        ParserHarness harness;
        CPPUNIT_ASSERT(harness.feed(client_header));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.headers.size());
        const auto& header = harness.headers[0];
        CPPUNIT_ASSERT_EQUAL(std::string("stream"), header.name);
        CPPUNIT_ASSERT_EQUAL(std::string("http://etherx.jabber.org/streams"), header.xmlns_stream);
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:client"), header.default_ns);
        CPPUNIT_ASSERT_EQUAL(std::string("example.com"), std::string(header.attr("to")));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0"), std::string(header.attr("version")));
        CPPUNIT_ASSERT_EQUAL(std::string("en"), std::string(header.attr("xml:lang")));
        CPPUNIT_ASSERT(header.attr("from").empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), header.attrs.size());

        // A server stream with another prefix and no XML declaration.
        ParserHarness server;
        CPPUNIT_ASSERT(server.feed("<s:stream xmlns:s='http://etherx.jabber.org/streams' "
                                   "xmlns='jabber:server' from='a.example' to='b.example'>"));
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:server"), server.headers.at(0).default_ns);
        CPPUNIT_ASSERT_EQUAL(std::string("a.example"), std::string(server.headers[0].attr("from")));
    }

    void resolves_stanza_namespaces() {
        ParserHarness harness;
        CPPUNIT_ASSERT(harness.feed_after_header(
            "<message to='juliet@example.com' type='chat'><body>hi</body></message>"
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), harness.stanzas.size());
        const Element& message = *harness.stanzas[0];
        CPPUNIT_ASSERT_EQUAL(std::string("message"), message.name());
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:client"), message.xmlns());
        CPPUNIT_ASSERT_EQUAL(std::string("chat"), std::string(message.attr("type")));
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), message.child_text("body", "jabber:client"));

        const Element& features = *harness.stanzas[1];
        CPPUNIT_ASSERT_EQUAL(std::string("features"), features.name());
        CPPUNIT_ASSERT_EQUAL(std::string("http://etherx.jabber.org/streams"), features.xmlns());
        CPPUNIT_ASSERT(features.child("bind", "urn:ietf:params:xml:ns:xmpp-bind") != nullptr);
        CPPUNIT_ASSERT(features.attributes().empty());
    }

    void child_in_another_namespace_and_grandchild_back() {
        ParserHarness harness;
        harness.feed_after_header("<iq type='result' id='r1'><query xmlns='jabber:iq:roster'>"
                                  "<item jid='nurse@example.com'><group>Friends</group></item>"
                                  "<c:echo xmlns:c='jabber:client'><inner/></c:echo>"
                                  "</query></iq>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.stanzas.size());
        const Element& iq = *harness.stanzas[0];
        const Element* query = iq.child("query");
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:iq:roster"), query->xmlns());
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:iq:roster"), query->child("item")->xmlns());
        CPPUNIT_ASSERT_EQUAL(std::string("Friends"), query->child("item")->child_text("group"));
        const Element* echo = query->child("echo", "jabber:client");
        CPPUNIT_ASSERT(echo != nullptr);
        CPPUNIT_ASSERT(echo->attributes().empty());
        // <inner/> is unprefixed, so it is in the default namespace in force: the roster's.
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:iq:roster"), echo->child("inner")->xmlns());
        CPPUNIT_ASSERT_EQUAL(std::string("stanza <iq type='result' id='r1'>"
                                         "<query xmlns='jabber:iq:roster'>"
                                         "<item jid='nurse@example.com'><group>Friends</group>"
                                         "</item><echo xmlns='jabber:client'>"
                                         "<inner xmlns='jabber:iq:roster'/></echo></query></iq>"),
                             harness.log.at(1));
    }

    void parses_a_realistic_stream_in_one_feed() {
        ParserHarness harness;
        CPPUNIT_ASSERT(!harness.feed(realistic_stream));
        CPPUNIT_ASSERT(harness.log == realistic_log);
    }

    void every_split_offset_gives_identical_events() {
        for (std::size_t split = 0; split <= realistic_stream.size(); ++split) {
            ParserHarness harness;
            const std::string_view all(realistic_stream);
            harness.feed(all.substr(0, split));
            harness.feed(all.substr(split));
            CPPUNIT_ASSERT_MESSAGE("split at byte " + std::to_string(split),
                                   harness.log == realistic_log);
        }
    }

    void byte_by_byte_gives_identical_events() {
        ParserHarness harness;
        for (char c : realistic_stream) harness.feed(std::string_view(&c, 1));
        CPPUNIT_ASSERT(harness.log == realistic_log);
    }

    void whitespace_keepalives_never_reach_the_limit() {
        ParserLimits limits;
        limits.max_stanza_bytes = 1024;
        ParserHarness harness(limits);
        harness.feed(client_header);
        for (int i = 0; i < 5000; ++i) CPPUNIT_ASSERT(harness.feed(i % 2 ? " " : "\n"));
        CPPUNIT_ASSERT(harness.feed("<presence/>"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), harness.count_errors());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.stanzas.size());
    }

    void stream_close_then_trailing_whitespace() {
        ParserHarness harness;
        harness.feed_after_header("<presence/>");
        CPPUNIT_ASSERT(!harness.feed("</stream:stream>"));
        CPPUNIT_ASSERT(!harness.feed("\n  "));
        CPPUNIT_ASSERT((harness.log == Log{"open jabber:client", "stanza <presence/>", "close"}));
    }

    void bytes_after_close_are_not_well_formed() {
        ParserHarness same_feed;
        same_feed.feed_after_header("</stream:stream><message><body>late</body></message>");
        CPPUNIT_ASSERT((same_feed.log == Log{"open jabber:client", "close",
                                             "error not-well-formed"}));

        ParserHarness later_feed;
        later_feed.feed_after_header("</stream:stream>");
        CPPUNIT_ASSERT(!later_feed.feed("<presence/>"));
        CPPUNIT_ASSERT((later_feed.log == Log{"open jabber:client", "close",
                                              "error not-well-formed"}));
    }

    void root_other_than_stream_is_bad_format() {
        ParserHarness harness;
        CPPUNIT_ASSERT(!harness.feed("<message xmlns='jabber:client'><body>x</body></message>"));
        CPPUNIT_ASSERT((harness.log == Log{"error bad-format"}));
    }

    void root_in_wrong_namespace_is_invalid_namespace() {
        ParserHarness wrong_uri;
        CPPUNIT_ASSERT(!wrong_uri.feed("<stream:stream xmlns='jabber:client' "
                                       "xmlns:stream='http://etherx.jabber.org/streams/wrong'>"));
        CPPUNIT_ASSERT((wrong_uri.log == Log{"error invalid-namespace"}));

        ParserHarness unprefixed;
        CPPUNIT_ASSERT(!unprefixed.feed("<stream xmlns='jabber:client'>"));
        CPPUNIT_ASSERT((unprefixed.log == Log{"error invalid-namespace"}));
    }

    void unbound_prefix_is_invalid_namespace() {
        ParserHarness harness;
        CPPUNIT_ASSERT(!harness.feed_after_header("<foo:message/>"));
        CPPUNIT_ASSERT((harness.log == Log{"open jabber:client", "error invalid-namespace"}));

        ParserHarness root;
        CPPUNIT_ASSERT(!root.feed("<stream:stream xmlns='jabber:client'>"));
        CPPUNIT_ASSERT((root.log == Log{"error invalid-namespace"}));
    }

    // An element cannot be written back in the xml namespace (it may not be a default one): a
    // payload <xml:x/> relayed as <x xmlns='http://www.w3.org/XML/1998/namespace'/> would break
    // the recipient's stream. xml:lang as an attribute stays fine.
    void element_in_the_xml_namespace_is_invalid_namespace() {
        ParserHarness payload;
        payload.feed_after_header("<message xml:lang='en'><xml:lang/></message>");
        CPPUNIT_ASSERT((payload.log == Log{"open jabber:client", "error invalid-namespace"}));

        ParserHarness stanza;
        stanza.feed_after_header("\t<xml:lang/>");
        CPPUNIT_ASSERT((stanza.log == Log{"open jabber:client", "error invalid-namespace"}));
    }

    void undeclared_default_namespace_is_refused() {
        ParserHarness harness;
        harness.feed_after_header("<message><x xmlns=''/></message>");
        CPPUNIT_ASSERT((harness.log == Log{"open jabber:client", "error invalid-namespace"}));
    }

    void text_between_stanzas_is_bad_format() {
        ParserHarness harness;
        harness.feed_after_header("<presence/>hello<presence/>");
        CPPUNIT_ASSERT((harness.log ==
                        Log{"open jabber:client", "stanza <presence/>", "error bad-format"}));
    }

    void stop_after_starttls_drops_the_rest_of_the_feed() {
        ParserHarness harness;
        harness.after_stanza = [](StreamParser& parser, const Element& stanza) {
            if (stanza.name() == "starttls") parser.stop();
        };
        harness.feed(client_header);
        CPPUNIT_ASSERT(!harness.feed("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                                     "<message to='victim@example.com'><body>smuggled</body>"
                                     "</message><presence/>"));
        CPPUNIT_ASSERT(!harness.feed("<presence/>"));
        CPPUNIT_ASSERT((harness.log ==
                        Log{"open jabber:client",
                            "stanza <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"}));
    }

    void stop_in_the_header_feed() {
        // Header, <starttls/> and an injected stanza all in the first segment.
        ParserHarness harness;
        harness.after_stanza = [](StreamParser& parser, const Element&) { parser.stop(); };
        CPPUNIT_ASSERT(!harness.feed(std::string(client_header) +
                                     "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'></starttls>"
                                     "<iq type='get' id='x'/>"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.stanzas.size());
        CPPUNIT_ASSERT_EQUAL(std::string("starttls"), harness.stanzas[0]->name());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), harness.count_errors());
    }

    void reset_accepts_a_second_header_and_keeps_limits() {
        ParserHarness harness;
        harness.after_stanza = [](StreamParser& parser, const Element& stanza) {
            if (stanza.name() == "starttls") parser.stop();
        };
        harness.feed_after_header("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><junk/>");
        ParserLimits authenticated;
        authenticated.max_stanza_bytes = 256 * 1024;
        harness.parser.set_limits(authenticated);
        harness.parser.reset();
        CPPUNIT_ASSERT_EQUAL(std::size_t(256 * 1024), harness.parser.limits().max_stanza_bytes);

        CPPUNIT_ASSERT(harness.feed("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                    "xmlns:stream='http://etherx.jabber.org/streams' "
                                    "to='example.com' version='1.0'>"));
        const std::string big_body(100 * 1024, 'b');
        CPPUNIT_ASSERT(harness.feed("<message><body>" + big_body + "</body></message>"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), harness.headers.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), harness.stanzas.size());
        CPPUNIT_ASSERT_EQUAL(big_body, harness.stanzas[1]->child_text("body"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), harness.count_errors());
    }

    void reset_from_a_handler_applies_after_the_feed() {
        ParserHarness harness;
        harness.after_stanza = [](StreamParser& parser, const Element& stanza) {
            if (stanza.name() == "auth") parser.reset();
        };
        harness.feed(client_header);
        CPPUNIT_ASSERT(!harness.feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><late/>"));
        CPPUNIT_ASSERT(harness.feed(client_header));
        CPPUNIT_ASSERT(harness.feed("<presence/>"));
        CPPUNIT_ASSERT((harness.log ==
                        Log{"open jabber:client",
                            "stanza <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
                            "open jabber:client", "stanza <presence/>"}));
    }

    // An idle stream frees its parser; the next bytes continue the same stream, in the same
    // namespaces and with the peer's own prefix, and the stream is not opened twice.
    void release_between_stanzas_and_rebuild() {
        ParserHarness harness;
        CPPUNIT_ASSERT(
            harness.feed("<s:stream xmlns='jabber:client' "
                         "xmlns:s='http://etherx.jabber.org/streams' version='1.0'>"
                         "<presence/> "));
        CPPUNIT_ASSERT(harness.parser.release());
        CPPUNIT_ASSERT(harness.parser.release());  // already released: nothing to do
        CPPUNIT_ASSERT(harness.feed("<message to='a@example.com'><body>after</body></message>"));
        CPPUNIT_ASSERT(harness.parser.release());
        CPPUNIT_ASSERT(!harness.feed("</s:stream>"));
        CPPUNIT_ASSERT(
            (harness.log == Log{"open jabber:client", "stanza <presence/>",
                                "stanza <message to='a@example.com'><body>after</body></message>",
                                "close"}));
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:client"), harness.stanzas[1]->xmlns());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), harness.count_errors());
    }

    void release_refused_with_partial_input() {
        ParserHarness harness;
        CPPUNIT_ASSERT(!harness.parser.release());  // no stream header yet
        harness.feed(client_header);
        CPPUNIT_ASSERT(harness.feed("<message><body>half"));
        CPPUNIT_ASSERT(!harness.parser.release());
        CPPUNIT_ASSERT(harness.feed(" and half</body></message><pres"));
        CPPUNIT_ASSERT(!harness.parser.release());  // a start tag is not finished
        CPPUNIT_ASSERT(harness.feed("ence/>"));
        CPPUNIT_ASSERT(harness.parser.release());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), harness.stanzas.size());
        CPPUNIT_ASSERT_EQUAL(std::string("half and half"), harness.stanzas[0]->child_text("body"));
    }

    void an_error_is_reported_once() {
        ParserHarness harness;
        harness.feed_after_header("<message><body></message>");
        CPPUNIT_ASSERT(!harness.feed("<presence/></stream:stream>"));
        CPPUNIT_ASSERT((harness.log == Log{"open jabber:client", "error not-well-formed"}));
        CPPUNIT_ASSERT(harness.first_error() == ParseError::not_well_formed);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StreamParserTest);
