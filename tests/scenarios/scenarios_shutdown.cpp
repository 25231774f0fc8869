// SIGTERM keeps the delivery guarantee (DESIGN.md, docs/routing.md "Shutdown"): what a session
// had not delivered when the server was told to stop (XEP-0198 stanzas the client never
// acknowledged, a hibernated session's queue, what client state indication held, stanzas a
// client that stopped reading never had written to it) is committed to offline storage before
// starlingd exits, and after a restart on the same database it arrives exactly once, with nothing
// bounced to the disconnected senders.
#include "client_steps.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <sys/wait.h>
#include <chrono>
#include <map>
#include <set>

namespace starling::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

void send_chat(strophe_client& from, const std::string& to, const std::string& id,
               const std::string& body) {
    from.send("<message type='chat' to='" + to + "' id='" + id + "'><body>" + body +
              "</body></message>");
}

// The next message must be the stored `id` with `body`, from `from`, with a XEP-0203 delay.
void require_stored(strophe_client& client, const std::string& id, const std::string& body,
                    const std::string& from) {
    auto message = client.wait_for(any_message, "stored message " + id, seconds(10));
    const std::string text = stanza_text(message.get());
    require(stanza_attribute(message.get(), "id") == id, "expected " + id + " next, got " + text);
    require(stanza_attribute(message.get(), "from") == from, "wrong sender: " + text);
    xmpp_stanza_t* b = stanza_child(message.get(), "body", ns::client);
    require(b && stanza_content(b) == body, "body changed: " + text);
    require(stanza_child(message.get(), "delay", "urn:xmpp:delay") != nullptr,
            "not from offline storage (no delay): " + text);
}

// Exactly once: after the expected stored messages nothing more comes. The round trip brings
// whatever was already queued for the client; the quiet spell, a later duplicate.
void require_no_more_messages(strophe_client& client) {
    settle(client);
    require_nothing(client, any_message, "a message came twice or unexpectedly");
}

// The sender was disconnected with <system-shutdown/> and told of no failed delivery: its
// messages were stored, not bounced.
void require_shut_down_without_bounces(strophe_client& sender) {
    require(sender.wait_disconnected(seconds(10)), "the sender is still connected after SIGTERM");
    require(sender.stream_error() == "system-shutdown",
            "the sender got " + sender.stream_error_text() + " instead of <system-shutdown/>");
    auto errors = sender.take_all(
        [](xmpp_stanza_t* s) { return any_message(s) && stanza_attribute(s, "type") == "error"; });
    require(errors.empty(), "a message was bounced at shutdown: " +
                                (errors.empty() ? "" : stanza_text(errors.front().get())));
}

// SIGTERM by PID; starlingd must exit 0 and log how many messages it stored.
void stop_and_require_stored(server_fixture& server, int count) {
    const int status = server.stop();
    require(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "starlingd ended with " + describe_status(status) + " after SIGTERM");
    const std::string expected =
        "shutdown: " + std::to_string(count) + " undelivered message(s) stored offline";
    require(server.log_text().find(expected) != std::string::npos,
            "the log does not say '" + expected + "': " + server.log_text());
}

// The stream error the raw client reads before the server closes its stream.
std::string stream_error_of(sm_client& client) {
    for (int i = 0; i < 20; ++i) {
        auto e = client.stream().next_element(seconds(5));
        if (!e) return "";
        if (e->name == "error" && e->ns == ns::streams) return error_condition(*e);
    }
    return "";
}

}  // namespace

