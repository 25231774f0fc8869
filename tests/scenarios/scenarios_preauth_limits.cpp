// What a connection that never authenticates may hold (issue: pre-auth memory amplification).
// Reproduced before the fix: 20 plaintext connections, each a stream header and one unfinished
// 16 KB stanza (an element whose namespace is a 7,800-character URI, then 2,000 empty children),
// took the server from 19 MB to 325 MB. Also the connection limits per address and in all,
// accept() out of descriptors, and the deadline between SASL success and binding.
#include "raw_session.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <sys/resource.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace starling::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string long_namespace = "urn:x:" + std::string(7800, 'n');

// A stream header and the start of a stanza that never ends.
std::string unfinished_stanza(int children, bool prefixed) {
    std::string out = stream_header("example.test");
    out +=
        prefixed ? "<iq xmlns:p='" + long_namespace + "'>" : "<iq xmlns='" + long_namespace + "'>";
    for (int i = 0; i < children; ++i) out += prefixed ? "<p:a/>" : "<a/>";
    return out;
}

// The stream error a raw connection got, with its text.
std::string stream_error_with_text(raw_stream& stream) {
    for (;;) {
        auto e = stream.next_element(seconds(5));
        require(e.has_value(), "no stream error arrived (the stream stayed open or just closed)");
        if (e->name != "error" || e->ns != ns::streams) continue;
        const xml_element* text = e->child("text", ns::stream_errors);
        return error_condition(*e) + ": " + (text ? text->text : "");
    }
}

// 20 connections, each sending `bytes` and then nothing.
std::vector<std::unique_ptr<raw_stream>> attackers(server_fixture& server,
                                                   const std::string& bytes) {
    std::vector<std::unique_ptr<raw_stream>> out;
    for (int i = 0; i < 20; ++i) {
        out.push_back(std::make_unique<raw_stream>(server.c2s_port()));
        out.back()->send(bytes);
    }
    return out;
}

// The server's resident memory once it has settled, in KiB.
std::uint64_t settled_rss(server_fixture& server) {
    std::this_thread::sleep_for(milliseconds(300));  // what is being measured is not a wait
    return rss_kib(server.pid());
}

}  // namespace

STARLING_SCENARIO(preauth_hostile_stanza_is_refused_and_holds_no_memory) {
    server_fixture server(options);
    server.start();
    const auto before = settled_rss(server);
    for (auto& attacker : attackers(server, unfinished_stanza(2000, false))) {
        const std::string error = stream_error_with_text(*attacker);
        require(error == "policy-violation: stanza with more than 128 elements",
                "the unfinished stanza got " + error);
    }
    const auto after = settled_rss(server);
    require(after < before + 8 * 1024, "20 hostile connections grew the server from " +
                                           std::to_string(before) + " KiB to " +
                                           std::to_string(after) + " KiB");
}

STARLING_SCENARIO(preauth_elements_in_one_long_namespace_share_it) {
    server_fixture server(options);
    server.start();
    const auto before = settled_rss(server);
    // Under every limit (120 elements, 16 KB) and held open: each element names the 7,800-byte
    // namespace through its prefix, and before the fix each kept its own copy (~1 MB a stream).
    auto held = attackers(server, unfinished_stanza(120, true));
    for (auto& attacker : held) attacker->expect_header();
    // A round trip on a fresh stream after the 20: the server has parsed what they sent.
    raw_session probe(server.c2s_port());
    probe.open();
    const auto after = settled_rss(server);
    require(after < before + 6 * 1024,
            "20 streams holding 120 elements each grew the server from " + std::to_string(before) +
                " KiB to " + std::to_string(after) + " KiB");
    for (auto& attacker : held)
        require(!attacker->wait_closed(milliseconds(10)), "a stream within the limits was closed");
}

