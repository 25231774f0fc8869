#pragma once
// The scenarios of xmpp-bench, one file each. Each returns its figures; a run that cannot
// go on throws bench_error.

#include "bench/options.hpp"
#include "bench/report.hpp"

#include <chrono>
#include <cstdint>

namespace bench {

class client_pool;
struct login_results;

report run_register(const options& opts);
report run_idle(const options& opts);
report run_login(const options& opts);
report run_chat(const options& opts);
report run_offline(const options& opts);
/// Rooms of occupants (one may be big), joins timed, then groupchat (and 1:1) at fixed rates.
report run_muc(const options& opts);
/// N unauthenticated connections holding an unfinished, memory-hungry stanza each.
report run_preauth(const options& opts);

/// Nanoseconds on the steady clock, which sender and receiver share in this process.
inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

/// Throws bench_error with the first failure unless every login of `results` succeeded.
void require_all_online(const login_results& results, std::uint32_t expected);

/// login_ms: {p50, p99} (and max) from the login times of `results`.
void add_login_times(report& r, login_results& results);

}  // namespace bench
