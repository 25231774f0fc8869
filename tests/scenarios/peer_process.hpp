#pragma once
// A client stack run as a process of its own beside a scenario (slixmpp's Python scripts,
// converse.js in a browser), while the scenario's libstrophe clients keep answering.

#include "process.hpp"
#include "scenario.hpp"
#include "strophe_client.hpp"

#include <sys/wait.h>
#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace starling::scenarios {

inline std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Waits up to `timeout` for `peer` (called `name` in failures) to exit, running libstrophe's
/// event loop meanwhile; kills it and fails the scenario if it does not finish, and otherwise
/// fails unless it exited 0. `output` is its output file, quoted in failures.
inline void require_clean_exit(pid_t peer, const std::string& name, const std::string& output,
                               std::chrono::milliseconds timeout) {
    std::optional<int> status;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!status && std::chrono::steady_clock::now() < deadline) {
        run_strophe_for(std::chrono::milliseconds(50));
        status = wait_process(peer, std::chrono::milliseconds(0));
    }
    if (!status) {
        kill(peer, SIGKILL);
        wait_process(peer, std::chrono::seconds(5));
        throw scenario_failure(name + " did not finish: " + read_all(output));
    }
    require(WIFEXITED(*status) && WEXITSTATUS(*status) == 0,
            name + " failed (" + describe_status(*status) + "): " + read_all(output));
}

}  // namespace starling::scenarios
