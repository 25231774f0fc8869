// The scenario runner: each scenario runs in a child process of its own (its own process group,
// so a server it started cannot outlive it), bounded in time, and reports PASS or FAIL. A
// scenario also fails when a server it ran crashed (server_failures.hpp), even if it passed.
#include "scenario.hpp"
#include "server_failures.hpp"
#include "strophe_client.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace starling::scenarios;

namespace {

constexpr auto scenario_time_limit = std::chrono::seconds(90);

void usage(const char* program) {
    std::cerr << "usage: " << program
              << " [--driver sqlite|postgres] [--conninfo CONNINFO] [--builddir DIR]"
                 " [--srcdir DIR] [--starlingd PATH] [--starlingctl PATH] [--module-dir DIR]"
                 " [--schema-dir DIR] [--python PATH] [--only NAME]... [--skip NAME]... [--list]"
                 " [--verbose]\n";
}

// The binary lives in BUILDDIR/tests/scenarios/, so the build tree is two levels up.
std::string default_builddir() {
    std::error_code error;
    auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error) return ".";
    return executable.parent_path().parent_path().parent_path().string();
}

struct outcome {
    bool passed = false;
    std::string reason;
};

[[noreturn]] void run_child(const scenario& test, const runner_options& options, int report_fd) {
    setpgid(0, 0);
    std::string reason;
    bool failed = true;
    try {
        test.run(options);
        failed = false;
    } catch (const std::exception& error) {
        reason = error.what();
    } catch (...) {
        reason = "unknown exception";
    }
    // A server that crashed fails the scenario whatever the scenario itself concluded, and it
    // comes first: it is the likelier cause of anything that failed after it.
    std::string crashes;
    for (const auto& finding : take_server_failures())
        crashes += (crashes.empty() ? "" : "; ") + finding;
    if (!crashes.empty()) reason = crashes + (failed ? "; and then: " + reason : "");
    if (!failed && crashes.empty()) _exit(0);
    // One line per failure keeps the runner's output greppable.
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    if (write(report_fd, reason.data(), reason.size()) < 0) _exit(2);
    _exit(1);
}

outcome run_isolated(const scenario& test, const runner_options& options) {
    int report[2];
    if (pipe(report) != 0) return {false, "pipe failed"};
    std::cout.flush();
    pid_t child = fork();
    if (child < 0) return {false, "fork failed"};
    if (child == 0) {
        close(report[0]);
        run_child(test, options, report[1]);
    }
    setpgid(child, child);
    close(report[1]);

    std::string reason;
    const auto deadline = std::chrono::steady_clock::now() + scenario_time_limit;
    bool timed_out = false;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd waiting{report[0], POLLIN, 0};
        if (poll(&waiting, 1, static_cast<int>(left.count())) <= 0) continue;
        char buffer[4096];
        ssize_t got = read(report[0], buffer, sizeof buffer);
        if (got <= 0) break;
        reason.append(buffer, static_cast<std::size_t>(got));
    }
    close(report[0]);
    // Whatever the child left behind in its group (a server it could not stop) goes too.
    kill(-child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    if (timed_out) return {false, "timed out after " +
                                      std::to_string(scenario_time_limit.count()) + " s"};
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, ""};
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
        return {false, "crashed with signal " + std::to_string(WTERMSIG(status))};
    return {false, reason.empty() ? "failed without a reason" : reason};
}

}  // namespace

int main(int argc, char** argv) {
    runner_options options;
    options.builddir = default_builddir();
    options.srcdir = STARLING_SRCDIR;
    std::vector<std::string> only;
    std::vector<std::string> skip;
    bool list = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage(argv[0]);
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--driver") options.driver = value();
        else if (arg == "--conninfo") options.conninfo = value();
        else if (arg == "--builddir") options.builddir = value();
        else if (arg == "--srcdir") options.srcdir = value();
        else if (arg == "--starlingd") options.starlingd = value();
        else if (arg == "--starlingctl") options.starlingctl = value();
        else if (arg == "--module-dir") options.module_dir = value();
        else if (arg == "--schema-dir") options.schema_dir = value();
        else if (arg == "--python") options.python = value();
        else if (arg == "--only") only.push_back(value());
        else if (arg == "--skip") skip.push_back(value());
        else if (arg == "--list") list = true;
        else if (arg == "--verbose") options.verbose = true;
        else {
            usage(argv[0]);
            return 2;
        }
    }
    if (options.driver != "sqlite" && options.driver != "postgres") {
        std::cerr << "--driver must be sqlite or postgres, not '" << options.driver << "'\n";
        return 2;
    }
    // An installed tree (make installcheck) names its own binaries, modules and schemas.
    if (options.starlingd.empty()) options.starlingd = options.builddir + "/starlingd";
    if (options.starlingctl.empty()) options.starlingctl = options.builddir + "/starlingctl";
    if (options.module_dir.empty()) options.module_dir = options.builddir + "/modules/.libs";
    if (options.schema_dir.empty()) options.schema_dir = options.srcdir + "/schemas";
    if (options.verbose) enable_strophe_debug_log();
    // A server closing a socket under a raw client must fail a scenario, not kill the runner.
    signal(SIGPIPE, SIG_IGN);

    auto tests = scenario_registry();
    std::sort(tests.begin(), tests.end(),
              [](const scenario& a, const scenario& b) { return a.name < b.name; });
    auto named = [](const std::vector<std::string>& names, const std::string& name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    for (const auto* names : {&only, &skip}) {
        for (const auto& name : *names) {
            bool known = std::any_of(tests.begin(), tests.end(),
                                     [&](const scenario& test) { return test.name == name; });
            if (!known) {
                std::cerr << "no scenario named '" << name << "' (see --list)\n";
                return 2;
            }
        }
    }

    int passed = 0;
    int failed = 0;
    for (const auto& test : tests) {
        if ((!only.empty() && !named(only, test.name)) || named(skip, test.name)) continue;
        if (list) {
            std::cout << test.name << "\n";
            continue;
        }
        outcome result = run_isolated(test, options);
        if (result.passed) {
            ++passed;
            std::cout << "PASS " << test.name << std::endl;
        } else {
            ++failed;
            std::cout << "FAIL " << test.name << ": " << result.reason << std::endl;
        }
    }
    if (list) return 0;
    std::cout << "scenarios: " << passed << " passed, " << failed << " failed" << std::endl;
    return failed == 0 ? 0 : 1;
}
