#pragma once
// Exact latency percentiles from every sample: a run keeps at most a few million 8-byte samples,
// which is cheaper and more honest than a histogram's bucket edges.

#include <cstdint>
#include <vector>

namespace bench {

class latency_stats {
public:
    void add(std::uint64_t nanoseconds) { samples_.push_back(nanoseconds); }
    /// Takes over the samples of `other` (a worker thread's share).
    void merge(latency_stats&& other);
    std::size_t count() const { return samples_.size(); }

    /// The nearest-rank percentile (`fraction` in [0, 1]) in nanoseconds; 0 without samples.
    /// Sorts the samples on first use after an add.
    std::uint64_t percentile(double fraction);
    std::uint64_t max();

private:
    void sort();

    std::vector<std::uint64_t> samples_;
    bool sorted_ = true;
};

}  // namespace bench
