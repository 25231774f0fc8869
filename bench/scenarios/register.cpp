// register: creates the accounts with XEP-0077 in-band registration; an account that already
// exists counts as done, so the scenario can run before every benchmark.
#include "bench/bench_error.hpp"
#include "bench/client_pool.hpp"
#include "bench/process_stats.hpp"
#include "bench/scenarios/scenarios.hpp"

#include <iostream>

namespace bench {

report run_register(const options& opts) {
    client_pool pool(opts);
    const auto started = std::chrono::steady_clock::now();
    auto results = pool.connect(opts.first, opts.users, connection::goal::register_account);
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - started;
    // Refused registrations are a figure; a server that cannot be reached is not a run.
    if (results.connection_failed && results.created + results.existed == 0)
        throw bench_error("registration failed: " + results.first_failure.value_or("?"));
    if (results.first_failure)
        std::cerr << "xmpp-bench: first failure: " << *results.first_failure << "\n";
    report r;
    r.add("scenario", "register");
    r.add("created", results.created);
    r.add("existed", results.existed);
    r.add("failed", results.failed);
    r.add("seconds", seconds.count());
    r.add("generator_cpu_s", own_cpu_seconds());
    return r;
}

}  // namespace bench
