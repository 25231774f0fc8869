#include "bench/process_stats.hpp"

#include "bench/bench_error.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <fstream>
#include <sstream>

namespace bench {

std::optional<std::uint64_t> rss_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    }
    return std::nullopt;
}

std::optional<double> cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // After ')' come state (field 3) ... utime is field 14 and stime field 15.
    for (int number = 3; number <= 15 && fields >> field; ++number) {
        if (number == 14) utime = std::stoull(field);
        if (number == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::uint64_t kernel_tcp_memory_kb() {
    std::ifstream in("/proc/net/sockstat");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("TCP:", 0) != 0) continue;
        std::istringstream words(line.substr(4));
        std::string key;
        std::uint64_t value = 0;
        while (words >> key >> value)
            if (key == "mem")
                return value * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
    }
    return 0;
}

std::uint64_t process_set::rss_kb() const {
    std::uint64_t total = 0;
    for (auto pid : pids) {
        auto value = bench::rss_kb(pid);
        if (!value) throw bench_error("--server-pid " + std::to_string(pid) + ": no such process");
        total += *value;
    }
    return total;
}

double process_set::cpu_seconds() const {
    double total = 0;
    for (auto pid : pids) {
        auto value = bench::cpu_seconds(pid);
        if (!value) throw bench_error("--server-pid " + std::to_string(pid) + ": no such process");
        total += *value;
    }
    return total;
}

std::uint64_t raise_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

}  // namespace bench
