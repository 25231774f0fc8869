#pragma once
// What the server and its modules count and measure, read by `starlingctl status` (snapshot())
// and by Prometheus (prometheus()). A counter, gauge or histogram is looked up once (at load,
// under a lock) and then changed with relaxed atomics only, so the hot path never waits; what is
// cheaper to compute when read than to keep up to date (a queue's depth, the s2s streams) is a
// callback gauge, which runs only when the metrics are read.

#include "core/registration.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace starling {

/// Label names and values, sorted by name. Values come from bounded sets the code chooses (a
/// stanza kind, an error condition, a configured host), never from what a client sends: every
/// distinct set is a series Prometheus keeps.
using Labels = std::map<std::string, std::string>;

class Counter {
public:
    void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

/// A value that goes up and down (open connections).
class Gauge {
public:
    void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    void sub(std::int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
    void set(std::int64_t n) { value_.store(n, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

/// Observations (durations, in seconds) counted into fixed buckets.
class Histogram {
public:
    /// `bounds`: the buckets' upper bounds, ascending; one more bucket takes the rest (+Inf).
    explicit Histogram(std::vector<double> bounds);

    void observe(double value);

    const std::vector<double>& bounds() const { return bounds_; }
    /// Observations per bucket, not cumulative; the last is above every bound.
    std::vector<std::uint64_t> counts() const;
    double sum() const { return sum_.load(std::memory_order_relaxed); }

private:
    const std::vector<double> bounds_;
    std::vector<std::atomic<std::uint64_t>> counts_;
    std::atomic<double> sum_{0};
};

/// One value of a callback gauge.
struct Sample {
    Labels labels;
    double value = 0;
};

class Metrics {
public:
    /// Computes a callback gauge's samples when the metrics are read, on the reading thread,
    /// with the registry's lock held (so once its Registration is gone it is never running). It
    /// may read atomics or take a short lock of its own; it must not block, nor call into
    /// Metrics. Each sample needs labels of its own within the family.
    using SampleSource = std::function<std::vector<Sample>()>;

    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    /// The counter `name` ("module.what", as in "mam.archived") with `labels`, made on first
    /// use. The first non-empty `help` of a family is its Prometheus HELP text. A name is one
    /// kind of metric: asking for it as another kind throws std::logic_error.
    Counter& counter(const std::string& name, const Labels& labels = {},
                     const std::string& help = {});
    Gauge& gauge(const std::string& name, const Labels& labels = {}, const std::string& help = {});
    /// Histograms are unlabelled; asking again for `name` with other bounds throws
    /// std::logic_error.
    Histogram& histogram(const std::string& name, const std::vector<double>& bounds,
                         const std::string& help = {});
    /// Adds `source`'s samples to the gauge family `name` until the registration is dropped.
    Registration gauge_callback(const std::string& name, SampleSource source,
                                const std::string& help = {});

    /// Every counter and gauge, callback gauges included, for `starlingctl status`: keyed by
    /// name, or by `name{label="value",...}` for labelled ones. Histograms are left out.
    std::map<std::string, std::int64_t> snapshot() const;
    /// Everything in the Prometheus text exposition format 0.0.4: families sorted by name,
    /// named "starling_" + the name with '.' and '-' made '_' (counters end in "_total"); a
    /// HELP line where a help text was given, one TYPE line; samples sorted by labels.
    std::string prometheus() const;

private:
    struct Family;
    /// The family `name` (made when new), checked to be of `type` (its Prometheus TYPE:
    /// "counter", "gauge" or "histogram"); mutex_ held.
    Family& family(const std::string& name, std::string_view type, const std::string& help);

    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Family>> families_;
    std::uint64_t next_source_ = 0;
};

}  // namespace starling
