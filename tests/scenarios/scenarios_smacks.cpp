// XEP-0198 stream management through mod_smacks, with raw XML over real sockets: counting both
// ways, a client acknowledging too much, resumption after the TCP connection is cut (and who may
// resume), the resumption timeout handing messages to offline storage, a client that stops
// reading, the server's ack timeout, and a stored backlog bigger than the unacknowledged window.
#include "client_steps.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <memory>

namespace starling::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string modules_with(const std::string& extra) {
    return "[disco, ping, offline" + extra + "]";
}

void send_chat(strophe_client& from, const std::string& to, const std::string& id,
               const std::string& body) {
    from.send("<message type='chat' to='" + to + "' id='" + id + "'><body>" + body +
              "</body></message>");
    settle(from);
}

void require_message(const xml_element& e, const std::string& id, const std::string& body) {
    require(e.name == "message" && e.attribute("id") == id && body_of(e) == body,
            "expected message " + id + " '" + body + "', got " + e.to_string());
}

// The next message strophe sees must be the stored `id` with `body` and a XEP-0203 delay.
void require_stored(strophe_client& client, const std::string& id, const std::string& body) {
    auto message = client.wait_for(any_message, "stored message " + id, seconds(10));
    const std::string text = stanza_text(message.get());
    require(stanza_attribute(message.get(), "id") == id, "expected " + id + " next, got " + text);
    xmpp_stanza_t* b = stanza_child(message.get(), "body", ns::client);
    require(b && stanza_content(b) == body, "body changed: " + text);
    require(stanza_child(message.get(), "delay", "urn:xmpp:delay") != nullptr,
            "not from offline storage (no delay): " + text);
}

}  // namespace

STARLING_SCENARIO(smacks_feature_offered_and_enabled) {
    server_fixture server(options);
    server.modules = modules_with(", smacks");
    server.write_config();
    start_with_accounts(server);
    sm_client bob_sm(server.c2s_port());
    bob_sm.login(bob, "phone", false);
    const xml_element* sm = bob_sm.session().features().child("sm", ns_sm);
    require(sm != nullptr,
            "no <sm/> after authentication: " + bob_sm.session().features().to_string());
    // Before binding, enabling is refused (XEP-0198 §3).
    bob_sm.stream().send("<enable xmlns='urn:xmpp:sm:3'/>");
    auto refused = bob_sm.next_nonza();
    require(refused.name == "failed" &&
                refused.child("unexpected-request", ns::stanza_errors) != nullptr,
            "enable before bind: " + refused.to_string());
    bob_sm.session().bind("phone");
    auto enabled = bob_sm.enable();
    require(!enabled.attribute("id").empty() && enabled.attribute("resume") == "true" &&
                enabled.attribute("max") == "300",
            "enabled lacks id, resume or the default max: " + enabled.to_string());

    // Not loaded, not offered.
    server_fixture plain(options);
    plain.modules = modules_with("");
    plain.write_config();
    start_with_accounts(plain);
    raw_session other(plain.c2s_port());
    other.open();
    other.starttls();
    require(other.authenticate("PLAIN", bob.localpart, bob.password).name == "success",
            "login failed");
    require(other.features().child("sm", ns_sm) == nullptr,
            "<sm/> offered without mod_smacks: " + other.features().to_string());
}

