// login: a storm of N logins, `--concurrency` in flight. Every account logs in once first, so
// its salted password is in the generator's cache (as a real client keeps it) and the storm
// measures the server's side of SCRAM, not the generator's PBKDF2.
#include "bench/client_pool.hpp"
#include "bench/process_stats.hpp"
#include "bench/scenarios/scenarios.hpp"

#include <iostream>
#include <thread>

namespace bench {

report run_login(const options& opts) {
    const process_set server{opts.server_pids};
    client_pool pool(opts);
    auto warm_up = pool.connect(opts.first, opts.users, connection::goal::login);
    // Failed logins are a figure of the storm; a server that accepts none is not a run.
    if (warm_up.online == 0) require_all_online(warm_up, opts.users);
    pool.close_all();
    // Let the server finish tearing the warm-up sessions down before the clock starts.
    std::this_thread::sleep_for(std::chrono::seconds(1));

    const auto pbkdf2_before = pool.pbkdf2_runs();
    const double server_before = server.cpu_seconds();
    const double own_before = own_cpu_seconds();
    const auto started = std::chrono::steady_clock::now();
    auto results = pool.connect(opts.first, opts.users, connection::goal::login);
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - started;
    const double own_cpu = own_cpu_seconds() - own_before;
    const double server_cpu = server.cpu_seconds() - server_before;
    if (results.first_failure)
        std::cerr << "xmpp-bench: first failure: " << *results.first_failure << "\n";

    report r;
    r.add("scenario", "login");
    r.add("logins", opts.users);
    r.add("failed", results.failed);
    r.add("seconds", seconds.count());
    r.add("logins_per_s", double(results.online) / seconds.count());
    add_login_times(r, results);
    r.add("generator_cpu_s", own_cpu);
    r.add("server_cpu_s", server_cpu);
    r.add("generator_pbkdf2_runs", pool.pbkdf2_runs() - pbkdf2_before);
    return r;
}

}  // namespace bench
