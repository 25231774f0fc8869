#include "bench/latency_stats.hpp"

#include <algorithm>
#include <cmath>

namespace bench {

void latency_stats::merge(latency_stats&& other) {
    if (samples_.empty()) {
        samples_ = std::move(other.samples_);
        sorted_ = other.sorted_;
    } else {
        samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
        sorted_ = false;
    }
    other.samples_.clear();
    other.sorted_ = true;
}

void latency_stats::sort() {
    // add() does not track order, so sort unless a merge or a previous sort left it sorted.
    if (!sorted_ || !std::is_sorted(samples_.begin(), samples_.end()))
        std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
}

std::uint64_t latency_stats::percentile(double fraction) {
    if (samples_.empty()) return 0;
    sort();
    // Nearest rank: the smallest sample with at least `fraction` of all samples at or below it.
    const double rank = std::ceil(fraction * static_cast<double>(samples_.size()));
    const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
    return samples_[std::min(index, samples_.size() - 1)];
}

std::uint64_t latency_stats::max() {
    if (samples_.empty()) return 0;
    sort();
    return samples_.back();
}

}  // namespace bench
