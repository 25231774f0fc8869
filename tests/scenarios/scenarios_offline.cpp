// XEP-0160 offline messages through mod_offline: stored for an account with no available
// resource, delivered with a XEP-0203 delay at its next initial presence, oldest first.
#include "client_steps.hpp"
#include "presence_checks.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <ctime>

namespace starling::scenarios {
namespace {

constexpr const char* with_offline = "[disco, ping, offline]";

std::int64_t parse_stamp(const std::string& stamp) {
    std::tm tm{};
    const char* end = strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    require(end != nullptr && *end == '\0', "delay stamp '" + stamp + "' is not UTC ISO 8601");
    return timegm(&tm);
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The next message must be the stored one: same id, from, to, type and body, plus a delay from
// the host stamped between `after` and now.
void require_stored(strophe_client& client, const std::string& id, const std::string& from,
                    const std::string& body, std::int64_t after) {
    auto message = client.wait_for(any_message, "stored message " + id);
    const std::string text = stanza_text(message.get());
    require(stanza_attribute(message.get(), "id") == id, "expected " + id + " next, got " + text);
    require(stanza_attribute(message.get(), "from") == from, "from changed: " + text);
    require(stanza_attribute(message.get(), "to") == bob.jid, "to changed: " + text);
    require(stanza_attribute(message.get(), "type") == "chat", "type changed: " + text);
    xmpp_stanza_t* body_element = stanza_child(message.get(), "body", ns::client);
    require(body_element && stanza_content(body_element) == body, "body changed: " + text);
    xmpp_stanza_t* delay = stanza_child(message.get(), "delay", "urn:xmpp:delay");
    require(delay != nullptr, "no XEP-0203 delay: " + text);
    require(stanza_attribute(delay, "from") == main_host, "delay not from the host: " + text);
    const std::int64_t stamp = parse_stamp(stanza_attribute(delay, "stamp"));
    require(stamp >= after - 1 && stamp <= now_seconds() + 1, "delay stamp out of range: " + text);
}

void send_chat(strophe_client& from, const std::string& id, const std::string& body,
               const std::string& extra = "") {
    from.send("<message type='chat' to='" + std::string(bob.jid) + "' id='" + id + "'><body>" +
              body + "</body>" + extra + "</message>");
}

}  // namespace

STARLING_SCENARIO(offline_messages_delivered_oldest_first_with_delay) {
    server_fixture server(options);
    server.modules = with_offline;
    server.write_config();
    start_with_accounts(server);
    const std::int64_t before = now_seconds();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, "off-1", "first &amp; oldest");
    send_chat(a, "off-2", "second");
    settle(a);
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(b);
    require_stored(b, "off-1", a.bound_jid(), "first & oldest", before);
    require_stored(b, "off-2", a.bound_jid(), "second", before);
    // Delivered means deleted: a second login gets nothing stored, only what is sent now.
    b.send("<presence type='unavailable'/>");
    settle(b);
    strophe_client b2(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(b2);
    send_chat(a, "live", "now");
    auto live = b2.wait_for(any_message, "the live message");
    require(stanza_attribute(live.get(), "id") == "live",
            "a stored message came again: " + stanza_text(live.get()));
    require(stanza_child(live.get(), "delay", "urn:xmpp:delay") == nullptr,
            "a live message has a delay: " + stanza_text(live.get()));
}

STARLING_SCENARIO(offline_messages_survive_a_restart) {
    server_fixture server(options);
    server.modules = with_offline;
    server.write_config();
    start_with_accounts(server);
    const std::int64_t before = now_seconds();
    {
        strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
        a.login();
        send_chat(a, "kept", "across a restart");
        settle(a);
    }
    require(server.stop() == 0, "the server did not stop cleanly");
    server.start();
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(b);
    require_stored(b, "kept", std::string(alice.jid) + "/desk", "across a restart", before);
}

STARLING_SCENARIO(offline_no_store_hint_is_honoured) {
    server_fixture server(options);
    server.modules = with_offline;
    server.write_config();
    start_with_accounts(server);
    const std::int64_t before = now_seconds();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, "not-kept", "ephemeral", "<no-store xmlns='urn:xmpp:hints'/>");
    auto bounce = a.wait_for(stanza_named("message", "not-kept"), "the bounce");
    require(stanza_attribute(bounce.get(), "type") == "error", stanza_text(bounce.get()));
    require(stanza_error_condition(bounce.get()) == "service-unavailable",
            "expected service-unavailable: " + stanza_text(bounce.get()));
    send_chat(a, "kept", "stored");
    settle(a);
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(b);
    require_stored(b, "kept", a.bound_jid(), "stored", before);
}

STARLING_SCENARIO(offline_cap_drops_oldest_and_tells_the_user) {
    server_fixture server(options);
    server.modules = "[disco, ping, {offline: {max_messages: 2}}]";
    server.write_config();
    start_with_accounts(server);
    const std::int64_t before = now_seconds();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    for (const char* id : {"c-1", "c-2", "c-3", "c-4"}) send_chat(a, id, id);
    settle(a);
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(b);
    auto notice = b.wait_for(any_message, "the pruning notice");
    const std::string text = stanza_text(notice.get());
    require(stanza_attribute(notice.get(), "from") == main_host, "notice not from host: " + text);
    require(stanza_attribute(notice.get(), "to") == bob.jid, "notice to: " + text);
    require(stanza_attribute(notice.get(), "type") == "normal", "notice type: " + text);
    xmpp_stanza_t* body = stanza_child(notice.get(), "body", ns::client);
    require(body != nullptr &&
                stanza_content(body) ==
                    "While you were offline more messages arrived than the server keeps for "
                    "you, so the oldest were dropped: 2 messages from senders not in your "
                    "roster. No message from your contacts was dropped.",
            "notice body: " + text);
    require_stored(b, "c-3", a.bound_jid(), "c-3", before);
    require_stored(b, "c-4", a.bound_jid(), "c-4", before);
}

// A stranger's flood used to push a user's real offline messages out of the queue (1,001
// messages were enough). Now strangers share a smaller part of it: carol, in nobody's roster,
// sends 30 messages in one write while bob is offline, between messages from alice, whom bob's
// roster lists (alice is subscribed to bob's presence). Bob gets every one of alice's ten, the
// newest two of carol's (the strangers' share of five shrinks to what alice's ten leave free of
// twelve), and a notice that says only strangers' messages were dropped.
STARLING_SCENARIO(offline_stranger_flood_keeps_contacts_messages) {
    server_fixture server(options);
    server.modules =
        "[disco, ping, roster, presence, {offline: {max_messages: 12, max_from_strangers: 5}}]";
    server.write_config();
    server.add_account("c@example.test", "carol-secret-3");
    start_with_accounts(server);
    const std::int64_t before = now_seconds();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    {
        strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
        b.login();
        go_online(a);
        go_online(b);
        subscribe(a, alice.jid, b, bob.jid);
    }
    // Bob is offline once alice, subscribed to him, hears so.
    a.wait_for(presence_from(std::string(bob.jid) + "/phone", "unavailable"), "bob offline");
    for (int i = 1; i <= 8; ++i) send_chat(a, "a-" + std::to_string(i), "from alice");
    settle(a);
    strophe_client c("c@example.test/pad", "carol-secret-3", server.c2s_port());
    c.login();
    std::string flood;
    for (int i = 1; i <= 30; ++i)
        flood += "<message type='chat' to='" + std::string(bob.jid) + "' id='c-" +
                 std::to_string(i) + "'><body>from carol</body></message>";
    c.send(flood);
    settle(c);
    for (int i = 9; i <= 10; ++i) send_chat(a, "a-" + std::to_string(i), "from alice");
    settle(a);

    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(b);
    auto notice = b.wait_for(stanza_named("message"), "the pruning notice");
    require_stanza(notice.get(),
                   "<message from='example.test' to='b@example.test' type='normal'><body>While "
                   "you were offline more messages arrived than the server keeps for you, so the "
                   "oldest were dropped: 28 messages from senders not in your roster. No message "
                   "from your contacts was dropped.</body></message>",
                   "the pruning notice");
    for (int i = 1; i <= 8; ++i)
        require_stored(b, "a-" + std::to_string(i), a.bound_jid(), "from alice", before);
    require_stored(b, "c-29", "c@example.test/pad", "from carol", before);
    require_stored(b, "c-30", "c@example.test/pad", "from carol", before);
    for (int i = 9; i <= 10; ++i)
        require_stored(b, "a-" + std::to_string(i), a.bound_jid(), "from alice", before);
    require_nothing(b, stanza_named("message"), "nothing past the two kept of carol's");
}

STARLING_SCENARIO(offline_expired_messages_bounce_to_the_sender) {
    server_fixture server(options);
    server.modules = with_offline;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, "too-old", "will expire");
    settle(a);
    // A reload moves the clock 31 days on, past the default expire_after of 30 days, while the
    // sender is online to hear about it.
    server.modules = "[disco, ping, {offline: {clock_offset: 31d, expire_check: 1s}}]";
    server.write_config();
    // starlingctl reload answers once the new modules are in: no wait for a signal to land,
    // which a loaded machine can stretch.
    const auto reload = server.ctl({"reload"});
    require(reload.exited_with(0), "reload: " + reload.describe());
    auto error = a.wait_for(stanza_named("message", "too-old"), "the expiry error",
                            std::chrono::seconds(15));
    const std::string text = stanza_text(error.get());
    require(stanza_attribute(error.get(), "type") == "error", "not an error: " + text);
    require(stanza_attribute(error.get(), "from") == bob.jid, "error from: " + text);
    require(stanza_attribute(error.get(), "to") == a.bound_jid(), "error to: " + text);
    require(stanza_error_condition(error.get()) == "recipient-unavailable",
            "expected recipient-unavailable: " + text);
    xmpp_stanza_t* error_element = xmpp_stanza_get_child_by_name(error.get(), "error");
    require(stanza_attribute(error_element, "type") == "wait", "error type: " + text);
    // Nothing is left for bob.
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(b);
    send_chat(a, "live", "now");
    auto live = b.wait_for(any_message, "the live message");
    require(stanza_attribute(live.get(), "id") == "live",
            "an expired message was delivered: " + stanza_text(live.get()));
}

