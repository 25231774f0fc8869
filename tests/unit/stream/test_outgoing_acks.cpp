// OutgoingAcks (stream/outgoing_acks.hpp): what was sent after <enable/> is kept until an <a/>
// covers it, in order, with its bytes counted against the bound; an h above what was sent is
// refused and drops nothing; one <r/> at a time, due only when something went out since.
#include "stream/outgoing_acks.hpp"

#include "tests/unit/stanza_text.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using starling::OutgoingAcks;
using starling::test::stanza_from;

namespace {

starling::StanzaPtr message(int i) {
    return stanza_from("<message to='b@remote.test' id='m" + std::to_string(i) + "'/>");
}

}  // namespace

class OutgoingAcksTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OutgoingAcksTest);
    CPPUNIT_TEST(acknowledged_stanzas_are_dropped_in_order);
    CPPUNIT_TEST(an_h_above_what_was_sent_is_refused);
    CPPUNIT_TEST(one_request_at_a_time);
    CPPUNIT_TEST(a_refused_enable_keeps_nothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void acknowledged_stanzas_are_dropped_in_order() {
        OutgoingAcks acks;
        acks.start();
        std::size_t bytes = 0;
        for (int i = 0; i < 5; ++i) {
            auto stanza = message(i);
            bytes += stanza->bytes().size();
            acks.sent(stanza);
        }
        CPPUNIT_ASSERT_EQUAL(bytes, acks.unacked_bytes());
        CPPUNIT_ASSERT(acks.acknowledged(2));
        CPPUNIT_ASSERT(acks.acknowledged(2));  // the same h again acknowledges nothing new
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), acks.unacked());
        auto rest = acks.take_unacked();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), rest.size());
        CPPUNIT_ASSERT_EQUAL(std::string("m2"), std::string(rest.front()->id()));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), acks.unacked_bytes());
    }

    void an_h_above_what_was_sent_is_refused() {
        OutgoingAcks acks;
        acks.start();
        acks.sent(message(0));
        acks.sent(message(1));
        CPPUNIT_ASSERT(!acks.acknowledged(3));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), acks.unacked());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), acks.sent_count());
    }

    void one_request_at_a_time() {
        OutgoingAcks acks;
        CPPUNIT_ASSERT(!acks.request_due());  // not started
        acks.start();
        CPPUNIT_ASSERT(!acks.request_due());  // nothing sent
        acks.sent(message(0));
        CPPUNIT_ASSERT(acks.request_due());
        const auto now = OutgoingAcks::Clock::now();
        acks.requested(now);
        CPPUNIT_ASSERT(acks.awaiting_since() == now);
        acks.sent(message(1));
        CPPUNIT_ASSERT(!acks.request_due());  // one waits already
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), acks.sent_since_request());
        CPPUNIT_ASSERT(acks.acknowledged(1));
        CPPUNIT_ASSERT(!acks.awaiting_since());
        CPPUNIT_ASSERT(acks.request_due());  // message 1 went out after the request
        acks.requested(now);
        CPPUNIT_ASSERT(acks.acknowledged(2));
        CPPUNIT_ASSERT(!acks.request_due());
    }

    void a_refused_enable_keeps_nothing() {
        OutgoingAcks acks;
        acks.start();
        acks.sent(message(0));
        acks.stop();
        CPPUNIT_ASSERT(!acks.started());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), acks.unacked());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), acks.unacked_bytes());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutgoingAcksTest);
