#pragma once

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace starling::scenarios {

/// Starts `argv` with stdout and stderr appended to `output_file`; returns its PID.
pid_t spawn_process(const std::vector<std::string>& argv, const std::string& output_file);

/// Waits up to `timeout` for `pid` to exit; returns its wait status, or nothing if it still runs.
std::optional<int> wait_process(pid_t pid, std::chrono::milliseconds timeout);

/// A finished command: its wait status and everything it wrote to stdout and stderr.
struct command_result {
    int status = -1;
    std::string output;
    bool exited_with(int code) const;
};

/// Runs `argv` to completion, killing it after `timeout`; fails the scenario if it cannot start.
command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

/// A finished command with its standard output and standard error kept apart, for CLI contracts
/// that say which of the two a message goes to.
struct split_result {
    int status = -1;
    std::string out;
    std::string err;
    bool exited_with(int code) const;
    /// Status and both streams, for failure messages.
    std::string describe() const;
};

/// Runs `argv` with `input` as its standard input (a file, so not a terminal), killing it after
/// `timeout`.
split_result run_split(const std::vector<std::string>& argv, const std::string& input,
                       std::chrono::milliseconds timeout);

/// VmRSS of `pid` in KiB (from /proc); fails the scenario if the process is gone.
std::uint64_t rss_kib(pid_t pid);
/// User plus system CPU time `pid` has used, in seconds (from /proc).
double cpu_seconds(pid_t pid);

/// "exit 3", "signal 9": a wait status as a person reads it.
std::string describe_status(int status);

}  // namespace starling::scenarios
