#include "server_failures.hpp"

#include "process.hpp"

#include <sys/wait.h>
#include <algorithm>
#include <csignal>
#include <utility>

namespace starling::scenarios {
namespace {

std::vector<std::string>& findings() {
    // One scenario runs per process (main.cpp forks for each), so this is that scenario's list.
    static std::vector<std::string> recorded;
    return recorded;
}

// What the sanitizers, the C++ runtime and assert() write when a process goes wrong. None of
// them is anything starlingd logs on purpose.
constexpr const char* crash_markers[] = {
    "ERROR: AddressSanitizer",        // heap-use-after-free, overflows, ...
    "AddressSanitizer:DEADLYSIGNAL",  // a SEGV under ASan, before its report
    "ERROR: LeakSanitizer",           // leaks, reported at exit
    "WARNING: ThreadSanitizer",
    "runtime error:",    // UndefinedBehaviorSanitizer
    "terminate called",  // an exception nobody caught
    "Assertion `",       // glibc assert()
    "Assertion '",       // libstdc++ assertions (_GLIBCXX_ASSERTIONS)
};

}  // namespace

void report_server_failure(std::string what) {
    findings().push_back(std::move(what));
}

std::vector<std::string> take_server_failures() {
    return std::exchange(findings(), {});
}

void report_if_crashed(const std::string& program, int status, const std::string& output) {
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
        report_server_failure(program + " died of " + describe_status(status) + ": " +
                              output.substr(output.size() > 1500 ? output.size() - 1500 : 0));
    if (const std::string report = crash_report_in(output); !report.empty())
        report_server_failure(program + " wrote a crash report: " + report);
}

std::string crash_report_in(const std::string& output, std::size_t limit) {
    std::size_t first = std::string::npos;
    for (const char* marker : crash_markers) first = std::min(first, output.find(marker));
    if (first == std::string::npos) return "";
    // From the start of the line: the report's own first line says which process and where.
    const std::size_t line = output.rfind('\n', first);
    const std::size_t begin = line == std::string::npos ? 0 : line + 1;
    std::string report = output.substr(begin, limit);
    if (output.size() - begin > limit) report += "...";
    return report;
}

}  // namespace starling::scenarios
