// XEP-0198 Stream Management on server-to-server streams, both directions. Two Starlings enable
// it on the streams they open to each other. On an incoming stream an <a h/> is a promise: what
// it counts is stored before it is sent, so it survives kill -9 of starlingd the moment the peer
// reads it. On an outgoing stream what the peer never acknowledged comes back to its sender when
// the stream dies, body and all, and an acknowledgement of more than was sent ends the stream.
#include "client_steps.hpp"
#include "federation_fixture.hpp"
#include "scripted_s2s_peer.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <set>
#include <string>

namespace starling::scenarios {
namespace {

using std::chrono::seconds;

// Authenticates a scripted peer for remote.test with EXTERNAL; returns the features after it.
xml_element authenticate(scripted_server& peer, const s2s_setup& setup) {
    peer.open();
    peer.starttls(&setup.remote);
    require(peer.external().name == "success", "EXTERNAL failed");
    peer.stream().restart_stream();
    return peer.open();
}

// Sends alice's messages `from` to `to` (not included) to carol@remote.test; a ping round trip
// makes sure they left (libstrophe writes from its event loop).
void send_to_carol(strophe_client& a, int from, int to) {
    for (int i = from; i < to; ++i)
        a.send("<message to='carol@remote.test' id='sm-" + std::to_string(i) +
               "' type='chat'><body>unacked " + std::to_string(i) + "</body></message>");
    a.request("<iq type='get' id='flush-" + std::to_string(to) +
                  "' to='example.test'><ping xmlns='urn:xmpp:ping'/></iq>",
              "flush-" + std::to_string(to));
}

// Reads `count` messages from the outgoing stream, skipping the <r/> that come with them.
void read_messages(raw_stream& stream, int count) {
    for (int read = 0; read < count;) {
        auto element = stream.next_element(seconds(10));
        require(element.has_value(), "message " + std::to_string(read) + " of " +
                                          std::to_string(count) + " did not arrive");
        if (element->name == "r" && element->ns == ns_sm) continue;
        require(element->name == "message", "expected a message, got " + element->to_string());
        ++read;
    }
}

// Requires the bounce of alice's message `i` with `condition`, carrying its body.
void require_bounce(strophe_client& a, int i, const std::string& condition) {
    auto bounce = a.wait_for(stanza_named("message", "sm-" + std::to_string(i)),
                             "the bounce of message " + std::to_string(i), seconds(15));
    const auto text = stanza_text(bounce.get());
    require(stanza_attribute(bounce.get(), "type") == "error" &&
                stanza_error_condition(bounce.get()) == condition,
            "message " + std::to_string(i) + " did not bounce with " + condition + ": " + text);
    require(text.find("unacked " + std::to_string(i)) != std::string::npos,
            "the bounce does not carry the original body: " + text);
}


}  // namespace

STARLING_SCENARIO(s2s_sm_enabled_both_ways_between_starlings) {
    federation servers(options);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, servers.home.c2s_port());
    a.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, servers.away.c2s_port());
    c.login();
    for (int i = 0; i < 30; ++i) {
        a.send("<message to='" + c.bound_jid() + "' id='out-" + std::to_string(i) +
               "' type='chat'><body>" + std::to_string(i) + "</body></message>");
        c.send("<message to='" + a.bound_jid() + "' id='back-" + std::to_string(i) +
               "' type='chat'><body>" + std::to_string(i) + "</body></message>");
    }
    for (int i = 0; i < 30; ++i) {
        c.wait_for(stanza_named("message", "out-" + std::to_string(i)), "alice's message");
        a.wait_for(stanza_named("message", "back-" + std::to_string(i)), "carol's message");
    }
    // Each server enabled it on the stream it opened and accepted it on the one it took: one
    // bidirectional stream (XEP-0288), or two when both servers opened theirs at once.
    for (auto* server : {&servers.home, &servers.away}) {
        const auto listed = server->ctl({"s2s"});
        require(listed.exited_with(0), "starlingctl s2s: " + listed.describe());
        std::size_t lines = 0, on = 0;
        for (std::size_t at = 0; (at = listed.out.find('\n', at)) != std::string::npos; ++at)
            ++lines;
        for (std::size_t at = 0; (at = listed.out.find("\tsm on\t", at)) != std::string::npos;
             ++at)
            ++on;
        require(lines >= 1 && lines <= 2 && on == lines,
                "stream management is not on both ways:\n" + listed.out);
    }
}