// (a) A XEP-0198 client that received messages and acknowledged none of them.
STARLING_SCENARIO(shutdown_stores_unacked_smacks_messages) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, smacks]";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.enable();
    const std::string full = b.jid();
    const std::string sender = std::string(alice.jid) + "/desk";
    strophe_client a(sender, alice.password, server.c2s_port());
    a.login();
    for (int i = 1; i <= 3; ++i)
        send_chat(a, full, "u" + std::to_string(i), "unacked " + std::to_string(i));
    settle(a);
    for (int i = 1; i <= 3; ++i) {
        auto m = b.next_stanza("u" + std::to_string(i));
        require(m.attribute("id") == "u" + std::to_string(i), "out of order: " + m.to_string());
    }
    // bob never sends <a/>: for the server the three are still unacknowledged.
    server.send_signal(SIGTERM);
    require(stream_error_of(b) == "system-shutdown", "bob's stream did not get <system-shutdown/>");
    require_shut_down_without_bounces(a);
    stop_and_require_stored(server, 3);

    server.start();
    strophe_client b2(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(b2);
    for (int i = 1; i <= 3; ++i)
        require_stored(b2, "u" + std::to_string(i), "unacked " + std::to_string(i), sender);
    require_no_more_messages(b2);
}

// (a, slow) The same for a XEP-0198 client that stopped reading: its stream error cannot be
// written, and the server does not wait for it beyond its bound before it stores the stanzas.
STARLING_SCENARIO(shutdown_stores_unacked_messages_of_a_smacks_client_that_stopped_reading) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, smacks]";
    server.extra_config = "limits: {outbound_queue_bytes: 33554432}\n";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.enable();
    const std::string full = b.jid();
    const std::string sender = std::string(alice.jid) + "/desk";
    strophe_client a(sender, alice.password, server.c2s_port());
    a.login();
    constexpr int count = 40;
    const std::string filler(100 * 1000, 'y');
    auto body_of_n = [&](int n) { return std::to_string(n) + ":" + filler; };
    for (int i = 1; i <= count; ++i) {
        send_chat(a, full, "w" + std::to_string(i), body_of_n(i));
        if (i % 10 == 0) settle(a);
    }
    settle(a);
    server.send_signal(SIGTERM);
    require_shut_down_without_bounces(a);
    // Whatever reached bob's socket was never acknowledged: all of them are stored.
    stop_and_require_stored(server, count);

    server.start();
    strophe_client b2(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(b2);
    for (int i = 1; i <= count; ++i)
        require_stored(b2, "w" + std::to_string(i), body_of_n(i), sender);
    require_no_more_messages(b2);
}

// (b) A hibernated XEP-0198 session: one message received unacknowledged before the connection
// was cut, one queued while it was hibernated.
STARLING_SCENARIO(shutdown_stores_hibernated_session_queue) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, {smacks: {resume_timeout: 300s}}]";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    const std::string id = b.enable().attribute("id");
    require(!id.empty(), "the session is not resumable");
    const std::string full = b.jid();
    const std::string sender = std::string(alice.jid) + "/desk";
    strophe_client a(sender, alice.password, server.c2s_port());
    a.login();
    send_chat(a, full, "h1", "before the cut");
    settle(a);
    require(b.next_stanza("h1").attribute("id") == "h1", "h1 did not arrive");
    const auto mark = server.log_mark();
    b.cut();
    // Once the server has seen the connection go, h2 waits in the hibernated session's queue.
    server.wait_for_log(full + " hibernated", mark);
    send_chat(a, full, "h2", "while hibernated");
    settle(a);
    server.send_signal(SIGTERM);
    require_shut_down_without_bounces(a);
    stop_and_require_stored(server, 2);

    server.start();
    // The session ended with the server: it cannot be resumed after the restart.
    sm_client late(server.c2s_port());
    late.login(bob, "phone", false);
    late.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>");
    auto failed = late.next_nonza();
    require(failed.name == "failed" && failed.child("item-not-found", ns::stanza_errors),
            "a session resumed across a restart: " + failed.to_string());
    strophe_client b2(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(b2);
    require_stored(b2, "h1", "before the cut", sender);
    require_stored(b2, "h2", "while hibernated", sender);
    require_no_more_messages(b2);
}

