// UserCache keeps held stanzas in order: once a load is done, another thread finds the entry
// closed until every waiter (including those that came while the others ran) has run on the
// loading thread. OfflineFlows runs a waiter only once no message is on its way.
#include <cppunit/extensions/HelperMacros.h>

#include "core/offline_flows.hpp"
#include "core/user_cache.hpp"

#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace starling::test {

class UserCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UserCacheTest);
    CPPUNIT_TEST(test_read_waits_for_the_load);
    CPPUNIT_TEST(test_other_threads_wait_while_waiters_run);
    CPPUNIT_TEST(test_failed_load_tells_every_waiter);
    CPPUNIT_TEST(test_offline_flows_wait_for_the_last_message);
    CPPUNIT_TEST_SUITE_END();

    using Cache = UserCache<int>;
    using Done = std::function<void(bool, int)>;

    static std::optional<int> value(Cache& cache, const std::string& key) {
        return cache.read(key, [](int v) { return v; });
    }

    void test_read_waits_for_the_load() {
        Cache cache;
        Done finish;
        int loads = 0;
        const Cache::Loader load = [&](Done done) {
            ++loads;
            finish = std::move(done);
        };
        std::vector<std::string> ran;
        cache.when_loaded("juliet@example.test", load, [&](bool ok) {
            ran.push_back(std::string("first ") + (ok ? "ok" : "failed"));
        });
        cache.when_loaded("juliet@example.test", load, [&](bool) { ran.push_back("second"); });
        CPPUNIT_ASSERT_EQUAL(1, loads);  // one load for any number of waiters
        CPPUNIT_ASSERT(!value(cache, "juliet@example.test"));
        CPPUNIT_ASSERT(cache.waiting("juliet@example.test"));
        finish(true, 7);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, ran.size());
        CPPUNIT_ASSERT_EQUAL(std::string("first ok"), ran[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("second"), ran[1]);
        CPPUNIT_ASSERT_EQUAL(7, value(cache, "juliet@example.test").value_or(-1));
        CPPUNIT_ASSERT(!cache.waiting("juliet@example.test"));
    }

    // The race that reordered stored messages: while the loading thread re-routes what waited,
    // a message on another thread must not find the value and go first.
    void test_other_threads_wait_while_waiters_run() {
        Cache cache;
        Done finish;
        const Cache::Loader load = [&](Done done) { finish = std::move(done); };
        std::vector<std::string> order;
        std::optional<int> seen_by_other_thread = 0;
        std::optional<int> seen_by_loading_thread;
        cache.when_loaded("k", load, [&](bool) {
            order.push_back("held 1");
            seen_by_loading_thread = value(cache, "k");
            // Another thread's message arrives now: it waits behind this one.
            std::thread other([&] {
                seen_by_other_thread = value(cache, "k");
                cache.when_loaded("k", load, [&](bool) { order.push_back("later"); });
            });
            other.join();
        });
        cache.when_loaded("k", load, [&](bool) { order.push_back("held 2"); });
        finish(true, 1);
        CPPUNIT_ASSERT_EQUAL(1, seen_by_loading_thread.value_or(-1));
        CPPUNIT_ASSERT_MESSAGE("another thread read the value while waiters ran",
                               !seen_by_other_thread);
        const std::vector<std::string> expected{"held 1", "held 2", "later"};
        CPPUNIT_ASSERT(order == expected);
        CPPUNIT_ASSERT(!cache.waiting("k"));
        std::optional<int> after;
        std::thread([&] { after = value(cache, "k"); }).join();
        CPPUNIT_ASSERT_EQUAL(1, after.value_or(-1));
    }

    void test_failed_load_tells_every_waiter() {
        Cache cache;
        Done finish;
        int loads = 0;
        const Cache::Loader load = [&](Done done) {
            ++loads;
            finish = std::move(done);
        };
        int failed = 0;
        cache.when_loaded("k", load, [&](bool ok) { failed += ok ? 0 : 1; });
        cache.when_loaded("k", load, [&](bool ok) { failed += ok ? 0 : 1; });
        finish(false, 0);
        CPPUNIT_ASSERT_EQUAL(2, failed);
        CPPUNIT_ASSERT(!value(cache, "k"));
        cache.when_loaded("k", load, [](bool) {});  // tried again
        CPPUNIT_ASSERT_EQUAL(2, loads);
    }

    void test_offline_flows_wait_for_the_last_message() {
        auto flows = std::make_shared<OfflineFlows>();
        int fetched = 0;
        flows->when_settled("b@example.test", [&] { ++fetched; });
        CPPUNIT_ASSERT_EQUAL(1, fetched);  // nothing on its way: at once
        auto first = flows->enter("b@example.test");
        auto second = flows->enter("b@example.test");
        auto other = flows->enter("c@example.test");
        flows->when_settled("b@example.test", [&] { ++fetched; });
        first.reset();
        other.reset();
        CPPUNIT_ASSERT_EQUAL(1, fetched);
        second.reset();
        CPPUNIT_ASSERT_EQUAL(2, fetched);
        flows->when_settled("b@example.test", [&] { ++fetched; });
        CPPUNIT_ASSERT_EQUAL(3, fetched);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserCacheTest);

}  // namespace starling::test
