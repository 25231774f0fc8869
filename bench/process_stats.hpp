#pragma once
// What the generator measures about processes and the kernel, from /proc and getrusage.

#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

/// VmRSS of `pid` in KiB; nothing if the process is gone.
std::optional<std::uint64_t> rss_kb(pid_t pid);
/// utime + stime of `pid` in seconds; nothing if the process is gone.
std::optional<double> cpu_seconds(pid_t pid);
/// User + system CPU this process has used, in seconds.
double own_cpu_seconds();
/// The TCP "mem" figure of /proc/net/sockstat (pages) times the page size, in KiB.
std::uint64_t kernel_tcp_memory_kb();

/// Sums over several processes (a server may run as more than one).
struct process_set {
    std::vector<pid_t> pids;
    /// Throws bench_error naming the PID that is not there.
    std::uint64_t rss_kb() const;
    double cpu_seconds() const;
};

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
std::uint64_t raise_file_limit();

}  // namespace bench
