// The load generator against a live Starling: accounts made by in-band registration, a short
// chat run in which every message must arrive exactly once, and an offline queue that must
// drain completely. A correctness check of both sides, not a timing.
#include "process.hpp"
#include "server_fixture.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace starling::scenarios {
namespace {

// The integer value of "key" in xmpp-bench's flat JSON output; fails the scenario if absent.
std::int64_t json_integer(const std::string& json, const std::string& key) {
    const std::string needle = "\"" + key + "\":";
    const auto at = json.find(needle);
    require(at != std::string::npos, "xmpp-bench output has no '" + key + "': " + json);
    return std::stoll(json.substr(at + needle.size()));
}

split_result run_bench(const runner_options& options, const server_fixture& server,
                       std::vector<std::string> args) {
    std::vector<std::string> argv = {options.builddir + "/bench/xmpp-bench",
                                     "--port",
                                     std::to_string(server.c2s_port()),
                                     "--domain",
                                     main_host,
                                     "--user-prefix",
                                     "load",
                                     "--password",
                                     "bench-secret",
                                     "--output",
                                     "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run_split(argv, "", std::chrono::seconds(60));
    require(result.exited_with(0), "xmpp-bench " + args.at(1) + " failed: " + result.describe());
    return result;
}

}  // namespace

STARLING_SCENARIO(bench_chat_delivers_every_message_once) {
    server_fixture server(options);
    server.log_level = "info";
    server.modules =
        "[disco, ping, {offline: {max_from_strangers: 1000}}, {register: {allow_registration: "
        "true, registrations_per_ip: 1000}}]";
    server.write_config();
    server.start();

    auto registered = run_bench(options, server, {"--scenario", "register", "--users", "20"});
    require(json_integer(registered.out, "created") + json_integer(registered.out, "existed") == 20,
            "not all 20 accounts were registered: " + registered.out);
    require(json_integer(registered.out, "failed") == 0, "registrations failed: " + registered.out);

    auto chat = run_bench(options, server,
                          {"--scenario", "chat", "--users", "20", "--rate", "400", "--duration",
                           "2", "--grace", "5"});
    const auto sent = json_integer(chat.out, "sent");
    require(sent > 0, "xmpp-bench sent nothing: " + chat.out);
    require(json_integer(chat.out, "delivered") == sent,
            "not every message was delivered: " + chat.out);
    require(json_integer(chat.out, "lost") == 0, "messages were lost: " + chat.out);
    require(json_integer(chat.out, "duplicated") == 0, "messages were duplicated: " + chat.out);

    auto offline =
        run_bench(options, server,
                  {"--scenario", "offline", "--users", "2", "--messages", "200", "--grace", "5"});
    require(json_integer(offline.out, "delivered") == 200,
            "the offline queue did not drain: " + offline.out);
}

}  // namespace starling::scenarios