// What client state indication (XEP-0352) held for an inactive client is stored too: a
// receipt can wait while the client is inactive, and it must not be lost with the server.
STARLING_SCENARIO(shutdown_stores_csi_held_messages) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, csi]";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.stream().send("<inactive xmlns='urn:xmpp:csi:0'/>");
    b.stream().send("<iq type='get' id='csi-ping'><ping xmlns='urn:xmpp:ping'/></iq>");
    require(b.next_stanza("the ping's answer").attribute("id") == "csi-ping", "no ping answer");
    const std::string full = b.jid();
    const std::string sender = std::string(alice.jid) + "/desk";
    strophe_client a(sender, alice.password, server.c2s_port());
    a.login();
    a.send("<message type='chat' to='" + full +
           "' id='r1'><received xmlns='urn:xmpp:receipts' id='m7'/></message>");
    settle(a);
    // Held, not delivered: nothing reaches the inactive client.
    b.require_quiet(milliseconds(500), "the receipt was to be held");
    server.send_signal(SIGTERM);
    require_shut_down_without_bounces(a);
    stop_and_require_stored(server, 1);

    server.start();
    strophe_client b2(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(b2);
    auto message = b2.wait_for(any_message, "the stored receipt", seconds(10));
    const std::string text = stanza_text(message.get());
    require(stanza_attribute(message.get(), "id") == "r1" &&
                stanza_attribute(message.get(), "from") == sender,
            "expected r1 from " + sender + ": " + text);
    xmpp_stanza_t* receipt = stanza_child(message.get(), "received", "urn:xmpp:receipts");
    require(receipt && stanza_attribute(receipt, "id") == "m7", "the receipt changed: " + text);
    require(stanza_child(message.get(), "delay", "urn:xmpp:delay") != nullptr,
            "not from offline storage (no delay): " + text);
    require_no_more_messages(b2);
}

// (c) A client without XEP-0198 that stopped reading, with messages in its outbound queue. A
// message whose bytes were all written to its socket counts as delivered (RFC 6120 has no
// acknowledgement; the write is the only evidence): it reaches the client through the socket
// after the server has gone. Every other one is in offline storage after the restart. Together
// they are every message, each exactly once.
STARLING_SCENARIO(shutdown_stores_unwritten_queue_of_a_client_that_stopped_reading) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline]";
    server.extra_config = "limits: {outbound_queue_bytes: 33554432}\n";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    const std::string full = b.jid();
    const std::string sender = std::string(alice.jid) + "/desk";
    strophe_client a(sender, alice.password, server.c2s_port());
    a.login();
    // Far more than the kernel's socket buffers take while bob reads nothing.
    constexpr int count = 60;
    const std::string filler(100 * 1000, 'x');
    auto body_of_n = [&](int n) { return std::to_string(n) + ":" + filler; };
    for (int i = 1; i <= count; ++i) {
        send_chat(a, full, "q" + std::to_string(i), body_of_n(i));
        if (i % 10 == 0) settle(a);
    }
    settle(a);
    server.send_signal(SIGTERM);
    require_shut_down_without_bounces(a);
    const int status = server.stop();
    require(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "starlingd ended with " + describe_status(status) + " after SIGTERM");

    // What reached bob's socket, read now that the server is gone (a truncated last stanza is
    // not a message the client could have taken).
    std::map<std::string, std::string> through_socket;
    while (auto e = b.stream().next_element(seconds(3)))
        if (e->name == "message") through_socket[e->attribute("id")] = body_of(*e);
    require(static_cast<int>(through_socket.size()) < count,
            "every message was written before the shutdown; the queue was never tested");
    const std::string log = server.log_text();
    const std::string expected =
        "shutdown: " + std::to_string(count - static_cast<int>(through_socket.size())) +
        " undelivered message(s) stored offline";
    require(log.find(expected) != std::string::npos,
            "the log does not say '" + expected + "': " + log);

    server.start();
    strophe_client b2(std::string(bob.jid) + "/tablet", bob.password, server.c2s_port());
    come_online(b2);
    for (int i = 1; i <= count; ++i) {
        const std::string id = "q" + std::to_string(i);
        if (auto it = through_socket.find(id); it != through_socket.end()) {
            require(it->second == body_of_n(i), "the socket carried a changed body for " + id);
            continue;
        }
        require_stored(b2, id, body_of_n(i), sender);
    }
    require_no_more_messages(b2);
}

}  // namespace starling::scenarios
