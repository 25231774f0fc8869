// idle: holds N logged-in connections and reports what they cost the server: the RSS growth of
// its processes per connection and the kernel's TCP memory (both ends of loopback count there).
#include "bench/bench_error.hpp"
#include "bench/client_pool.hpp"
#include "bench/process_stats.hpp"
#include "bench/scenarios/scenarios.hpp"

#include <thread>

namespace bench {

report run_idle(const options& opts) {
    const process_set server{opts.server_pids};
    client_pool pool(opts);
    const auto rss_before = server.rss_kb();
    const auto kernel_before = kernel_tcp_memory_kb();
    const double cpu_before = own_cpu_seconds();
    auto results = pool.connect(opts.first, opts.users, connection::goal::login);
    require_all_online(results, opts.users);
    std::this_thread::sleep_for(std::chrono::duration<double>(opts.hold_seconds));
    if (const auto dropped = pool.dropped())
        throw bench_error(std::to_string(dropped) + " connections were dropped during the hold; " +
                          "first: " + pool.first_drop().value_or("?"));
    const auto rss_after = server.rss_kb();
    const auto kernel_after = kernel_tcp_memory_kb();
    report r;
    r.add("scenario", "idle");
    r.add("connections", opts.users);
    r.add("server_rss_before_kb", rss_before);
    r.add("server_rss_after_kb", rss_after);
    const double n = opts.users;
    r.add("bytes_per_connection", (double(rss_after) - double(rss_before)) * 1024 / n);
    const double kernel_kb = double(kernel_after) - double(kernel_before);
    r.add("kernel_sockets_kb", kernel_kb);
    r.add("kernel_bytes_per_connection", kernel_kb * 1024 / n);
    add_login_times(r, results);
    r.add("generator_cpu_s", own_cpu_seconds() - cpu_before);
    return r;
}

}  // namespace bench