STARLING_SCENARIO(offline_receipts_and_markers_pass_unchanged) {
    server_fixture server(options);
    server.modules = with_offline;
    server.write_config();
    start_with_accounts(server);
    const std::int64_t before = now_seconds();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, "r-1", "receipt please", "<request xmlns='urn:xmpp:receipts'/>");
    a.send("<message type='chat' to='" + std::string(bob.jid) +
           "' id='mk-1'><displayed xmlns='urn:xmpp:chat-markers:0' id='m-0'/></message>");
    settle(a);
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(b);
    require_stored(b, "r-1", a.bound_jid(), "receipt please", before);
    auto marker = b.wait_for(stanza_named("message", "mk-1"), "the stored marker");
    xmpp_stanza_t* displayed = stanza_child(marker.get(), "displayed", "urn:xmpp:chat-markers:0");
    require(displayed && stanza_attribute(displayed, "id") == "m-0",
            "marker changed: " + stanza_text(marker.get()));
    require(stanza_child(marker.get(), "delay", "urn:xmpp:delay") != nullptr,
            "stored marker has no delay: " + stanza_text(marker.get()));
    // Online now: the receipt and a marker go straight through, untouched and undelayed.
    b.send("<message to='" + a.bound_jid() +
           "' id='rc-1'><received xmlns='urn:xmpp:receipts' id='r-1'/></message>");
    auto receipt = a.wait_for(stanza_named("message", "rc-1"), "the receipt");
    xmpp_stanza_t* received = stanza_child(receipt.get(), "received", "urn:xmpp:receipts");
    require(received && stanza_attribute(received, "id") == "r-1",
            "receipt changed: " + stanza_text(receipt.get()));
    require(stanza_child(receipt.get(), "delay", "urn:xmpp:delay") == nullptr,
            "live receipt delayed: " + stanza_text(receipt.get()));
    b.send("<message type='chat' to='" + a.bound_jid() +
           "' id='mk-2'><received xmlns='urn:xmpp:chat-markers:0' id='r-1'/></message>");
    auto marker2 = a.wait_for(stanza_named("message", "mk-2"), "the live marker");
    require(stanza_child(marker2.get(), "received", "urn:xmpp:chat-markers:0") != nullptr,
            "live marker changed: " + stanza_text(marker2.get()));
}

}  // namespace starling::scenarios
