// bench::latency_stats (exact nearest-rank percentiles) and bench::delivery_ledger (lost,
// duplicated and unknown deliveries once the ledgers of the worker threads are merged).
#include "bench/delivery_ledger.hpp"
#include "bench/latency_stats.hpp"

#include <cppunit/extensions/HelperMacros.h>

class LatencyStatsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LatencyStatsTest);
    CPPUNIT_TEST(percentiles_of_one_to_a_thousand);
    CPPUNIT_TEST(empty_stats_are_zero);
    CPPUNIT_TEST(single_sample_is_every_percentile);
    CPPUNIT_TEST(merge_combines_unsorted_shares);
    CPPUNIT_TEST(ledger_counts_lost_and_duplicated);
    CPPUNIT_TEST(ledger_merges_worker_shares);
    CPPUNIT_TEST(ledger_flags_deliveries_never_sent);
    CPPUNIT_TEST_SUITE_END();

public:
    void percentiles_of_one_to_a_thousand() {
        bench::latency_stats stats;
        // Added in a scrambled order: the percentiles must not depend on it.
        for (std::uint64_t i = 0; i < 1000; ++i) stats.add((i * 7919) % 1000 + 1);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1000), stats.count());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(500), stats.percentile(0.50));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(900), stats.percentile(0.90));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(990), stats.percentile(0.99));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(999), stats.percentile(0.999));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1000), stats.max());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), stats.percentile(0));
        stats.add(5000);  // an add after a sort is still counted
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5000), stats.max());
    }

    void empty_stats_are_zero() {
        bench::latency_stats stats;
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), stats.percentile(0.5));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), stats.max());
    }

    void single_sample_is_every_percentile() {
        bench::latency_stats stats;
        stats.add(42);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(42), stats.percentile(0.5));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(42), stats.percentile(0.999));
    }

    void merge_combines_unsorted_shares() {
        bench::latency_stats a, b;
        for (std::uint64_t v : {9, 1, 5}) a.add(v);
        for (std::uint64_t v : {8, 2, 6, 4, 3, 7, 10}) b.add(v);
        a.percentile(0.5);  // sorts a's share first
        a.merge(std::move(b));
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), a.count());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), b.count());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), a.percentile(0.5));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(9), a.percentile(0.9));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(10), a.max());
    }

    void ledger_counts_lost_and_duplicated() {
        bench::delivery_ledger ledger;
        for (std::uint32_t seq = 0; seq < 5; ++seq) ledger.record_sent(3, seq);
        ledger.record_delivery(3, 0);
        ledger.record_delivery(3, 2);
        ledger.record_delivery(3, 2);
        ledger.record_delivery(3, 2);
        ledger.record_delivery(3, 4);
        const auto t = ledger.totals();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), t.sent);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), t.deliveries);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), t.unique);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t.lost);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t.duplicated);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t.unknown);
    }

    void ledger_merges_worker_shares() {
        // Worker 0 sent for sender 1; worker 1 received it, and the other way round.
        bench::delivery_ledger w0, w1;
        w0.record_sent(1, 0);
        w0.record_sent(1, 1);
        w1.record_sent(2, 0);
        w1.record_delivery(1, 0);
        w1.record_delivery(1, 1);
        w0.record_delivery(2, 0);
        w0.record_delivery(1, 1);  // a duplicate seen by the other worker
        w0.merge(std::move(w1));
        const auto t = w0.totals();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), t.sent);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), t.unique);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t.lost);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t.duplicated);
    }

    void ledger_flags_deliveries_never_sent() {
        bench::delivery_ledger ledger;
        ledger.record_sent(0, 0);
        ledger.record_delivery(0, 0);
        ledger.record_delivery(0, 7);
        ledger.record_delivery(9, 0);
        const auto t = ledger.totals();
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), t.unique);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), t.unknown);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), t.lost);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LatencyStatsTest);