STARLING_SCENARIO(s2s_sm_acknowledged_stanzas_survive_kill_9) {
    server_fixture server(options);
    server.modules = "[disco, ping, roster, presence, offline]";
    s2s_setup setup(server);
    start_with_accounts(server);
    constexpr int count = 50;
    {
        scripted_server peer(setup.port);
        const auto features = authenticate(peer, setup);
        require(features.child("sm", ns_sm) != nullptr,
                "stream management not offered after authentication: " + features.to_string());
        peer.stream().send("<enable xmlns='urn:xmpp:sm:3'/>");
        const auto enabled = peer.stream().expect_element("enabled", ns_sm);
        require(enabled.attribute("resume").empty(), "s2s resumption offered: " + enabled.to_string());
        // Alice is offline: each message is handled once the offline store committed it.
        std::string burst;
        for (int i = 0; i < count; ++i)
            burst += "<message from='bob@remote.test/phone' to='" + std::string(alice.jid) +
                     "' id='durable-" + std::to_string(i) + "' type='chat'><body>durable " +
                     std::to_string(i) + "</body></message>";
        peer.stream().send(burst + "<r xmlns='urn:xmpp:sm:3'/>");
        const auto ack = peer.stream().expect_element("a", ns_sm, seconds(15));
        // No pause: the promise must already hold when the peer reads it.
        const int status = server.kill();
        require(ack.attribute("h") == std::to_string(count),
                "the server acknowledged " + ack.to_string() + ", not h=" +
                    std::to_string(count) + " (" + describe_status(status) + ")");
    }
    server.start();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    a.send("<presence/>");
    std::set<std::string> seen;
    for (int i = 0; i < count; ++i) {
        auto message = a.wait_for(stanza_named("message"),
                                  "acknowledged message " + std::to_string(i) + " of " +
                                      std::to_string(count),
                                  seconds(10));
        seen.insert(stanza_attribute(message.get(), "id"));
    }
    require(seen.size() == count, "duplicates among the stored messages");
}

STARLING_SCENARIO(s2s_sm_enable_before_authentication_fails_and_requests_are_bounded) {
    server_fixture server(options);
    s2s_setup setup(server);
    start_with_accounts(server);
    scripted_server peer(setup.port);
    peer.open();
    peer.starttls(&setup.remote);
    // XEP-0198 §2: not before the peer authenticated.
    peer.stream().send("<enable xmlns='urn:xmpp:sm:3'/>");
    const auto failed = peer.stream().expect_element("failed", ns_sm);
    require(failed.child("unexpected-request", ns::stanza_errors) != nullptr,
            "enable before authentication: " + failed.to_string());
    require(peer.external().name == "success", "EXTERNAL failed");
    peer.stream().restart_stream();
    peer.open();
    peer.stream().send("<enable xmlns='urn:xmpp:sm:3'/>");
    peer.stream().expect_element("enabled", ns_sm);
    peer.stream().send("<enable xmlns='urn:xmpp:sm:3'/>");  // twice
    const auto again = peer.stream().expect_element("failed", ns_sm);
    require(again.child("unexpected-request", ns::stanza_errors) != nullptr,
            "a second enable: " + again.to_string());
    // A thousand <r/> in one write are answered by a few <a/>, not a thousand.
    std::string requests;
    for (int i = 0; i < 1000; ++i) requests += "<r xmlns='urn:xmpp:sm:3'/>";
    peer.stream().send(requests);
    int answers = 0;
    while (auto element = peer.stream().next_element(std::chrono::milliseconds(700))) {
        require(element->name == "a" && element->attribute("h") == "0",
                "not an <a h='0'/>: " + element->to_string());
        ++answers;
    }
    require(answers >= 1 && answers <= 10,
            std::to_string(answers) + " answers to 1,000 requests in one write");
    require(!peer.stream().ended(), "the stream ended: " + peer.stream().end_reason());
}

STARLING_SCENARIO(s2s_sm_unacknowledged_stanzas_bounce_when_the_peer_drops) {
    home_with_scripted_remote setup(options);
    auto& peer = setup.peer;
    auto& home = setup.home;
    auto& a = *setup.alice_client;
    send_to_carol(a, 0, 5);
    peer.accept(true);
    peer.stream().expect_element("enable", ns_sm);
    peer.stream().send("<enabled xmlns='urn:xmpp:sm:3'/>");
    read_messages(peer.stream(), 5);
    peer.stream().send("<a xmlns='urn:xmpp:sm:3' h='2'/>");
    const auto listed = home.ctl({"s2s"});
    require(listed.out.find("out\texample.test -> remote.test\t") != std::string::npos &&
                listed.out.find("\tsm on\t") != std::string::npos,
            "stream management is not on:\n" + listed.out);
    // Acknowledged: the peer handles them. The other three were written, but nobody took them.
    peer.drop();
    for (int i = 2; i < 5; ++i) require_bounce(a, i, "remote-server-not-found");
    require_nothing(a, stanza_named("message", "sm-0"), "an acknowledged message bounced");
    require_nothing(a, stanza_named("message", "sm-1"), "an acknowledged message bounced");

    // An acknowledgement of more than was sent ends the stream, and what it carried bounces.
    send_to_carol(a, 5, 7);
    peer.accept(true);
    peer.stream().expect_element("enable", ns_sm);
    peer.stream().send("<enabled xmlns='urn:xmpp:sm:3'/>");
    read_messages(peer.stream(), 2);
    peer.stream().send("<a xmlns='urn:xmpp:sm:3' h='5'/>");
    std::optional<xml_element> error;
    while ((error = peer.stream().next_element(seconds(5))) && error->name == "r") {
    }
    require(error && error->name == "error" && error_condition(*error) == "undefined-condition" &&
                error->child("handled-count-too-high", ns_sm) != nullptr,
            "no undefined-condition for h too high: " + (error ? error->to_string() : "nothing"));
    for (int i = 5; i < 7; ++i) require_bounce(a, i, "remote-server-not-found");
}

}  // namespace starling::scenarios

