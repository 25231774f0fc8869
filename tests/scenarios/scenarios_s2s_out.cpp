// Federation between two Starlings on loopback: each serves its own domains with certificates a
// private test CA signed, finds the other through `s2s.hosts` (no DNS), and they exchange their
// users' messages both ways over server-to-server streams (STARTTLS, the peer's certificate
// checked, SASL EXTERNAL; Server Dialback when the certificates do not verify, as s2s policy
// allows): one stream for a pair of domains, made bidirectional (XEP-0288). A message for a domain whose server cannot be reached comes
// back to its sender as <remote-server-not-found/> with the reason.
#include "client_steps.hpp"
#include "federation_fixture.hpp"
#include "muc_steps.hpp"
#include "presence_checks.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"

#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace starling::scenarios {

STARLING_SCENARIO(s2s_two_starlings_chat_both_ways) {
    federation servers(options);
    auto& home = servers.home;
    auto& away = servers.away;
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, home.c2s_port());
    a.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, away.c2s_port());
    c.login();

    // example.test -> remote.test: home opens a stream to away.
    a.send("<message to='" + c.bound_jid() +
           "' id='fed-1' type='chat'><body>hello from example.test</body></message>");
    auto first = c.wait_for(stanza_named("message", "fed-1"), "alice's message at carol");
    require(stanza_attribute(first.get(), "from") == a.bound_jid(),
            "wrong sender across domains: " + stanza_text(first.get()));
    require(stanza_text(first.get()).find("hello from example.test") != std::string::npos,
            "the body did not cross: " + stanza_text(first.get()));

    // remote.test -> example.test: away makes no stream of its own, home asked for the
    // stream to be bidirectional (XEP-0288).
    c.send("<message to='" + a.bound_jid() +
           "' id='fed-2' type='chat'><body>hello back</body></message>");
    auto reply = a.wait_for(stanza_named("message", "fed-2"), "carol's reply at alice");
    require(stanza_attribute(reply.get(), "from") == c.bound_jid(),
            "wrong sender of the reply: " + stanza_text(reply.get()));

    // More on the same stream, in order, both ways.
    for (int i = 0; i < 20; ++i) {
        a.send("<message to='" + c.bound_jid() + "' id='seq-" + std::to_string(i) +
               "' type='chat'><body>" + std::to_string(i) + "</body></message>");
        c.send("<message to='" + a.bound_jid() + "' id='back-" + std::to_string(i) +
               "' type='chat'><body>" + std::to_string(i) + "</body></message>");
    }
    for (int i = 0; i < 20; ++i) {
        c.wait_for(stanza_named("message", "seq-" + std::to_string(i)),
                   "message " + std::to_string(i) + " of 20");
        a.wait_for(stanza_named("message", "back-" + std::to_string(i)),
                   "reply " + std::to_string(i) + " of 20");
    }

    // starlingctl s2s shows the one stream on each server, bidirectional; closing it is
    // harmless: the next message opens a new one.
    const auto listed = home.ctl({"s2s"});
    require(listed.exited_with(0), "starlingctl s2s: " + listed.describe());
    require(listed.out.find("out\texample.test -> remote.test\t127.0.0.1:") != std::string::npos &&
                listed.out.find("\tready\tEXTERNAL\tTLSv1.") != std::string::npos &&
                listed.out.find("\tqueued 0\tsm on\tbidi") != std::string::npos &&
                listed.out.find("in\t") == std::string::npos,
            "home does not show one bidirectional stream:\n" + listed.out);
    const auto theirs = away.ctl({"s2s"});
    require(theirs.out.find("in\texample.test -> remote.test\t127.0.0.1:") != std::string::npos &&
                theirs.out.find("\tauthenticated\tEXTERNAL\tTLSv1.") != std::string::npos &&
                theirs.out.find("\tqueued 0\tsm on\tbidi") != std::string::npos &&
                theirs.out.find("out\t") == std::string::npos,
            "away does not show one bidirectional stream:\n" + theirs.out);
    const auto closed = home.ctl({"s2s", "close", "remote.test"});
    require(closed.exited_with(0) && closed.out == "closed 1 stream(s) with remote.test\n",
            "starlingctl s2s close: " + closed.describe());
    const auto none = home.ctl({"s2s", "close", "nobody.test"});
    require(none.exited_with(1) && none.err.find("no stream with nobody.test") != std::string::npos,
            "closing no stream: " + none.describe());
    // Once the stream is gone at away too, carol's next message makes away open one of its
    // own. (Until then away could still write to the stream home is closing, which reads no
    // more: what a stream carried while it closed is what XEP-0198 would account for.)
    const auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (away.ctl({"s2s"}).out.find("in\t") != std::string::npos) {
        require(std::chrono::steady_clock::now() < gone_by, "away kept the closed stream");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    c.send("<message to='" + a.bound_jid() +
           "' id='back-again' type='chat'><body>after the close</body></message>");
    a.wait_for(stanza_named("message", "back-again"), "carol's message after the close");
    a.send("<message to='" + c.bound_jid() +
           "' id='fed-again' type='chat'><body>after the close</body></message>");
    c.wait_for(stanza_named("message", "fed-again"), "a message after the streams were closed");

    // A domain whose server refuses the connection: the sender learns it.
    a.send(
        "<message to='someone@unreachable.test' id='fed-3' type='chat'><body>?</body></message>");
    auto bounce = a.wait_for(stanza_named("message", "fed-3"), "the bounce from unreachable.test",
                             std::chrono::seconds(15));
    require(stanza_attribute(bounce.get(), "type") == "error" &&
                stanza_error_condition(bounce.get()) == "remote-server-not-found",
            "no remote-server-not-found for an unreachable domain: " + stanza_text(bounce.get()));
    require(stanza_text(bounce.get()).find("Connection refused") != std::string::npos,
            "the bounce does not say why: " + stanza_text(bounce.get()));
}

