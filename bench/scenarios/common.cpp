#include "bench/bench_error.hpp"
#include "bench/scenarios/scenarios.hpp"
#include "bench/worker.hpp"

namespace bench {

void require_all_online(const login_results& results, std::uint32_t expected) {
    if (results.failed == 0 && results.online == expected) return;
    throw bench_error(std::to_string(results.failed) + " of " + std::to_string(expected) +
                      " logins failed; first: " + results.first_failure.value_or("(unknown)"));
}

void add_login_times(report& r, login_results& results) {
    auto& ms = r.group("login_ms");
    ms.add("p50", results.times.percentile(0.50) / 1e6);
    ms.add("p99", results.times.percentile(0.99) / 1e6);
    ms.add("max", results.times.max() / 1e6);
}

}  // namespace bench
