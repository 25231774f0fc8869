// XEP-0352 client state indication through mod_csi: an inactive client gets presence updates
// held and coalesced (the newest per sender) and chat states held, but a message with a body at
// once, after what was held; <active/> flushes; with stream management, held stanzas survive a
// lost connection and arrive after the resumption.
#include "client_steps.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"

#include <chrono>

namespace starling::scenarios {
namespace {

constexpr const char* ns_csi = "urn:xmpp:csi:0";
using std::chrono::milliseconds;
using std::chrono::seconds;

void send(strophe_client& from, const std::string& xml) {
    from.send(xml);
    settle(from);
}

std::string status_of(const xml_element& e) {
    const xml_element* status = e.child("status", ns::client);
    return status ? status->text : "";
}

void require_presence(const xml_element& e, const std::string& from, const std::string& status) {
    require(
        e.name == "presence" && e.attribute("from") == from && status_of(e) == status,
        "expected presence from " + from + " with status '" + status + "', got " + e.to_string());
}

// Says <inactive/> and waits for a ping's answer, which the server sends after it took the
// nonza (a stream's elements are handled in order), so what others send next is held.
void go_inactive(sm_client& client) {
    client.stream().send("<inactive xmlns='urn:xmpp:csi:0'/>");
    client.stream().send("<iq type='get' id='csi-ping'><ping xmlns='urn:xmpp:ping'/></iq>");
    auto pong = client.next_stanza("the ping's answer");
    require(pong.name == "iq" && pong.attribute("id") == "csi-ping", pong.to_string());
}

}  // namespace

STARLING_SCENARIO(csi_holds_presence_but_delivers_a_message_at_once) {
    server_fixture server(options);
    server.modules = "[disco, ping, csi]";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone", false);
    require(b.session().features().child("csi", ns_csi) != nullptr,
            "no <csi/> feature: " + b.session().features().to_string());
    b.session().bind("phone");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    strophe_client a2(std::string(alice.jid) + "/laptop", alice.password, server.c2s_port());
    a2.login();
    const std::string to = std::string(bob.jid) + "/phone";
    go_inactive(b);

    // Directed presence (no presence module: the router delivers it as it is).
    send(a, "<presence to='" + to + "'><status>one</status></presence>");
    send(a2, "<presence to='" + to + "'><status>laptop</status></presence>");
    send(a, "<presence to='" + to + "'><status>two</status></presence>");
    send(a, "<message type='chat' to='" + to +
                "' id='cs'><composing "
                "xmlns='http://jabber.org/protocol/chatstates'/></message>");
    b.require_quiet(milliseconds(700), "presence and a chat state for an inactive client");

    // A message with a body cannot wait: it comes at once, after what was held, in order, with
    // alice/desk's presence coalesced to the newest.
    send(a, "<message type='chat' to='" + to + "' id='hello'><body>now</body></message>");
    require_presence(b.next_stanza("laptop's presence"), a2.bound_jid(), "laptop");
    require_presence(b.next_stanza("desk's newest presence"), a.bound_jid(), "two");
    auto state = b.next_stanza("the chat state");
    require(state.name == "message" && state.attribute("id") == "cs", state.to_string());
    auto hello = b.next_stanza("the message");
    require(hello.name == "message" && hello.attribute("id") == "hello" && body_of(hello) == "now",
            "expected the message, got " + hello.to_string());

    // Still inactive: held again, until <active/>.
    send(a, "<presence to='" + to + "'><status>three</status></presence>");
    send(a, "<presence to='" + to + "'><status>four</status></presence>");
    b.require_quiet(milliseconds(500), "presence for an inactive client");
    b.stream().send("<active xmlns='urn:xmpp:csi:0'/>");
    require_presence(b.next_stanza("the presence held until active"), a.bound_jid(), "four");
    b.require_quiet(milliseconds(300), "a replaced presence must not come");
    // Active: presence passes at once.
    send(a, "<presence to='" + to + "'><status>five</status></presence>");
    require_presence(b.next_stanza("presence while active", seconds(2)), a.bound_jid(), "five");
}

STARLING_SCENARIO(csi_held_stanzas_survive_a_resumption) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, csi, smacks]";
    server.write_config();
    start_with_accounts(server);
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    const std::string id = b.enable().attribute("id");
    const std::string to = b.jid();
    go_inactive(b);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send(a, "<presence to='" + to + "'><status>held</status></presence>");
    b.require_quiet(milliseconds(500), "presence for an inactive client");
    b.cut();
    send(a, "<message type='chat' to='" + to + "' id='m1'><body>while away</body></message>");
    sm_client b2(server.c2s_port());
    b2.login(bob, "phone", false);
    // bob handled one stanza: the answer to go_inactive's ping.
    b2.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='1'/>");
    require(b2.next_nonza().name == "resumed", "the session did not resume");
    // The message was urgent and flushed the presence into the unacknowledged queue first.
    require_presence(b2.next_stanza("the held presence"), a.bound_jid(), "held");
    auto m1 = b2.next_stanza("the message");
    require(m1.attribute("id") == "m1" && body_of(m1) == "while away", m1.to_string());
}

}  // namespace starling::scenarios
