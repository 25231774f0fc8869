// Start-up failures of starlingd(8): a module that does not exist or rejects its options ends the
// server before it serves, with a message naming the file, the line and the key; --check-config.
#include "ctl_checks.hpp"
#include "server_fixture.hpp"

#include <chrono>

namespace starling::scenarios {
namespace {

constexpr auto start_up_bound = std::chrono::seconds(10);

// Runs starlingd on the fixture's config, which must make it exit by itself within the bound.
split_result failed_start(const server_fixture& server) {
    const auto began = std::chrono::steady_clock::now();
    auto result = server.run_starlingd({}, start_up_bound + std::chrono::seconds(5));
    require(std::chrono::steady_clock::now() - began < start_up_bound,
            "starlingd took longer than 10 s to fail: " + result.describe());
    return result;
}

// "FILE:LINE: KEY" of the first config line that contains `line_text`.
std::string location(const server_fixture& server, const std::string& line_text,
                     const std::string& key) {
    const int line = server.config_line_of(line_text);
    require(line > 0, "no line with [" + line_text + "] in " + server.config_text());
    return server.config_path() + ":" + std::to_string(line) + ": " + key;
}

}  // namespace

STARLING_SCENARIO(start_unknown_module_fails) {
    server_fixture server(options);
    server.modules = "\n  - disco\n  - nosuch\n  - ping";
    server.write_config();
    auto result = failed_start(server);
    require_exit(result, 1, "starlingd with an unknown module");
    require_contains(result.err, location(server, "- nosuch", "modules.nosuch"),
                     "stderr of starlingd");
    require_contains(result.err, "cannot load module 'nosuch'", "stderr of starlingd");
}

STARLING_SCENARIO(start_module_rejects_unknown_option) {
    server_fixture server(options);
    server.modules = "\n  - disco\n  - version: {colour: red}\n  - ping";
    server.write_config();
    auto result = failed_start(server);
    // starlingd(8): a module that rejects its options is a configuration error, status 3.
    require_exit(result, 3, "starlingd with an unknown module option");
    require_contains(result.err, location(server, "colour", "modules.version.colour"),
                     "stderr of starlingd");
    require_contains(result.err, "show_os", "stderr of starlingd (the known options)");
}

STARLING_SCENARIO(start_module_rejects_bad_option_value) {
    server_fixture server(options);
    server.modules = "\n  - disco\n  - ping:\n      idle_interval: abc\n  - version";
    server.write_config();
    auto result = failed_start(server);
    require_exit(result, 3, "starlingd with ping idle_interval: abc");
    require_contains(result.err, location(server, "idle_interval", "modules.ping.idle_interval"),
                     "stderr of starlingd");
}

STARLING_SCENARIO(starlingd_check_config_valid) {
    server_fixture server(options);
    auto result = server.run_starlingd({"--check-config"}, start_up_bound);
    require_exact(result, 0, server.config_path() + ": OK\n", "starlingd --check-config");
}

STARLING_SCENARIO(starlingd_check_config_invalid) {
    server_fixture server(options);
    server.extra_config = "limits:\n  auth_failures: lots\n";
    server.write_config();
    auto result = server.run_starlingd({"--check-config"}, start_up_bound);
    require_exact(result, 3, "", "starlingd --check-config of an invalid config");
    require_contains(result.err, location(server, "auth_failures", "limits.auth_failures"),
                     "stderr of starlingd --check-config");
}

STARLING_SCENARIO(starlingd_invalid_config_does_not_start) {
    server_fixture server(options);
    server.extra_config = "no_such_setting: 1\n";
    server.write_config();
    auto result = failed_start(server);
    require_exit(result, 3, "starlingd with an invalid config");
    require_contains(result.err, location(server, "no_such_setting", "no_such_setting"),
                     "stderr of starlingd");
}

}  // namespace starling::scenarios

namespace starling::scenarios {

// Two servers must not share a port: SO_REUSEPORT would let the second bind it, and the kernel
// would split clients between them (accounts registered on one, logins failing on the other).
STARLING_SCENARIO(second_server_on_a_taken_port_refuses_to_start) {
    server_fixture first(options);
    first.start();
    server_fixture second(options);
    std::string yaml = second.config_text();
    const std::string own = "port: " + std::to_string(second.c2s_port()) + "}";
    const auto at = yaml.find(own);
    require(at != std::string::npos, "no c2s port line in " + yaml);
    yaml.replace(at, own.size(), "port: " + std::to_string(first.c2s_port()) + "}");
    second.write_config_text(yaml);
    const auto result = failed_start(second);
    require(!result.exited_with(0) &&
                result.err.find("cannot bind c2s on 127.0.0.1:" +
                                std::to_string(first.c2s_port())) != std::string::npos,
            "the second server did not refuse the taken port: " + result.describe());
    require(first.running(), "the first server stopped");
}

}  // namespace starling::scenarios