STARLING_SCENARIO(s2s_presence_subscription_and_probes_across_domains) {
    federation servers(options, "[disco, ping, roster, presence]");
    const std::string carol_bare = carol_jid;
    auto a = std::make_unique<strophe_client>(std::string(alice.jid) + "/desk", alice.password,
                                              servers.home.c2s_port());
    a->login();
    go_online(*a);
    strophe_client c(carol_bare + "/phone", carol_password, servers.away.c2s_port());
    c.login();
    go_online(c);

    // RFC 6121 §3: the request crosses to remote.test, the approval comes back, and then
    // carol's server sends her presence to alice.
    subscribe(*a, alice.jid, c, carol_bare);
    a->wait_for(presence_from(c.bound_jid()), "carol's presence after she approved");
    subscribe(c, carol_bare, *a, alice.jid);
    c.wait_for(presence_from(a->bound_jid()), "alice's presence after she approved");

    // A change of carol's presence reaches her contact on the other server.
    c.send("<presence><show>away</show></presence>");
    auto away_presence = a->wait_for(presence_from(c.bound_jid()), "carol's new presence");
    require(stanza_text(away_presence.get()).find("<show>away</show>") != std::string::npos,
            "carol's show did not cross: " + stanza_text(away_presence.get()));

    // Alice comes back: her server probes remote.test, which answers with carol's presence;
    // carol sees alice leave and return.
    a.reset();
    c.wait_for(presence_from(std::string(alice.jid) + "/desk", "unavailable"),
               "alice's unavailable presence");
    a = std::make_unique<strophe_client>(std::string(alice.jid) + "/desk", alice.password,
                                         servers.home.c2s_port());
    a->login();
    go_online(*a);
    a->wait_for(presence_from(c.bound_jid()), "carol's presence answering the probe");
    c.wait_for(presence_from(a->bound_jid()), "alice's presence when she returns");
}

STARLING_SCENARIO(s2s_idle_streams_close_and_the_next_stanza_opens_another) {
    // Only home's streams idle out: with stream management the <a/> that answers home's last
    // message arrives after away read it, so away's incoming stream, idle as soon, could close
    // first (which home takes as cleanly: the last <a/> comes before the closing tag).
    federation servers(options, "[disco, ping, version, time]", "  idle_timeout: 1s\n",
                       federation::trust::certificates, "");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, servers.home.c2s_port());
    a.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, servers.away.c2s_port());
    c.login();
    const auto home_mark = servers.home.log_mark();
    a.send("<message to='" + c.bound_jid() + "' id='idle-1' type='chat'><body>1</body></message>");
    c.wait_for(stanza_named("message", "idle-1"), "the first message");
    // Nothing more for a second: the stream closes.
    servers.home.wait_for_log("s2s out example.test -> remote.test: idle for 1 s, closing",
                              home_mark);
    servers.home.wait_for_log("s2s out example.test -> remote.test: closed", home_mark);
    // The next message opens a new stream and arrives.
    const auto reopen_mark = servers.home.log_mark();
    a.send("<message to='" + c.bound_jid() + "' id='idle-2' type='chat'><body>2</body></message>");
    c.wait_for(stanza_named("message", "idle-2"), "the message after the idle close");
    servers.home.wait_for_log("s2s out example.test -> remote.test: ready", reopen_mark);
}

