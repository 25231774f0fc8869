// /metrics on a metrics listener: the Prometheus text after known traffic (messages routed
// and delivered, stored offline, bounced; connections by listener type; storage latency), the
// same counters starlingctl status prints, and what other methods and paths get.
#include "client_steps.hpp"
#include "free_port.hpp"
#include "http_client.hpp"
#include "server_fixture.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"

#include <map>
#include <sstream>
#include <thread>

namespace starling::scenarios {
namespace {

// The samples of a Prometheus text exposition: series (name and labels, as written) → value.
// Every line must be a comment or "series value".
std::map<std::string, double> parse_samples(const std::string& text) {
    std::map<std::string, double> samples;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        require(space != std::string::npos && space > 0, "not a sample line: " + line);
        std::size_t used = 0;
        const std::string value = line.substr(space + 1);
        const double number = std::stod(value, &used);
        require(used == value.size(), "not a number in: " + line);
        samples[line.substr(0, space)] = number;
    }
    return samples;
}

std::map<std::string, double> scrape(std::uint16_t port) {
    http_client client(port);
    auto reply = client.request("GET", "/metrics");
    require(reply.status == 200 &&
                reply.header("content-type") == "text/plain; version=0.0.4; charset=utf-8",
            "GET /metrics: " + reply.to_string());
    return parse_samples(reply.body);
}

void require_sample(const std::map<std::string, double>& samples, const std::string& series,
                    double expected) {
    const auto it = samples.find(series);
    require(it != samples.end(), "no sample " + series);
    require(it->second == expected, series + " is " + std::to_string(it->second) +
                                        ", expected " + std::to_string(expected));
}

}  // namespace

STARLING_SCENARIO(metrics_endpoint_counts_known_traffic) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.modules = "[disco, ping, offline]";
    server.extra_listen += listen_entry("metrics", port);
    server.write_config();
    server.add_account("c@example.test", "carol-secret-3");
    start_with_accounts(server);

    const auto before = scrape(port);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    a.login();
    b.login();
    for (int i = 0; i < 5; ++i)
        a.send("<message to='" + b.bound_jid() + "' type='chat' id='m" +
               std::to_string(i) + "'><body>hi</body></message>");
    for (int i = 0; i < 5; ++i) b.wait_for(stanza_named("message", "m" + std::to_string(i)),
                                           "message m" + std::to_string(i));
    // Two for an account that is offline, one for an account that does not exist.
    for (int i = 0; i < 2; ++i)
        a.send("<message to='c@example.test' type='chat' id='o" + std::to_string(i) +
               "'><body>later</body></message>");
    a.send("<message to='nobody@example.test' type='chat' id='x'><body>?</body></message>");
    auto bounce = a.wait_for(stanza_named("message", "x"), "the bounce");
    require(stanza_error_condition(bounce.get()) == "service-unavailable",
            "a message to no account: " + stanza_text(bounce.get()));

    // Poll until the two offline stores have committed and counted, bounded.
    std::map<std::string, double> after;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
        after = scrape(port);
        if (after["starling_offline_stored_total"] == 2) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);

    const auto grew = [&](const std::string& series) {
        return after[series] - before.at(series);
    };
    require(grew("starling_router_routed_total{kind=\"message\"}") == 8,
            "messages routed: " + std::to_string(grew("starling_router_routed_total{kind=\"message\"}")) +
                ", expected the 8 alice sent");
    require(grew("starling_router_delivered_total") >= 5,
            "deliveries: " + std::to_string(grew("starling_router_delivered_total")) +
                ", expected at least bob's 5");
    require_sample(after, "starling_offline_stored_total", 2);
    require(grew("starling_router_bounced_total{condition=\"service-unavailable\"}") == 1,
            "bounces with service-unavailable: " +
                std::to_string(grew("starling_router_bounced_total{condition=\"service-unavailable\"}")));
    require_sample(after, "starling_connections{type=\"c2s\"}", 2);
    require_sample(after, "starling_connections{type=\"metrics\"}", 1);  // this scrape's own
    require(after["starling_storage_job_seconds_count"] > before.at("starling_storage_job_seconds_count") &&
                after["starling_storage_job_seconds_bucket{le=\"+Inf\"}"] ==
                    after["starling_storage_job_seconds_count"],
            "the storage latency histogram did not count the offline stores");

    // starlingctl status reads the same registry.
    const auto status = server.ctl({"status"});
    require(status.out.find("\noffline.stored 2\n") != std::string::npos,
            "starlingctl status does not show offline.stored 2: " + status.out);

    // Only GET and HEAD, and only /metrics.
    http_client client(port);
    auto post = client.request("POST", "/metrics", {}, "x");
    require(post.status == 405 && post.header("allow") == "GET, HEAD",
            "POST /metrics: " + post.to_string());
    auto head = client.request("HEAD", "/metrics");
    require(head.status == 200 && head.body.empty() &&
                std::stoul(head.header("content-length")) > 1000,
            "HEAD /metrics: " + head.to_string());
    require(client.request("GET", "/metrics/other").status == 404, "GET /metrics/other is no 404");
}

}  // namespace starling::scenarios
