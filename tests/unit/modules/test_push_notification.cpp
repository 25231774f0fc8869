// mod_push's wire formats: which messages wake a device, the exact publish iq (summary form,
// publish options, nothing of the message), and which app server errors disable a registration.
#include "modules/push/notification.hpp"
#include "storage/stored_xml.hpp"
#include "xml/serializer.hpp"

#include <cppunit/extensions/HelperMacros.h>

using namespace starling;
using namespace starling::push;

namespace {

StanzaPtr stanza(const std::string& xml) {
    auto element = storage::parse_stored_xml(xml, ns_client);
    CPPUNIT_ASSERT_MESSAGE("unparsable test stanza " + xml, element != nullptr);
    return make_stanza(std::move(element));
}

}  // namespace

class PushNotificationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PushNotificationTest);
    CPPUNIT_TEST(messages_that_wake_a_device);
    CPPUNIT_TEST(publish_with_summary_and_options);
    CPPUNIT_TEST(publish_without_options);
    CPPUNIT_TEST(errors_that_disable);
    CPPUNIT_TEST(form_type_of_a_form);
    CPPUNIT_TEST_SUITE_END();

public:
    void messages_that_wake_a_device() {
        CPPUNIT_ASSERT(wakes_device(*stanza("<message type='chat'><body>hi</body></message>")));
        CPPUNIT_ASSERT(wakes_device(*stanza("<message><body>hi</body></message>")));
        CPPUNIT_ASSERT(wakes_device(*stanza("<message type='normal'><body>hi</body></message>")));
        // OMEMO, both versions: no body is needed.
        CPPUNIT_ASSERT(wakes_device(
            *stanza("<message type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'>"
                    "<payload>AAAA</payload></encrypted></message>")));
        CPPUNIT_ASSERT(wakes_device(
            *stanza("<message type='chat'><encrypted xmlns='urn:xmpp:omemo:2'/></message>")));
        CPPUNIT_ASSERT(!wakes_device(*stanza(
            "<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/>"
            "</message>")));
        CPPUNIT_ASSERT(
            !wakes_device(*stanza("<message type='groupchat'><body>x</body></message>")));
        CPPUNIT_ASSERT(!wakes_device(*stanza("<message type='headline'><body>x</body></message>")));
        CPPUNIT_ASSERT(!wakes_device(*stanza("<message type='error'><body>x</body></message>")));
        // A body in another namespace is not the message's body.
        CPPUNIT_ASSERT(
            !wakes_device(*stanza("<message><body xmlns='urn:other'>x</body></message>")));
    }

    void publish_with_summary_and_options() {
        auto form = storage::parse_stored_xml(
            "<x xmlns='jabber:x:data'><field var='FORM_TYPE'><value>"
            "http://jabber.org/protocol/pubsub#publish-options</value></field><field "
            "var='secret'><value>s&amp;1</value></field></x>",
            "");
        const auto iq = make_publish("b@example.test", "push.example.test", "node-1",
                                     Summary{3, "a@example.test/desk"}, form.get());
        CPPUNIT_ASSERT_EQUAL(
            std::string("<iq type='set' from='b@example.test' to='push.example.test'>"
                        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='node-1'>"
                        "<item><notification xmlns='urn:xmpp:push:0'><x xmlns='jabber:x:data' "
                        "type='submit'><field var='FORM_TYPE'><value>urn:xmpp:push:summary</value>"
                        "</field><field var='message-count'><value>3</value></field><field "
                        "var='last-message-sender'><value>a@example.test/desk</value></field></x>"
                        "</notification></item></publish><publish-options><x xmlns='jabber:x:data' "
                        "type='submit'><field var='FORM_TYPE'><value>"
                        "http://jabber.org/protocol/pubsub#publish-options</value></field><field "
                        "var='secret'><value>s&amp;1</value></field></x></publish-options></pubsub>"
                        "</iq>"),
            xml::to_string(*iq, ns_client));
    }

    void publish_without_options() {
        const auto iq = make_publish("b@example.test", "push.example.test", "n",
                                     Summary{1, "a@example.test/desk"}, nullptr);
        const std::string text = xml::to_string(*iq, ns_client);
        CPPUNIT_ASSERT(text.find("publish-options") == std::string::npos);
        CPPUNIT_ASSERT(text.find("last-message-body") == std::string::npos);
    }

    void errors_that_disable() {
        const auto judge = [](const std::string& type, const std::string& condition,
                              std::string& found) {
            return judge_error(*stanza("<iq type='error' from='push.example.test' id='1'><error "
                                       "type='" +
                                       type + "'><" + condition +
                                       " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                                       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>t</text>"
                                       "</error></iq>"),
                               found);
        };
        std::string condition;
        CPPUNIT_ASSERT(judge("cancel", "item-not-found", condition) == ErrorVerdict::disable);
        CPPUNIT_ASSERT_EQUAL(std::string("item-not-found"), condition);
        CPPUNIT_ASSERT(judge("auth", "forbidden", condition) == ErrorVerdict::disable);
        CPPUNIT_ASSERT(judge("auth", "not-authorized", condition) == ErrorVerdict::disable);
        CPPUNIT_ASSERT(judge("wait", "resource-constraint", condition) == ErrorVerdict::keep);
        CPPUNIT_ASSERT(judge("modify", "bad-request", condition) == ErrorVerdict::keep);
        // The app server could not be reached: a restart of it must not cost the device its pushes.
        CPPUNIT_ASSERT(judge("cancel", "service-unavailable", condition) == ErrorVerdict::keep);
        CPPUNIT_ASSERT(judge("cancel", "remote-server-not-found", condition) == ErrorVerdict::keep);
        CPPUNIT_ASSERT(judge("wait", "remote-server-timeout", condition) == ErrorVerdict::keep);
        CPPUNIT_ASSERT(judge_error(*stanza("<iq type='error' id='1'/>"), condition) ==
                       ErrorVerdict::disable);
        CPPUNIT_ASSERT_EQUAL(std::string(), condition);
    }

    void form_type_of_a_form() {
        auto form = storage::parse_stored_xml(
            "<x xmlns='jabber:x:data'><field var='a'><value>1</value></field><field "
            "var='FORM_TYPE' type='hidden'><value>urn:x</value></field></x>",
            "");
        CPPUNIT_ASSERT_EQUAL(std::string("urn:x"), form_type(*form));
        auto empty = storage::parse_stored_xml("<x xmlns='jabber:x:data'/>", "");
        CPPUNIT_ASSERT_EQUAL(std::string(), form_type(*empty));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PushNotificationTest);
