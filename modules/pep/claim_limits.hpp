#pragma once
// How many single-use prekeys may be claimed (docs/prekeys.md §5): per claimer over every owner,
// and per owner over every stranger, each a burst that refills over an hour. A claim is counted
// when it is admitted, before it reaches the database, under one lock: claims pipelined in one
// write or in flight on many sessions at once are counted exactly, and a claim refused by one
// limit takes nothing from the other.

#include "core/rate_limit.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace starling::pep {

class ClaimLimits {
public:
    enum class Verdict { admitted, claimer_limited, owner_limited };

    ClaimLimits(std::int64_t per_claimer, std::int64_t per_owner_from_strangers)
        : per_claimer_(per_claimer, std::chrono::hours(1)),
          per_owner_(per_owner_from_strangers, std::chrono::hours(1)) {}

    /// True when the claimer has no claim left now: answered before any database work.
    bool claimer_limited(const std::string& claimer) {
        std::lock_guard lock(mutex_);
        return !per_claimer_.allows(claimer, RateLimit::clock::now());
    }

    /// Counts one claim of `claimer` (a bare JID) and, when the claimer is a stranger to the
    /// owner, one of the owner's claims by strangers; `stranger_to` is then the owner's bare JID,
    /// else empty. Counts in both or neither.
    Verdict admit(const std::string& claimer, const std::string& stranger_to) {
        const auto now = RateLimit::clock::now();
        std::lock_guard lock(mutex_);
        if (!per_claimer_.allows(claimer, now)) return Verdict::claimer_limited;
        if (!stranger_to.empty() && !per_owner_.allows(stranger_to, now))
            return Verdict::owner_limited;
        per_claimer_.take(claimer, now);
        if (!stranger_to.empty()) per_owner_.take(stranger_to, now);
        return Verdict::admitted;
    }

private:
    std::mutex mutex_;
    RateLimit per_claimer_;
    RateLimit per_owner_;
};

}  // namespace starling::pep
