#pragma once
// Per-stream shaping (docs/rate-limits.md): two token buckets, on the bytes and on the top-level
// elements a stream sends, each as the time at which it would be full again (the generic cell
// rate algorithm: no refill arithmetic, and an idle stream's buckets are simply in the past).
// The stream's reader charges what it read and asks how long to wait before reading on; a
// stream that would stay over its rates for more than `hard_after` seconds, never catching up,
// is closed. A few words per stream.
//
// Touched only on its stream's thread.

#include "core/config.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace starling {

class StreamShaper {
public:
    using clock = std::chrono::steady_clock;

    /// From now on the stream may send at `rate`, `burst` seconds of it at once. What it sent
    /// before still counts, at the new rate.
    void set(const config::StreamRate& rate, int burst_seconds, int hard_after_seconds) {
        rate_ = rate;
        burst_ = std::chrono::seconds(burst_seconds);
        hard_after_ = std::chrono::seconds(hard_after_seconds);
    }
    bool limited() const { return rate_.limited(); }

    /// One top-level element parsed: charged with the bytes of its read (take_read).
    void count_element() { ++elements_; }
    /// Charges a read of `bytes` and the elements counted since the last one.
    void take_read(std::size_t bytes, clock::time_point now) {
        if (rate_.bytes != 0) charge(bytes_full_at_, bytes, rate_.bytes, now);
        if (rate_.stanzas != 0 && elements_ != 0)
            charge(stanzas_full_at_, elements_, rate_.stanzas, now);
        elements_ = 0;
    }

    /// How long reading must wait before the stream is within its rates again; zero when it
    /// may read on. `bytes_over` says which bucket is the reason (for the counters).
    clock::duration wait(clock::time_point now, bool& bytes_over) const {
        const auto over = [&](clock::time_point full_at) {
            return std::max(clock::duration::zero(), full_at - now - burst_);
        };
        const auto by_bytes = over(bytes_full_at_);
        const auto by_stanzas = over(stanzas_full_at_);
        bytes_over = by_bytes >= by_stanzas;
        return std::max(by_bytes, by_stanzas);
    }

    /// Reading is to pause for `wait`: true when the stream will then have been over its rates,
    /// without catching up in between, for longer than `hard_after` (one that sent far more than
    /// its rate at once gets there in a single pause).
    bool paused_too_long(clock::time_point now, clock::duration wait) {
        if (over_since_ == clock::time_point{}) over_since_ = now;
        return now - over_since_ + wait > hard_after_;
    }
    /// The socket had nothing more to read: the stream is not sending faster than it is read.
    void caught_up() { over_since_ = {}; }

private:
    static void charge(clock::time_point& full_at, std::size_t n, std::uint32_t rate,
                       clock::time_point now) {
        const auto cost = std::chrono::nanoseconds(static_cast<std::int64_t>(n) * 1'000'000'000 /
                                                   static_cast<std::int64_t>(rate));
        full_at = std::max(full_at, now) + cost;
    }

    config::StreamRate rate_;
    clock::duration burst_{};
    clock::duration hard_after_{};
    clock::time_point bytes_full_at_{};
    clock::time_point stanzas_full_at_{};
    clock::time_point over_since_{};  // zero while the stream keeps within its rates
    std::uint32_t elements_ = 0;      // counted, not charged yet
};

}  // namespace starling