STARLING_SCENARIO(smacks_counts_both_ways) {
    server_fixture server(options);
    server.modules = modules_with(", smacks");
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.enable();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    for (int i = 1; i <= 3; ++i)
        send_chat(a, b.jid(), "m" + std::to_string(i), "body " + std::to_string(i));
    for (int i = 1; i <= 3; ++i)
        require_message(b.next_stanza("m" + std::to_string(i)), "m" + std::to_string(i),
                        "body " + std::to_string(i));
    // The server asked for an acknowledgement of what it sent (after the first stanza of the
    // burst, or after the last).
    if (b.requests_ == 0) {
        b.skip_requests = false;
        auto r = b.next(seconds(5));
        require(r && r->ns == ns_sm && r->name == "r", "the server sent no <r/> after 3 stanzas");
        b.skip_requests = true;
    }
    b.ack();
    // The acknowledgement covered m1..m3: the next <r/> comes only for m4.
    const int requests = b.requests_;
    send_chat(a, b.jid(), "m4", "body 4");
    require_message(b.next_stanza("m4"), "m4", "body 4");
    b.skip_requests = false;
    auto r4 = b.next(seconds(5));
    require(r4 && r4->ns == ns_sm && r4->name == "r" && b.requests_ == requests + 1,
            "no <r/> for m4 after the <a h='3'/>");
    b.skip_requests = true;
    b.ack();

    // Inbound: two messages to alice (delivered), one to an offline account (stored, counted
    // only once committed), one to nobody (bounced), and an iq.
    b.stream().send("<message type='chat' to='" + a.bound_jid() +
                    "' id='o1'><body>x</body></message>");
    b.stream().send("<message type='chat' to='" + a.bound_jid() +
                    "' id='o2'><body>y</body></message>");
    b.stream().send(
        "<message type='chat' to='nobody@example.test' id='o3'><body>z</body></message>");
    require(b.request_ack() == "3", "h after three messages is not 3");
    // o3 was counted once its bounce was handed to this session; it is written before or
    // just after the <a/>.
    if (b.before_ack.empty()) b.before_ack.push_back(b.next_stanza("the bounce of o3"));
    require(b.before_ack.size() == 1 && b.before_ack[0].attribute("id") == "o3" &&
                b.before_ack[0].attribute("type") == "error" &&
                b.before_ack[0].child("error", ns::client) &&
                b.before_ack[0]
                    .child("error", ns::client)
                    ->child("service-unavailable", ns::stanza_errors),
            "no service-unavailable bounce of o3");
    server.add_account("c@example.test", "carol-secret-3");
    b.stream().send(
        "<message type='chat' to='c@example.test' id='o4'><body>stored</body></message>");
    b.stream().send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
    b.before_ack.clear();
    // h = 5 only once o4 is committed to offline storage.
    require(b.request_ack() == "5", "h after five stanzas is not 5");
    require(b.before_ack.size() == 1 && b.before_ack[0].attribute("id") == "p1",
            "the ping's result did not come before the <a/> that counts it");
    a.wait_for(stanza_named("message", "o1"), "o1");
    a.wait_for(stanza_named("message", "o2"), "o2");
}

STARLING_SCENARIO(smacks_handled_count_too_high) {
    server_fixture server(options);
    server.modules = modules_with(", smacks");
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.enable();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, b.jid(), "one", "only one");
    require_message(b.next_stanza("one"), "one", "only one");
    b.stream().send("<a xmlns='urn:xmpp:sm:3' h='5'/>");
    auto error = b.stream().next_element(seconds(5));
    while (error && error->ns == ns_sm) error = b.stream().next_element(seconds(5));
    require(error && error->name == "error" && error->ns == ns::streams,
            "expected a stream error, got " + (error ? error->to_string() : "nothing"));
    require(error->child("undefined-condition", ns::stream_errors) != nullptr,
            "not undefined-condition: " + error->to_string());
    const xml_element* high = error->child("handled-count-too-high", ns_sm);
    require(high && high->attribute("h") == "5" && high->attribute("send-count") == "1",
            "no handled-count-too-high h=5 send-count=1: " + error->to_string());
}

STARLING_SCENARIO(smacks_resume_after_cut_delivers_each_once_in_order) {
    server_fixture server(options);
    server.modules = modules_with(", smacks");
    server.write_config();
    start_with_accounts(server);
    auto b = std::make_unique<sm_client>(server.c2s_port());
    b->login(bob, "phone");
    const std::string id = b->enable().attribute("id");
    const std::string full = b->jid();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    for (int i = 1; i <= 3; ++i)
        send_chat(a, full, "m" + std::to_string(i), "n" + std::to_string(i));
    for (int i = 1; i <= 3; ++i) b->next_stanza("m" + std::to_string(i));
    // The client handled m1 and m2, and the network goes before it says so.
    b->cut();
    for (int i = 4; i <= 6; ++i)
        send_chat(a, full, "m" + std::to_string(i), "n" + std::to_string(i));
    settle(a);

    sm_client b2(server.c2s_port());
    b2.login(bob, "phone", false);
    b2.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='2'/>");
    auto resumed = b2.next_nonza();
    require(resumed.name == "resumed" && resumed.attribute("previd") == id &&
                resumed.attribute("h") == "0",
            "expected <resumed previd h='0'/>, got " + resumed.to_string());
    for (int i = 3; i <= 6; ++i)
        require_message(b2.next_stanza("m" + std::to_string(i)), "m" + std::to_string(i),
                        "n" + std::to_string(i));
    // Nothing more: the next stanza is the answer to a ping sent now.
    b2.stream().send("<iq type='get' id='after'><ping xmlns='urn:xmpp:ping'/></iq>");
    auto pong = b2.next_stanza("the ping result");
    require(pong.name == "iq" && pong.attribute("id") == "after",
            "a message came twice: " + pong.to_string());
    // The resumed session is the bound one: new messages reach it, and it counts on.
    send_chat(a, full, "m7", "n7");
    require_message(b2.next_stanza("m7"), "m7", "n7");
}