STARLING_SCENARIO(connections_per_ip_limit_refuses_with_policy_violation) {
    server_fixture server(options);
    server.extra_config = "limits: {connections_per_ip: 3}\n";
    server.write_config();
    server.start();
    std::vector<std::unique_ptr<raw_session>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<raw_session>(server.c2s_port()));
        held.back()->open();
    }
    raw_stream fourth(server.c2s_port());
    fourth.send(stream_header("example.test"));
    const std::string error = stream_error_with_text(fourth);
    require(error ==
                "policy-violation: too many connections: 3 connections from this address "
                "(limits.connections_per_ip)",
            "the fourth connection got " + error);
    require(fourth.wait_closed(), "the refused connection stayed open");
    // A slot comes free once the server has seen a connection go.
    held.pop_back();
    const auto deadline = std::chrono::steady_clock::now() + seconds(5);
    for (;;) {
        raw_stream next(server.c2s_port());
        next.send(stream_header("example.test"));
        auto e = next.next_element(seconds(5));
        require(e.has_value(), "no answer on a new connection after one closed");
        if (e->name == "features") break;
        require(std::chrono::steady_clock::now() < deadline,
                "still refused 5 s after a connection closed: " + e->to_string());
        std::this_thread::sleep_for(milliseconds(50));  // polling for the slot, bounded above
    }
}

STARLING_SCENARIO(connections_total_limit_refuses_with_policy_violation) {
    server_fixture server(options);
    server.extra_config = "limits: {connections: 2, connections_per_ip: 0}\n";
    server.write_config();
    server.start();
    raw_session first(server.c2s_port());
    first.open();
    raw_session second(server.c2s_port());
    second.open();
    raw_stream third(server.c2s_port());
    third.send(stream_header("example.test"));
    const std::string error = stream_error_with_text(third);
    require(error ==
                "policy-violation: too many connections: the server has 2 connections "
                "(limits.connections)",
            "the third connection got " + error);
}

STARLING_SCENARIO(accept_without_descriptors_pauses_instead_of_spinning) {
    server_fixture server(options);
    server.extra_config = "limits: {connections: 100000, connections_per_ip: 0}\n";
    server.write_config();
    server.start();
    // The server has a few dozen descriptors open; 64 leaves room for only some connections.
    const rlimit tight{64, 64};
    require(prlimit(server.pid(), RLIMIT_NOFILE, &tight, nullptr) == 0,
            "cannot lower the server's open-file limit");
    std::vector<std::unique_ptr<raw_stream>> clients;
    for (int i = 0; i < 80; ++i) clients.push_back(std::make_unique<raw_stream>(server.c2s_port()));
    // The later connections wait in the backlog while accept() fails: the server must not
    // burn a core retrying it.
    std::this_thread::sleep_for(milliseconds(300));  // let the failures start
    const double cpu_before = cpu_seconds(server.pid());
    std::this_thread::sleep_for(seconds(2));  // the interval whose CPU time is measured
    const double used = cpu_seconds(server.pid()) - cpu_before;
    require(used < 0.5, "the server used " + std::to_string(used) +
                            " s of CPU in 2 s while accept() had no descriptors");
    require(server.log_text().find("accept: Too many open files") != std::string::npos,
            "the log does not say accept() ran out of descriptors");
    // Once descriptors come free, waiting connections are served.
    clients.resize(20);
    clients.back()->send(stream_header("example.test"));
    clients.back()->expect_header(seconds(10));
    raw_session late(server.c2s_port());
    late.open();
}

STARLING_SCENARIO(bind_deadline_after_sasl_success) {
    server_fixture server(options);
    server.extra_config = "limits: {preauth_timeout: 2s}\n";
    server.write_config();
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    auto result = session.authenticate("PLAIN", alice.localpart, alice.password);
    require(result.name == "success", "login failed: " + result.to_string());
    // Authenticated, and then nothing: no bind.
    const auto started = std::chrono::steady_clock::now();
    const std::string error = stream_error_with_text(session.stream());
    const auto waited = std::chrono::steady_clock::now() - started;
    require(error == "connection-timeout: resource binding took too long",
            "an authenticated stream that never bound got " + error);
    require(waited < seconds(4), "the deadline was not kept");
}

}  // namespace starling::scenarios
