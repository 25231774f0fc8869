// Every write counts towards limits.outbound_queue_bytes, and past it the stream is closed with
// <policy-violation/> while what it had queued is stored (issue: writes that skip the outbound
// bound). Reproduced before the fix: a client that stopped reading and kept sending <r/> took
// the server from 17 MB to 266 MB and was never closed, and messages for a client that stopped
// reading were bounced to their senders with <resource-constraint/> one by one.
#include "client_steps.hpp"
#include "raw_session.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <string>
#include <thread>

namespace starling::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* overflow_line =
    "stream error policy-violation: the client does not read what the server sends";

}  // namespace

STARLING_SCENARIO(r_flood_from_a_client_that_does_not_read_closes_its_stream) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, smacks]";
    // No rate limit: the outbound bound must hold on its own (with one, the flood is closed
    // for its rate first: rate_limit_stream_far_over_its_rate_is_closed).
    server.extra_config =
        "limits: {outbound_queue_bytes: 65536}\nrate_limits: {c2s: {bytes: 0, stanzas: 0}}\n";
    server.write_config();
    start_with_accounts(server);
    sm_client a(server.c2s_port());
    a.login(alice, "phone");
    a.enable();
    const auto mark = server.log_mark();
    const auto rss_before = rss_kib(server.pid());
    // 40 MB of <r/> at most, never reading an <a/>: the server must close the stream long
    // before (once its queue passes 64 KiB beyond what the kernel buffers hold).
    std::string chunk;
    for (int i = 0; i < 4000; ++i) chunk += "<r xmlns='urn:xmpp:sm:3'/>";
    int sent = 0;
    while (sent < 400 && a.stream().try_send(chunk)) ++sent;
    require(sent < 400,
            "the server took 40 MB of <r/> from a client that reads nothing, "
            "and kept the stream open");
    server.wait_for_log(overflow_line, mark);
    const auto rss_after = rss_kib(server.pid());
    require(rss_after < rss_before + 32 * 1024, "the flood grew the server from " +
                                                    std::to_string(rss_before) + " KiB to " +
                                                    std::to_string(rss_after) + " KiB");
}

STARLING_SCENARIO(messages_for_a_client_that_does_not_read_are_stored_when_it_is_closed) {
    server_fixture server(options);
    // Room for everything the stalled stream may hand back, so no pruning notice comes first.
    server.modules =
        "[disco, ping, roster, presence, {offline: {max_messages: 5000, max_from_strangers: "
        "5000}}]";
    server.extra_config = "limits: {outbound_queue_bytes: 65536}\n";
    server.write_config();
    start_with_accounts(server);
    // Bob reads nothing, through a 4 KB receive window.
    const auto mark = server.log_mark();
    raw_session b(server.c2s_port(), raw_session::transport::plain, "example.test", 4096);
    b.login("PLAIN", bob.localpart, bob.password, "stalled");
    b.stream().send("<presence/>");
    raw_session a(server.c2s_port());
    a.login("PLAIN", alice.localpart, alice.password, "desk");
    constexpr int count = 1500;
    const std::string filler(8000, 'x');
    std::string batch;
    for (int i = 0; i < count; ++i) {
        batch += "<message type='chat' to='" + std::string(bob.jid) + "/stalled' id='s" +
                 std::to_string(i) + "'><body>" + std::to_string(i) + " " + filler +
                 "</body></message>";
        if (batch.size() > 256 * 1024 || i == count - 1) {
            a.stream().send(batch);
            batch.clear();
        }
    }
    // The ping's answer comes after every message was routed (a stream's stanzas in order).
    a.stream().send("<iq type='get' id='settle'><ping xmlns='urn:xmpp:ping'/></iq>");
    for (;;) {
        auto e = a.stream().next_element(seconds(30));
        require(e.has_value(), "no answer to alice's ping after her messages");
        require(!(e->name == "message" && e->attribute("type") == "error"),
                "a message was bounced to alice: " + e->to_string());
        if (e->name == "iq" && e->attribute("id") == "settle") break;
    }
    server.wait_for_log(overflow_line, mark);
    server.wait_for_log(std::string(bob.jid) + "/stalled logged out", mark);
    // What the stalled stream never got arrives at bob's next login: the newest messages, in
    // order, through to the last one alice sent.
    strophe_client again(std::string(bob.jid) + "/desk", bob.password, server.c2s_port());
    again.login();
    again.send("<presence/>");
    auto first = again.wait_for(any_message, "a stored message", seconds(10));
    int expected = std::stoi(stanza_attribute(first.get(), "id").substr(1));
    require(expected > 0 && expected < count,
            "unexpected first stored message " + stanza_text(first.get()));
    for (int i = expected + 1; i < count; ++i) {
        auto next =
            again.wait_for(any_message, "stored message s" + std::to_string(i), seconds(10));
        require(stanza_attribute(next.get(), "id") == "s" + std::to_string(i),
                "expected s" + std::to_string(i) + ", got " + stanza_text(next.get()));
    }
    // Every message alice sent is accounted for: written to the stalled stream, or stored.
    require(server.log_text().find("resource-constraint") == std::string::npos,
            "the log shows a resource-constraint bounce");
}

}  // namespace starling::scenarios