STARLING_SCENARIO(smacks_resume_of_another_account_refused) {
    server_fixture server(options);
    server.modules = modules_with(", smacks");
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    const std::string id = b.enable().attribute("id");
    b.cut();
    sm_client thief(server.c2s_port());
    thief.login(alice, "x", false);
    thief.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
    auto failed = thief.next_nonza();
    require(failed.name == "failed" && failed.child("item-not-found", ns::stanza_errors) &&
                failed.attribute("h").empty(),
            "another account's resume: " + failed.to_string());
    // An unknown id is refused the same way.
    thief.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='no-such-id' h='0'/>");
    auto unknown = thief.next_nonza();
    require(unknown.name == "failed" && unknown.child("item-not-found", ns::stanza_errors),
            "unknown previd: " + unknown.to_string());
    // The owner still can.
    sm_client b2(server.c2s_port());
    b2.login(bob, "phone", false);
    b2.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
    require(b2.next_nonza().name == "resumed", "the owner could not resume after the refusal");
}

STARLING_SCENARIO(smacks_old_stream_gets_conflict) {
    server_fixture server(options);
    server.modules = modules_with(", smacks");
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    const std::string id = b.enable().attribute("id");
    sm_client b2(server.c2s_port());
    b2.login(bob, "phone", false);
    b2.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
    require(b2.next_nonza().name == "resumed", "resume while the old stream is connected");
    require(b.session().expect_stream_error() == "conflict", "the old stream got no conflict");
}

STARLING_SCENARIO(smacks_resumption_timeout_stores_offline) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, {smacks: {resume_timeout: 2s}}]";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    const std::string id = b.enable().attribute("id");
    const std::string full = b.jid();
    // One stanza of bob's is handled: a late resume learns h='1'.
    b.stream().send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
    require(b.next_stanza("the ping's answer").attribute("id") == "p1", "no ping answer");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    // Received, never acknowledged: it is stored too.
    send_chat(a, full, "t0", "before the cut");
    require_message(b.next_stanza("t0"), "t0", "before the cut");
    const auto mark = server.log_mark();
    const auto cut_at = std::chrono::steady_clock::now();
    b.cut();
    send_chat(a, full, "t1", "while hibernated");
    send_chat(a, full, "t2", "also while hibernated");
    settle(a);
    // The session ends when the resumption timeout runs out, not before.
    server.wait_for_log(full + " logged out", mark);
    require(std::chrono::steady_clock::now() - cut_at >= milliseconds(1500),
            "the hibernated session ended before its 2 s resumption timeout");
    // Too late to resume; the refusal says how many of bob's stanzas were handled, to bob only.
    sm_client late(server.c2s_port());
    late.login(bob, "phone", false);
    late.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
    auto failed = late.next_nonza();
    require(failed.name == "failed" && failed.child("item-not-found", ns::stanza_errors) &&
                failed.attribute("h") == "1",
            "a resume after the timeout: " + failed.to_string());
    sm_client other(server.c2s_port());
    other.login(alice, "x", false);
    other.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
    auto refused = other.next_nonza();
    require(refused.name == "failed" && refused.attribute("h").empty(),
            "another account learnt bob's h: " + refused.to_string());
    strophe_client b2(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(b2);
    require_stored(b2, "t0", "before the cut");
    require_stored(b2, "t1", "while hibernated");
    require_stored(b2, "t2", "also while hibernated");
}

