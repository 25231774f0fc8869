// RFC 7395 framing: the client's <open/> and <close/> become what the stream parser reads, and
// each element written becomes a document of its own with jabber:client declared where a TCP
// stream would inherit it.
#include "stream/websocket_framing.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace framing = starling::websocket_framing;

class WebSocketFramingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WebSocketFramingTest);
    CPPUNIT_TEST(open_becomes_a_stream_header_with_its_attributes_escaped);
    CPPUNIT_TEST(close_becomes_the_end_tag);
    CPPUNIT_TEST(other_messages_and_lookalikes_pass_unchanged);
    CPPUNIT_TEST(stanzas_get_jabber_client_declared);
    CPPUNIT_TEST(namespaced_and_prefixed_elements_stay_as_they_are);
    CPPUNIT_TEST_SUITE_END();

public:
    void open_becomes_a_stream_header_with_its_attributes_escaped() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("<stream:stream xmlns='jabber:client' "
                        "xmlns:stream='http://etherx.jabber.org/streams' to='example.test' "
                        "version='1.0' xml:lang='en'>"),
            framing::inbound(" <open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" "
                             "to=\"example.test\" version=\"1.0\" xml:lang=\"en\"/>\n"));
        // A value cannot break out of its attribute: it is escaped again.
        CPPUNIT_ASSERT_EQUAL(
            std::string("<stream:stream xmlns='jabber:client' "
                        "xmlns:stream='http://etherx.jabber.org/streams' to='a&apos;&gt;&lt;x'>"),
            framing::inbound("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' "
                             "to=\"a'&gt;&lt;x\"/>"));
    }

    void close_becomes_the_end_tag() {
        CPPUNIT_ASSERT_EQUAL(std::string("</stream:stream>"),
                             framing::inbound("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"));
    }

    void other_messages_and_lookalikes_pass_unchanged() {
        const std::string stanza = "<message xmlns='jabber:client' to='a@b.test'><body/></message>";
        CPPUNIT_ASSERT_EQUAL(stanza, framing::inbound(stanza));
        // Not the framing namespace, not well-formed, or with children: the parser judges it.
        for (const std::string text :
             {"<open xmlns='jabber:client' to='b.test'/>", "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'",
              "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'><x/></open>",
              "<opened xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
              "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/><message/>"})
            CPPUNIT_ASSERT_EQUAL(text, framing::inbound(text));
    }

    void stanzas_get_jabber_client_declared() {
        CPPUNIT_ASSERT_EQUAL(std::string("<message xmlns='jabber:client' to='a@b.test' "
                                         "id='x xmlns=y'><body>hi</body></message>"),
                             framing::outbound("<message to='a@b.test' id='x xmlns=y'>"
                                               "<body>hi</body></message>"));
        CPPUNIT_ASSERT_EQUAL(std::string("<iq xmlns='jabber:client' type='result' id='1'/>"),
                             framing::outbound("<iq type='result' id='1'/>"));
        CPPUNIT_ASSERT_EQUAL(std::string("<presence xmlns='jabber:client'/>"),
                             framing::outbound("<presence/>"));
    }

    void namespaced_and_prefixed_elements_stay_as_they_are() {
        for (const std::string text :
             {"<r xmlns='urn:xmpp:sm:3'/>", "<a h='1' xmlns=\"urn:xmpp:sm:3\"/>",
              "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='1'/>",
              "<stream:features xmlns:stream='http://etherx.jabber.org/streams'></stream:features>"})
            CPPUNIT_ASSERT_EQUAL(text, framing::outbound(text));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WebSocketFramingTest);