// Exchanges a message each way between alice (home) and carol (away); returns nothing, fails
// the scenario if either does not arrive from its sender.
void chat_both_ways(federation& servers, const std::string& tag) {
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, servers.home.c2s_port());
    a.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, servers.away.c2s_port());
    c.login();
    a.send("<message to='" + c.bound_jid() + "' id='" + tag +
           "-1' type='chat'><body>there</body></message>");
    auto there = c.wait_for(stanza_named("message", tag + "-1"), "alice's message at carol");
    require(stanza_attribute(there.get(), "from") == a.bound_jid(),
            "wrong sender: " + stanza_text(there.get()));
    c.send("<message to='" + a.bound_jid() + "' id='" + tag +
           "-2' type='chat'><body>back</body></message>");
    auto back = a.wait_for(stanza_named("message", tag + "-2"), "carol's reply at alice");
    require(stanza_attribute(back.get(), "from") == c.bound_jid(),
            "wrong sender of the reply: " + stanza_text(back.get()));
}

STARLING_SCENARIO(s2s_dialback_when_certificates_do_not_verify) {
    // Each server trusts a CA that did not sign the other's certificate: EXTERNAL is offered
    // neither way, and both streams authenticate by Server Dialback (XEP-0220), each key
    // checked with the other server as the Authoritative Server for its domain.
    federation servers(options, "[disco, ping]", "", federation::trust::none);
    chat_both_ways(servers, "db");
    for (auto* server : {&servers.home, &servers.away}) {
        const auto listed = server->ctl({"s2s"});
        require(listed.exited_with(0) &&
                    listed.out.find("\tready\tdialback\tTLSv1.") != std::string::npos &&
                    listed.out.find("\tauthenticated\tdialback\tTLSv1.") != std::string::npos,
                "the streams are not authenticated by dialback:\n" + listed.out);
    }
}

STARLING_SCENARIO(s2s_require_certificates_refuses_dialback_unless_the_domain_is_allowed) {
    {  // home requires certificates: away's does not verify, so nothing is sent to it.
        federation servers(options, "[disco, ping]", "  require_certificates: true\n",
                           federation::trust::none, "");
        strophe_client a(std::string(alice.jid) + "/desk", alice.password, servers.home.c2s_port());
        a.login();
        a.send(
            "<message to='carol@remote.test' id='strict-1' type='chat'><body>?</body></message>");
        auto bounce =
            a.wait_for(stanza_named("message", "strict-1"), "the bounce", std::chrono::seconds(15));
        require(stanza_error_condition(bounce.get()) == "remote-server-not-found" &&
                    stanza_text(bounce.get()).find("the remote certificate was refused") !=
                        std::string::npos,
                "no bounce naming the certificate: " + stanza_text(bounce.get()));
        // away does not require them, but home offers away neither EXTERNAL nor dialback.
        strophe_client c(std::string(carol_jid) + "/phone", carol_password,
                         servers.away.c2s_port());
        c.login();
        c.send(
            "<message to='alice@example.test' id='strict-2' type='chat'><body>?</body></message>");
        auto refused = c.wait_for(stanza_named("message", "strict-2"), "carol's bounce",
                                  std::chrono::seconds(15));
        require(stanza_error_condition(refused.get()) == "remote-server-not-found" &&
                    stanza_text(refused.get())
                            .find("offers neither SASL EXTERNAL nor Server "
                                  "Dialback") != std::string::npos,
                "carol's message was not bounced for the policy: " + stanza_text(refused.get()));
    }
    {  // Both require them, but each lets the other's domain use dialback.
        federation servers(options, "[disco, ping]",
                           "  require_certificates: true\n  dialback_domains: [remote.test]\n",
                           federation::trust::none,
                           "  require_certificates: true\n  dialback_domains: [example.test]\n");
        chat_both_ways(servers, "allowed");
    }
}