// A message for a full JID whose session timed out goes back to its sender when the user is online
// elsewhere (the sender can choose another resource); an iq is bounced too, never left unanswered.
STARLING_SCENARIO(smacks_resumption_timeout_bounces_to_full_jid_when_online_elsewhere) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, {smacks: {resume_timeout: 2s}}]";
    server.write_config();
    start_with_accounts(server);
    strophe_client tablet(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(tablet);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.enable();
    const std::string full = b.jid();
    b.cut();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, full, "f1", "for the phone");
    a.send("<iq type='get' to='" + full + "' id='q1'><query xmlns='jabber:iq:version'/></iq>");
    auto message = a.wait_for(stanza_named("message", "f1"), "the bounce of f1", seconds(8));
    require(stanza_attribute(message.get(), "type") == "error" &&
                stanza_error_condition(message.get()) == "recipient-unavailable",
            "expected recipient-unavailable: " + stanza_text(message.get()));
    auto iq = a.wait_for(stanza_named("iq", "q1"), "the bounce of q1", seconds(3));
    require(stanza_attribute(iq.get(), "type") == "error" &&
                stanza_error_condition(iq.get()) == "service-unavailable",
            "expected service-unavailable: " + stanza_text(iq.get()));
}

STARLING_SCENARIO(smacks_client_that_stops_reading_loses_nothing) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, {smacks: {max_unacked: 5}}]";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.enable();
    const std::string full = b.jid();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    const auto mark = server.log_mark();
    // bob reads nothing from here on.
    for (int i = 1; i <= 10; ++i)
        send_chat(a, full, "s" + std::to_string(i), "q" + std::to_string(i));
    settle(a);
    // The stream was closed with policy-violation once a sixth stanza went unacknowledged.
    std::string condition;
    for (int i = 0; i < 20 && condition.empty(); ++i) {
        auto e = b.stream().next_element(seconds(5));
        require(e.has_value(), "the stream ended without a stream error");
        if (e->name == "error" && e->ns == ns::streams) condition = error_condition(*e);
    }
    require(condition == "policy-violation", "expected policy-violation, got " + condition);
    // What the ended session still held is stored once the server has ended it.
    server.wait_for_log(full + " logged out", mark);
    strophe_client b2(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(b2);
    for (int i = 1; i <= 10; ++i)
        require_stored(b2, "s" + std::to_string(i), "q" + std::to_string(i));
}

STARLING_SCENARIO(smacks_ack_timeout_hibernates) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, {smacks: {ack_timeout: 2s}}]";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    const std::string id = b.enable().attribute("id");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, b.jid(), "k1", "unanswered");
    require_message(b.next_stanza("k1"), "k1", "unanswered");
    // bob never answers the <r/>: the server gives up on the connection within the timeout.
    const auto start = std::chrono::steady_clock::now();
    require(b.stream().wait_closed(seconds(6)), "the server kept a connection that did not ack");
    require(std::chrono::steady_clock::now() - start >= milliseconds(1500),
            "the connection was dropped before the ack timeout");
    // The session hibernated rather than ended: it resumes, and k1 comes again.
    sm_client b2(server.c2s_port());
    b2.login(bob, "phone", false);
    b2.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
    require(b2.next_nonza().name == "resumed", "the session did not hibernate");
    require_message(b2.next_stanza("k1 again"), "k1", "unanswered");
}

// A backlog bigger than the unacknowledged window: 1,200 stored messages for a client whose
// max_unacked is 500. Before paced delivery the offline flush queued all of them at once, the
// window overflowed at the 501st, and the stream was closed with <policy-violation/> (and the
// messages stored again) at every login. Now they go out as the client acknowledges them.
STARLING_SCENARIO(smacks_offline_backlog_larger_than_the_window_arrives_whole) {
    server_fixture server(options);
    server.modules =
        "[disco, ping, {offline: {max_messages: 2000, max_from_strangers: 2000}}, smacks]";
    server.write_config();
    start_with_accounts(server);
    constexpr int count = 1200;
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    for (int i = 0; i < count; ++i)
        a.send("<message type='chat' to='" + std::string(bob.jid) + "' id='o" + std::to_string(i) +
               "'><body>" + std::to_string(i) + "</body></message>");
    settle(a);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.enable();
    b.auto_ack = true;
    b.stream().send("<presence/>");
    for (int i = 0; i < count; ++i) {
        const auto m = b.next_stanza("stored message o" + std::to_string(i), seconds(10));
        if (m.name == "presence") {
            --i;
            continue;
        }
        require(m.name == "message" && m.attribute("id") == "o" + std::to_string(i),
                "expected stored message o" + std::to_string(i) + ", got " + m.to_string());
    }
    b.require_quiet(milliseconds(500), "nothing more after the backlog");
}

}  // namespace starling::scenarios
