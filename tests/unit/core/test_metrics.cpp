// The metrics registry: the Prometheus text exposition (format 0.0.4) byte for byte, for each
// kind of metric, and what `starlingctl status` shows of them.
#include <cppunit/extensions/HelperMacros.h>

#include "core/metrics.hpp"

#include <stdexcept>

namespace starling::test {

class MetricsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsTest);
    CPPUNIT_TEST(test_counter_without_labels);
    CPPUNIT_TEST(test_counter_with_labels);
    CPPUNIT_TEST(test_gauge);
    CPPUNIT_TEST(test_callback_gauge_until_unregistered);
    CPPUNIT_TEST(test_histogram);
    CPPUNIT_TEST(test_escaping);
    CPPUNIT_TEST(test_families_sorted_by_exposed_name);
    CPPUNIT_TEST(test_one_kind_per_name);
    CPPUNIT_TEST(test_snapshot);
    CPPUNIT_TEST_SUITE_END();

    void test_counter_without_labels() {
        Metrics metrics;
        metrics.counter("offline.stored", {}, "Messages stored for offline users.").add(3);
        // The same counter, found again; a later help text does not replace the first.
        metrics.counter("offline.stored", {}, "ignored").add();
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP starling_offline_stored_total Messages stored "
                                         "for offline users.\n"
                                         "# TYPE starling_offline_stored_total counter\n"
                                         "starling_offline_stored_total 4\n"),
                             metrics.prometheus());
    }

    void test_counter_with_labels() {
        Metrics metrics;
        metrics.counter("router.routed", {{"kind", "presence"}}).add(2);
        metrics.counter("router.routed", {{"kind", "iq"}}).add();
        metrics.counter("router.routed", {{"kind", "message"}});
        // Labels are sorted by name, whatever order they were given in.
        metrics.counter("s2s.dialback-failed", {{"z", "1"}, {"a", "2"}}).add(5);
        CPPUNIT_ASSERT_EQUAL(std::string("# TYPE starling_router_routed_total counter\n"
                                         "starling_router_routed_total{kind=\"iq\"} 1\n"
                                         "starling_router_routed_total{kind=\"message\"} 0\n"
                                         "starling_router_routed_total{kind=\"presence\"} 2\n"
                                         "# TYPE starling_s2s_dialback_failed_total counter\n"
                                         "starling_s2s_dialback_failed_total{a=\"2\",z=\"1\"} 5\n"),
                             metrics.prometheus());
    }

    void test_gauge() {
        Metrics metrics;
        auto& connections = metrics.gauge("c2s.connections", {}, "Open client connections.");
        connections.add(5);
        connections.sub(2);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, connections.value());
        metrics.gauge("c2s.connections", {{"tls", "yes"}}).set(-1);
        CPPUNIT_ASSERT_EQUAL(
            std::string("# HELP starling_c2s_connections Open client connections.\n"
                        "# TYPE starling_c2s_connections gauge\n"
                        "starling_c2s_connections 3\n"
                        "starling_c2s_connections{tls=\"yes\"} -1\n"),
            metrics.prometheus());
    }

    void test_callback_gauge_until_unregistered() {
        Metrics metrics;
        double depth = 7;
        auto queue = metrics.gauge_callback(
            "mam.archive_queue",
            [&depth] {
                return std::vector<Sample>{{{{"host", "b.test"}}, depth}};
            },
            "Messages waiting to be archived.");
        auto other = metrics.gauge_callback("mam.archive_queue", [] {
            return std::vector<Sample>{{{{"host", "a.test"}}, 0.5}};
        });
        depth = 9;  // read when scraped, not when registered
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP starling_mam_archive_queue Messages waiting to be "
                                         "archived.\n"
                                         "# TYPE starling_mam_archive_queue gauge\n"
                                         "starling_mam_archive_queue{host=\"a.test\"} 0.5\n"
                                         "starling_mam_archive_queue{host=\"b.test\"} 9\n"),
                             metrics.prometheus());
        other.reset();
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP starling_mam_archive_queue Messages waiting to be "
                                         "archived.\n"
                                         "# TYPE starling_mam_archive_queue gauge\n"
                                         "starling_mam_archive_queue{host=\"b.test\"} 9\n"),
                             metrics.prometheus());
        // Once nothing feeds the family, it is gone (not left as an empty TYPE line).
        queue.reset();
        CPPUNIT_ASSERT_EQUAL(std::string(), metrics.prometheus());
    }

    void test_histogram() {
        Metrics metrics;
        // Values exact in binary, so the sum prints exactly.
        auto& latency = metrics.histogram("storage.job_seconds", {0.25, 1, 4}, "Job latency.");
        latency.observe(0.125);
        latency.observe(0.25);  // on a bound: counted in that bucket ("le")
        latency.observe(0.5);
        latency.observe(8);
        CPPUNIT_ASSERT(&latency == &metrics.histogram("storage.job_seconds", {0.25, 1, 4}));
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP starling_storage_job_seconds Job latency.\n"
                                         "# TYPE starling_storage_job_seconds histogram\n"
                                         "starling_storage_job_seconds_bucket{le=\"0.25\"} 2\n"
                                         "starling_storage_job_seconds_bucket{le=\"1\"} 3\n"
                                         "starling_storage_job_seconds_bucket{le=\"4\"} 3\n"
                                         "starling_storage_job_seconds_bucket{le=\"+Inf\"} 4\n"
                                         "starling_storage_job_seconds_sum 8.875\n"
                                         "starling_storage_job_seconds_count 4\n"),
                             metrics.prometheus());
        CPPUNIT_ASSERT_THROW(metrics.histogram("storage.job_seconds", {1, 2}), std::logic_error);
    }

    void test_escaping() {
        Metrics metrics;
        metrics.counter("x", {{"v", "a\\b\"c\nd"}}, "line one\nback\\slash \"quoted\"").add();
        // HELP escapes backslash and newline; a label value the double quote as well.
        CPPUNIT_ASSERT_EQUAL(std::string("# HELP starling_x_total line one\\nback\\\\slash "
                                         "\"quoted\"\n"
                                         "# TYPE starling_x_total counter\n"
                                         "starling_x_total{v=\"a\\\\b\\\"c\\nd\"} 1\n"),
                             metrics.prometheus());
    }

    void test_families_sorted_by_exposed_name() {
        Metrics metrics;
        metrics.gauge("b");
        metrics.counter("a-z");
        metrics.counter("a.b");
        CPPUNIT_ASSERT_EQUAL(std::string("# TYPE starling_a_b_total counter\n"
                                         "starling_a_b_total 0\n"
                                         "# TYPE starling_a_z_total counter\n"
                                         "starling_a_z_total 0\n"
                                         "# TYPE starling_b gauge\n"
                                         "starling_b 0\n"),
                             metrics.prometheus());
    }

    void test_one_kind_per_name() {
        Metrics metrics;
        metrics.counter("c2s.refused");
        CPPUNIT_ASSERT_THROW(metrics.gauge("c2s.refused"), std::logic_error);
        CPPUNIT_ASSERT_THROW(
            metrics.gauge_callback("c2s.refused", [] { return std::vector<Sample>{}; }),
            std::logic_error);
    }

    void test_snapshot() {
        Metrics metrics;
        metrics.counter("mam.archived").add(2);
        metrics.counter("router.routed", {{"kind", "iq"}}).add();
        metrics.gauge("c2s.connections").set(4);
        metrics.histogram("storage.job_seconds", {1}).observe(0.5);
        auto streams = metrics.gauge_callback("s2s.streams", [] {
            return std::vector<Sample>{{{{"direction", "out"}, {"peer", "b.test"}}, 2}};
        });
        const std::map<std::string, std::int64_t> expected{
            {"c2s.connections", 4},
            {"mam.archived", 2},
            {"router.routed{kind=\"iq\"}", 1},
            {"s2s.streams{direction=\"out\",peer=\"b.test\"}", 2},
        };
        CPPUNIT_ASSERT(expected == metrics.snapshot());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsTest);

}  // namespace starling::test
