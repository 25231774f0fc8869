// XEP-0198 counting (stream/handled_counter.hpp), shared by mod_smacks and s2s streams: h covers only the contiguous prefix
// of handled stanzas however they finish, wraps at 2^32, and an acknowledgement is checked
// against what was sent modulo 2^32.
#include "stream/handled_counter.hpp"

#include <cppunit/extensions/HelperMacros.h>

using starling::HandledCounter;
using starling::newly_acknowledged;

class HandledCounterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HandledCounterTest);
    CPPUNIT_TEST(in_order_stanzas_count_at_once);
    CPPUNIT_TEST(a_later_stanza_waits_for_an_earlier_one);
    CPPUNIT_TEST(h_wraps_at_two_to_the_32);
    CPPUNIT_TEST(acknowledgements_are_checked_modulo_two_to_the_32);
    CPPUNIT_TEST_SUITE_END();

public:
    void in_order_stanzas_count_at_once() {
        HandledCounter counter;
        const auto first = counter.arrived();
        const auto second = counter.arrived();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), counter.received());
        counter.finished(first);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), counter.h());
        counter.finished(second);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), counter.h());
    }

    void a_later_stanza_waits_for_an_earlier_one() {
        // The first is being stored offline while the second and third are delivered.
        HandledCounter counter;
        const auto stored = counter.arrived();
        const auto delivered = counter.arrived();
        const auto also_delivered = counter.arrived();
        counter.finished(delivered);
        counter.finished(also_delivered);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), counter.h());
        counter.finished(stored);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(3), counter.h());
        CPPUNIT_ASSERT_EQUAL(counter.received(), counter.handled());
    }

    void h_wraps_at_two_to_the_32() {
        HandledCounter counter(0xffffffffULL);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0xffffffffU), counter.h());
        counter.finished(counter.arrived());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), counter.h());
        counter.finished(counter.arrived());
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), counter.h());
    }

    void acknowledgements_are_checked_modulo_two_to_the_32() {
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), *newly_acknowledged(3, 0, 5));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), *newly_acknowledged(7, 7, 0));
        CPPUNIT_ASSERT(!newly_acknowledged(6, 0, 5));  // more than was sent
        CPPUNIT_ASSERT(!newly_acknowledged(4, 5, 5));  // backwards reads as 2^32 - 1 more
        // Across the wrap: last said 2^32 - 2, four more stanzas were handled.
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), *newly_acknowledged(2, 0xfffffffeU, 4));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HandledCounterTest);
