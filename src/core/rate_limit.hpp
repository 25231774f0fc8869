#pragma once
// A rate limit per key: at most `per_window` events in any burst, refilled evenly over `window`
// (so `per_window` per window in the long run). It is the generic cell rate algorithm: each key
// keeps only the time at which its bucket would be full again, and a key whose time has passed
// is forgotten, so idle keys cost nothing. Not thread-safe: the owner locks (a caller that must
// check several limits and take from all of them or none holds one lock over all).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <unordered_map>

namespace starling {

class RateLimit {
public:
    using clock = std::chrono::steady_clock;

    RateLimit(std::int64_t per_window, clock::duration window)
        : window_(window), interval_(window / (per_window > 0 ? per_window : 1)) {}

    /// True when `key` may have one more event now.
    bool allows(const std::string& key, clock::time_point now) const {
        const auto it = full_at_.find(key);
        const clock::time_point from = it == full_at_.end() || it->second < now ? now : it->second;
        return from + interval_ - now <= window_;
    }

    /// Counts one event of `key` (the caller checked allows() under the same lock).
    void take(const std::string& key, clock::time_point now) {
        auto& full_at = full_at_[key];
        full_at = (full_at < now ? now : full_at) + interval_;
        // Forgetting the keys that are full again keeps the table to the keys used lately; done
        // when it doubled since the last sweep, so each event pays O(1) for it on average.
        if (full_at_.size() >= 2 * swept_size_) sweep(now);
    }

private:
    void sweep(clock::time_point now) {
        for (auto it = full_at_.begin(); it != full_at_.end();)
            it = it->second <= now ? full_at_.erase(it) : std::next(it);
        swept_size_ = std::max<std::size_t>(full_at_.size(), 64);
    }

    clock::duration window_;
    clock::duration interval_;  // the window's share of one event
    std::unordered_map<std::string, clock::time_point> full_at_;
    std::size_t swept_size_ = 64;
};

}  // namespace starling
