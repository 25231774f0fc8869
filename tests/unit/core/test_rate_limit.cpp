// RateLimit: a burst of exactly `per_window` from a fresh key, refilled evenly over the window,
// keys apart, and idle keys forgotten.
#include <cppunit/extensions/HelperMacros.h>

#include "core/rate_limit.hpp"

#include <string>

namespace starling::test {

using namespace std::chrono_literals;

class RateLimitTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RateLimitTest);
    CPPUNIT_TEST(test_burst_of_exactly_the_limit);
    CPPUNIT_TEST(test_refills_evenly);
    CPPUNIT_TEST(test_keys_are_apart);
    CPPUNIT_TEST(test_many_keys_stay_correct_across_sweeps);
    CPPUNIT_TEST_SUITE_END();

    static int burst(RateLimit& limit, const std::string& key, RateLimit::clock::time_point now) {
        int taken = 0;
        while (limit.allows(key, now) && taken < 1000) {
            limit.take(key, now);
            ++taken;
        }
        return taken;
    }

    void test_burst_of_exactly_the_limit() {
        RateLimit limit(10, 1h);
        const auto now = RateLimit::clock::now();
        CPPUNIT_ASSERT_EQUAL(10, burst(limit, "mallory@example.test", now));
        CPPUNIT_ASSERT(!limit.allows("mallory@example.test", now + 1s));
    }

    void test_refills_evenly() {
        RateLimit limit(60, 1h);  // one a minute
        const auto now = RateLimit::clock::now();
        CPPUNIT_ASSERT_EQUAL(60, burst(limit, "k", now));
        CPPUNIT_ASSERT(!limit.allows("k", now + 59s));
        CPPUNIT_ASSERT_EQUAL(1, burst(limit, "k", now + 60s));
        CPPUNIT_ASSERT_EQUAL(30, burst(limit, "k", now + 31min));
        // A whole window idle refills the whole burst, and no more.
        CPPUNIT_ASSERT_EQUAL(60, burst(limit, "k", now + 5h));
    }

    void test_keys_are_apart() {
        RateLimit limit(2, 1h);
        const auto now = RateLimit::clock::now();
        CPPUNIT_ASSERT_EQUAL(2, burst(limit, "a", now));
        CPPUNIT_ASSERT_EQUAL(2, burst(limit, "b", now));
        CPPUNIT_ASSERT(!limit.allows("a", now));
    }

    // Sweeps forget only keys whose bucket is full again: a limited key stays limited however
    // many other keys come and go.
    void test_many_keys_stay_correct_across_sweeps() {
        RateLimit limit(3, 1h);
        const auto now = RateLimit::clock::now();
        CPPUNIT_ASSERT_EQUAL(3, burst(limit, "limited", now));
        for (int i = 0; i < 1000; ++i) limit.take("k" + std::to_string(i), now + 2h);
        CPPUNIT_ASSERT(limit.allows("limited", now + 2h));  // refilled: forgotten or not
        CPPUNIT_ASSERT_EQUAL(3, burst(limit, "limited", now + 2h));
        for (int i = 0; i < 1000; ++i) limit.take("j" + std::to_string(i), now + 2h);
        CPPUNIT_ASSERT(!limit.allows("limited", now + 2h));
        CPPUNIT_ASSERT(limit.allows("k999", now + 2h));  // one of its three taken
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RateLimitTest);

}  // namespace starling::test
