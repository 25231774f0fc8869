#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace starling::scenarios {

/// What every scenario needs to know about the tree under test and the storage to use.
struct runner_options {
    std::string driver = "sqlite";  ///< "sqlite" or "postgres"
    std::string conninfo;           ///< key=value conninfo of a cluster we may create databases on
    std::string builddir;           ///< holds bench/xmpp-bench
    std::string srcdir;             ///< holds tests/interop/
    /// What runs: the build tree's (BUILDDIR/starlingd, BUILDDIR/modules/.libs, SRCDIR/schemas)
    /// unless the runner was pointed at an installed tree.
    std::string starlingd;
    std::string starlingctl;
    std::string module_dir;
    std::string schema_dir;
    std::string python = "/usr/bin/python3";
    bool verbose = false;           ///< libstrophe debug log on stderr
};

/// Thrown by `require`; the runner prints its message as the reason of the failure.
struct scenario_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Fails the running scenario with `what` unless `condition` holds.
inline void require(bool condition, const std::string& what) {
    if (!condition) throw scenario_failure(what);
}

using scenario_function = std::function<void(const runner_options&)>;

struct scenario {
    std::string name;
    scenario_function run;
};

/// All scenarios of the binary, in registration order.
std::vector<scenario>& scenario_registry();

/// A static instance of this adds a scenario to the registry before main runs.
struct scenario_registration {
    scenario_registration(std::string name, scenario_function run) {
        scenario_registry().push_back({std::move(name), run});
    }
};

}  // namespace starling::scenarios

// Defines a scenario function and registers it under its own name, the way CppUnit suites do.
#define STARLING_SCENARIO(name)                                                             \
    static void scenario_##name(const ::starling::scenarios::runner_options& options);      \
    static const ::starling::scenarios::scenario_registration registration_##name{          \
        #name, scenario_##name};                                                            \
    static void scenario_##name(                                                            \
        [[maybe_unused]] const ::starling::scenarios::runner_options& options)
