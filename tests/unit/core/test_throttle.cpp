// Throttle: failures per key and window, and reservations for work still in flight (accounts
// registered per IP address): a reservation counts at once, a commit records it, and one given
// back, or dropped by a request that never finished, frees its place.
#include "core/throttle.hpp"

#include <cppunit/extensions/HelperMacros.h>

using starling::Throttle;
using starling::ThrottleReservation;

class ThrottleTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ThrottleTest);
    CPPUNIT_TEST(failures_block_until_the_window_moves_on);
    CPPUNIT_TEST(reservations_count_before_they_are_committed);
    CPPUNIT_TEST(dropped_reservation_gives_its_place_back);
    CPPUNIT_TEST_SUITE_END();

public:
    void failures_block_until_the_window_moves_on() {
        Throttle throttle;
        throttle.set_limit(2, std::chrono::seconds(60));
        const auto t0 = Throttle::clock::now();
        throttle.record_failure("ip", t0);
        CPPUNIT_ASSERT(!throttle.blocked("ip", t0));
        throttle.record_failure("ip", t0);
        CPPUNIT_ASSERT(throttle.blocked("ip", t0));
        CPPUNIT_ASSERT(!throttle.blocked("other", t0));
        CPPUNIT_ASSERT(!throttle.blocked("ip", t0 + std::chrono::seconds(60)));
    }

    void reservations_count_before_they_are_committed() {
        Throttle throttle;
        throttle.set_limit(3, std::chrono::hours(1));
        // Three requests in flight at once take the three places; the fourth finds none.
        CPPUNIT_ASSERT(throttle.reserve("ip"));
        CPPUNIT_ASSERT(throttle.reserve("ip"));
        CPPUNIT_ASSERT(throttle.reserve("ip"));
        CPPUNIT_ASSERT(!throttle.reserve("ip"));
        CPPUNIT_ASSERT(throttle.blocked("ip"));
        // One failed: its place is free again; two succeeded: theirs stay taken.
        throttle.release("ip");
        throttle.commit("ip");
        throttle.commit("ip");
        CPPUNIT_ASSERT(throttle.reserve("ip"));
        CPPUNIT_ASSERT(!throttle.reserve("ip"));
        CPPUNIT_ASSERT(throttle.reserve("another ip"));
    }

    void dropped_reservation_gives_its_place_back() {
        auto throttle = std::make_shared<Throttle>();
        throttle->set_limit(1, std::chrono::hours(1));
        {
            auto held = ThrottleReservation::take(throttle, "ip");
            CPPUNIT_ASSERT(held);
            CPPUNIT_ASSERT(!ThrottleReservation::take(throttle, "ip"));
        }  // never committed: the request's callback was dropped
        auto committed = ThrottleReservation::take(throttle, "ip");
        CPPUNIT_ASSERT(committed);
        committed->commit();
        committed.reset();  // committed: stays counted after the request is gone
        CPPUNIT_ASSERT(!ThrottleReservation::take(throttle, "ip"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ThrottleTest);