STARLING_SCENARIO(s2s_remote_users_in_rooms_both_ways) {
    // Rooms live on each server's chat service; occupants come from the other domain. The
    // room's own domain (conference.*) sends over s2s, authenticated by dialback where the
    // certificate names only the host.
    federation servers(options, "[disco, ping, muc]");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, servers.home.c2s_port());
    a.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, servers.away.c2s_port());
    c.login();

    // carol@remote.test in a room of conference.example.test.
    muc::create_room(a, "fed", "alice");
    muc::enter_and_settle(c, "fed", "carol");
    a.wait_for(muc::presence_from(muc::occupant("fed", "carol")), "carol's presence in the room");
    c.send("<message to='" + muc::room("fed") +
           "' type='groupchat' id='g1'><body>hello room</body></message>");
    a.wait_for(muc::groupchat_from(muc::occupant("fed", "carol")), "carol's message at alice");
    c.wait_for(muc::groupchat_from(muc::occupant("fed", "carol")), "carol's message reflected");
    a.send("<message to='" + muc::room("fed") +
           "' type='groupchat' id='g2'><body>welcome</body></message>");
    auto welcome =
        c.wait_for(muc::groupchat_from(muc::occupant("fed", "alice")), "alice's message at carol");
    require(stanza_text(welcome.get()).find("welcome") != std::string::npos,
            "alice's message did not cross: " + stanza_text(welcome.get()));

    // alice@example.test in a room of conference.remote.test.
    const std::string there = "over@conference.remote.test";
    c.send("<presence to='" + there + "/carol'><x xmlns='" + std::string(muc::ns_muc) +
           "'/></presence>");
    c.wait_for(muc::presence_from(there + "/carol", true), "carol's own room");
    c.send("<iq type='set' id='inst' to='" + there + "'><query xmlns='" +
           std::string(muc::ns_owner) + "'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
    c.wait_for(stanza_named("iq", "inst"), "the instant room");
    a.send("<presence to='" + there + "/alice'><x xmlns='" + std::string(muc::ns_muc) +
           "'/></presence>");
    auto self = a.wait_for(muc::presence_from(there + "/alice", true), "alice's self-presence");
    require(stanza_attribute(self.get(), "type") != "error" && muc::has_code(self.get(), "110"),
            "alice could not enter the remote room: " + stanza_text(self.get()));
    c.wait_for(muc::presence_from(there + "/alice"), "alice's presence in carol's room");
    a.send("<message to='" + there + "' type='groupchat' id='g3'><body>from afar</body></message>");
    c.wait_for(muc::groupchat_from(there + "/alice"), "alice's message in carol's room");
}

}  // namespace starling::scenarios

namespace starling::scenarios {
namespace {

constexpr const char* dave_jid = "dave@other.test";
constexpr const char* dave_password = "dave-secret-4";

// alice (example.test) writes to carol first, which opens home's stream to remote.test; then
// dave (other.test, home's second host) writes to her as well. Returns home's s2s listing.
std::string alice_then_dave(federation& servers) {
    servers.home.add_account(dave_jid, dave_password);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, servers.home.c2s_port());
    a.login();
    strophe_client d(std::string(dave_jid) + "/desk", dave_password, servers.home.c2s_port());
    d.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, servers.away.c2s_port());
    c.login();
    a.send("<message to='" + c.bound_jid() + "' id='mux-a' type='chat'><body>a</body></message>");
    c.wait_for(stanza_named("message", "mux-a"), "alice's message");
    d.send("<message to='" + c.bound_jid() + "' id='mux-d' type='chat'><body>d</body></message>");
    const auto from_dave = c.wait_for(stanza_named("message", "mux-d"), "dave's message");
    require(stanza_attribute(from_dave.get(), "from") == d.bound_jid(),
            "wrong sender: " + stanza_text(from_dave.get()));
    // carol answers both, on whatever carries the pairs back.
    c.send("<message to='" + d.bound_jid() + "' id='mux-back' type='chat'><body>b</body></message>");
    d.wait_for(stanza_named("message", "mux-back"), "carol's answer to dave");
    return servers.home.ctl({"s2s"}).out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size())
        ++n;
    return n;
}

}  // namespace

// XEP-0220 §8.3: once home's stream to remote.test is up, its other domain other.test is added
// to it by dialback (away checks the key with other.test's server, home), rather than opening
// a second stream.
STARLING_SCENARIO(s2s_another_of_our_domains_shares_the_stream) {
    federation servers(options);
    const auto listed = alice_then_dave(servers);
    require(count_of(listed, "out\t") == 1 &&
                listed.find("out\texample.test,other.test -> remote.test\t") != std::string::npos,
            "other.test does not share example.test's stream:\n" + listed);
}

// Where the peer refuses the added domain (it requires certificates, and example.test's does
// not name other.test), the domain gets a stream of its own, with its own certificate: dave's
// message still arrives.
STARLING_SCENARIO(s2s_a_domain_refused_on_a_shared_stream_gets_its_own) {
    federation servers(options, "[disco, ping, version, time]", "",
                       federation::trust::certificates, "  require_certificates: true\n");
    const auto listed = alice_then_dave(servers);
    require(count_of(listed, "out\t") == 2 &&
                listed.find("out\texample.test -> remote.test\t") != std::string::npos &&
                listed.find("out\tother.test -> remote.test\t") != std::string::npos,
            "other.test did not get a stream of its own:\n" + listed);
    servers.home.wait_for_log("the peer refused other.test on this stream (not-authorized)", 0);
}

}  // namespace starling::scenarios
