// mod_csi (modules/csi/urgency.hpp): what an inactive client gets at once. A message with a body,
// an OMEMO payload or a call is urgent; a chat state, a receipt and availability presence wait;
// subscription presence and iqs never wait.
#include "modules/csi/urgency.hpp"
#include "tests/unit/stanza_text.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace {

starling::StanzaPtr stanza(std::string_view text) { return starling::test::stanza_from(text); }

bool urgent(std::string_view text) {
    return starling::csi::urgent(*stanza(text));
}

}  // namespace

class CsiUrgencyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CsiUrgencyTest);
    CPPUNIT_TEST(messages_that_cannot_wait);
    CPPUNIT_TEST(messages_that_can_wait);
    CPPUNIT_TEST(presence_and_iq);
    CPPUNIT_TEST_SUITE_END();

public:
    void messages_that_cannot_wait() {
        CPPUNIT_ASSERT(urgent("<message to='b@x.test'><body>hi</body></message>"));
        CPPUNIT_ASSERT(
            urgent("<message to='b@x.test'><encrypted xmlns='urn:xmpp:omemo:2'>"
                   "<payload>AAAA</payload></encrypted></message>"));
        CPPUNIT_ASSERT(
            urgent("<message to='b@x.test'><encrypted "
                   "xmlns='eu.siacs.conversations.axolotl'/></message>"));
        CPPUNIT_ASSERT(
            urgent("<message to='b@x.test'><propose xmlns='urn:xmpp:jingle-message:0'"
                   " id='c1'><description xmlns='urn:xmpp:jingle:apps:rtp:1' "
                   "media='audio'/></propose></message>"));
    }

    void messages_that_can_wait() {
        CPPUNIT_ASSERT(
            !urgent("<message to='b@x.test' type='chat'><composing "
                    "xmlns='http://jabber.org/protocol/chatstates'/></message>"));
        CPPUNIT_ASSERT(
            !urgent("<message to='b@x.test'><received xmlns='urn:xmpp:receipts' "
                    "id='m1'/></message>"));
        // A body in another namespace is not the message's body.
        CPPUNIT_ASSERT(
            !urgent("<message to='b@x.test'><x xmlns='urn:example'><body>no</body>"
                    "</x></message>"));
    }

    void presence_and_iq() {
        CPPUNIT_ASSERT(!urgent("<presence from='a@x.test/r'><show>away</show></presence>"));
        CPPUNIT_ASSERT(!urgent("<presence from='a@x.test/r' type='unavailable'/>"));
        CPPUNIT_ASSERT(urgent("<presence from='a@x.test' type='subscribe'/>"));
        CPPUNIT_ASSERT(urgent("<presence from='a@x.test' type='subscribed'/>"));
        CPPUNIT_ASSERT(urgent("<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CsiUrgencyTest);