namespace starling::scenarios {

// On a bidirectional stream (XEP-0288) both directions are counted: the incoming stream counts
// the peer's stanzas and keeps ours until the peer acknowledges them.
STARLING_SCENARIO(s2s_sm_counts_both_ways_on_a_bidirectional_incoming_stream) {
    server_fixture server(options);
    // Nobody listens for remote.test: alice's messages can only go on the peer's stream.
    s2s_setup setup(server, ", hosts: {remote.test: \"127.0.0.1:" +
                                std::to_string(free_loopback_port()) + "\"}");
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    auto peer = std::make_unique<scripted_server>(setup.port);
    peer->open();
    peer->starttls(&setup.remote);
    peer->stream().send("<bidi xmlns='urn:xmpp:bidi'/>");
    require(peer->external().name == "success", "EXTERNAL failed");
    peer->stream().restart_stream();
    peer->open();
    peer->stream().send("<enable xmlns='urn:xmpp:sm:3'/>");
    peer->stream().expect_element("enabled", ns_sm);

    // The peer's stanzas: two delivered, so h is 2.
    peer->stream().send("<message from='bob@remote.test/pc' to='" + a.bound_jid() +
                        "' id='in-0' type='chat'><body>0</body></message><message "
                        "from='bob@remote.test/pc' to='" +
                        a.bound_jid() +
                        "' id='in-1' type='chat'><body>1</body></message><r xmlns='urn:xmpp:sm:3'/>");
    a.wait_for(stanza_named("message", "in-1"), "bob's second message");
    const auto ack = peer->stream().expect_element("a", ns_sm);
    require(ack.attribute("h") == "2", "the peer's two stanzas were not counted: " + ack.to_string());

    // Ours: five go out on the peer's stream, it acknowledges two and drops the connection.
    send_to_carol(a, 0, 5);
    read_messages(peer->stream(), 5);
    peer->stream().send("<a xmlns='urn:xmpp:sm:3' h='2'/>");
    // Until the <a/> is read, all five are the server's: read it before the connection goes.
    peer->stream().send("<iq type='get' id='sync' from='remote.test' to='example.test'>"
                        "<ping xmlns='urn:xmpp:ping'/></iq>");
    for (;;) {
        const auto element = peer->stream().next_element(seconds(5));
        require(element.has_value(), "no answer to the peer's ping");
        if (element->name == "iq") break;
    }
    peer.reset();
    for (int i = 2; i < 5; ++i) require_bounce(a, i, "remote-server-not-found");
    require_nothing(a, stanza_named("message", "sm-0"), "an acknowledged message bounced");
    require_nothing(a, stanza_named("message", "sm-1"), "an acknowledged message bounced");
}

// The same on an outgoing stream the receiving server made bidirectional: its stanzas are
// counted from <enabled/>.
STARLING_SCENARIO(s2s_sm_counts_the_peers_stanzas_on_a_bidirectional_outgoing_stream) {
    home_with_scripted_remote setup(options);
    auto& peer = setup.peer;
    auto& a = *setup.alice_client;
    send_to_carol(a, 0, 1);
    peer.accept(true, true);
    peer.stream().expect_element("enable", ns_sm);
    peer.stream().send("<enabled xmlns='urn:xmpp:sm:3'/>");
    read_messages(peer.stream(), 1);
    peer.stream().send("<message from='carol@remote.test/pc' to='" + a.bound_jid() +
                       "' id='back-0' type='chat'><body>0</body></message><message "
                       "from='carol@remote.test/pc' to='" +
                       a.bound_jid() +
                       "' id='back-1' type='chat'><body>1</body></message><message "
                       "from='carol@remote.test/pc' to='" +
                       a.bound_jid() +
                       "' id='back-2' type='chat'><body>2</body></message><r xmlns='urn:xmpp:sm:3'/>");
    a.wait_for(stanza_named("message", "back-2"), "carol's third message");
    for (;;) {
        const auto element = peer.stream().next_element(seconds(5));
        require(element.has_value(), "no <a/> for the peer's stanzas");
        if (element->name == "r") continue;  // the server's own request, for alice's message
        require(element->name == "a" && element->attribute("h") == "3",
                "the peer's three stanzas were not counted: " + element->to_string());
        break;
    }
}

}  // namespace starling::scenarios
