// Stanza::readdressed, the fan-out form of a stanza (a room's message to each occupant): it
// shares the original's tree, and its bytes are the original's with the recipient's 'to', the
// JID escaped as any attribute; copy() and to() carry the recipient too.
#include "core/stanza.hpp"
#include "xml/serializer.hpp"

#include <cppunit/extensions/HelperMacros.h>

namespace {

using namespace starling;

StanzaPtr base_message() {
    auto message = xml::make_element("message", std::string(ns_client));
    message->set_attr("from", "room@conference.example.test/nick");
    message->set_attr("type", "groupchat");
    message->add_child("body").add_text("fish & <chips>");
    return make_stanza(std::move(message));
}

}  // namespace

class StanzaTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StanzaTest);
    CPPUNIT_TEST(test_readdressed_bytes_are_the_originals_with_to);
    CPPUNIT_TEST(test_readdressed_shares_the_tree);
    CPPUNIT_TEST(test_readdressed_escapes_the_recipient);
    CPPUNIT_TEST_SUITE_END();

public:
    void test_readdressed_bytes_are_the_originals_with_to() {
        const auto base = base_message();
        const Jid to = *Jid::parse("user@example.test/phone");
        const auto copy = Stanza::readdressed(base, to);
        // What serializing the same message with that 'to' gives, byte for byte.
        auto expected = base->copy();
        expected->set_attr("to", to.str());
        std::string bytes;
        xml::serialize(*expected, bytes, ns_client);
        CPPUNIT_ASSERT_EQUAL(copy->bytes().size(), bytes.size());
        CPPUNIT_ASSERT(copy->bytes().find(" to='user@example.test/phone'") != std::string::npos);
        CPPUNIT_ASSERT(copy->bytes().find("fish &amp; &lt;chips&gt;") != std::string::npos);
        CPPUNIT_ASSERT(copy->to() == to);
        CPPUNIT_ASSERT(copy->from() == base->from());
        CPPUNIT_ASSERT_EQUAL(std::string("user@example.test/phone"),
                             std::string(copy->copy()->attr("to")));
        // The original is untouched and still has no 'to'.
        CPPUNIT_ASSERT(base->bytes().find(" to=") == std::string::npos);
        CPPUNIT_ASSERT(base->to().empty());
    }

    void test_readdressed_shares_the_tree() {
        const auto base = base_message();
        const auto one = Stanza::readdressed(base, *Jid::parse("a@example.test/1"));
        const auto two = Stanza::readdressed(base, *Jid::parse("b@example.test/2"));
        CPPUNIT_ASSERT(&one->element() == &base->element());
        CPPUNIT_ASSERT(&two->element() == &base->element());
        CPPUNIT_ASSERT(one->bytes() != two->bytes());
    }

    void test_readdressed_escapes_the_recipient() {
        // A resource may hold the characters that end an attribute.
        const Jid to = *Jid::parse("user@example.test/it's & <that>");
        const auto copy = Stanza::readdressed(base_message(), to);
        CPPUNIT_ASSERT(copy->bytes().find(" to='user@example.test/it&apos;s &amp; &lt;that&gt;'") !=
                       std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StanzaTest);
