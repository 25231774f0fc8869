// XMPP over BOSH (XEP-0124, XEP-0206) at /http-bind of the https and http listeners: session
// creation and its attributes, login and chat with a TCP client, held requests answered as soon
// as there is something to say, rids taken in order and repeats answered again, a request whose
// connection dropped, the terminal binding errors, the limits of a TCP stream, the connection
// limits counting sessions, stream management across a session whose client went away, and
// acknowledgements that survive kill -9.
#include "bosh_client.hpp"
#include "client_steps.hpp"
#include "free_port.hpp"
#include "http_client.hpp"
#include "server_fixture.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "web_client_steps.hpp"

#include <thread>

namespace starling::scenarios {
namespace {

constexpr const char* ns_streams = "http://etherx.jabber.org/streams";
constexpr const char* ns_stream_errors = "urn:ietf:params:xml:ns:xmpp-streams";
using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

void require_terminated(const bosh_reply& reply, const std::string& condition,
                        const std::string& what) {
    require(reply.http.status == 200 && reply.terminated() &&
                reply.body.attribute("condition") == condition,
            what + ": expected <body type='terminate' condition='" + condition + "'/>, got " +
                reply.http.to_string());
}

std::string chat(const std::string& to, const std::string& id, const std::string& body) {
    return "<message xmlns='jabber:client' to='" + to + "' type='chat' id='" + id +
           "'><body>" + body + "</body></message>";
}

long long ms_since(clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(clock::now() - start).count();
}

// A POST of `body` to /http-bind on `client`, answered within 5 s.
http_reply post_body(http_client& client, const std::string& body) {
    return client.request("POST", "/http-bind", {{"Content-Type", "text/xml; charset=utf-8"}},
                          body);
}

const std::string creation_body =
    "<body rid='1000' to='example.test' xml:lang='en' wait='5' hold='1' ver='1.6' "
    "xmpp:version='1.0' xmlns='http://jabber.org/protocol/httpbind' "
    "xmlns:xmpp='urn:xmpp:xbosh'/>";

}  // namespace

STARLING_SCENARIO(bosh_login_chat_and_terminate_over_https) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.modules = "[disco, ping, roster, presence]";
    server.write_config();
    start_with_accounts(server);

    bosh_client a(port, {});
    const std::string alice_jid = a.login(alice.jid, alice.password);
    require(alice_jid == std::string(alice.jid) + "/bosh", "bound " + alice_jid);
    // XEP-0124 §7.1 and XEP-0206 §4: what the creation answer says of the session.
    const auto& created = a.creation();
    const auto& body = created.body;
    require(a.sid().size() == 32 && body.attribute("wait") == "10" &&
                body.attribute("hold") == "1" && body.attribute("requests") == "2" &&
                body.attribute("inactivity") == "60" && body.attribute("ver") == "1.6" &&
                body.attribute("from") == "example.test" && body.attribute("authid").size() >= 16 &&
                body.attribute("version") == "1.0" && body.attribute("restartlogic") == "true",
            "the creation answer: " + created.http.to_string());
    require(created.http.header("content-type") == "text/xml; charset=utf-8" &&
                created.http.header("access-control-allow-origin") == "*" &&
                created.http.header("cache-control") == "no-store",
            "the creation answer's headers: " + created.http.to_string());

    a.send("<presence xmlns='jabber:client'/>");
    auto self_presence = a.expect("presence", "jabber:client");
    require(self_presence.attribute("from") == alice_jid,
            "alice's own presence should come back: " + self_presence.to_string());

    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    a.send(chat(b.bound_jid(), "b1", "from bosh"));
    auto got = b.wait_for(stanza_named("message", "b1"), "alice's BOSH message");
    require(stanza_attribute(got.get(), "from") == alice_jid,
            "bob's copy should come from " + alice_jid + ": " + stanza_text(got.get()));
    // A request is waiting at the server (wait='10'): bob's reply is its answer at once.
    const auto sent = clock::now();
    send_now(b, "<message to='" + alice_jid +
                    "' type='chat' id='r1'><body>to bosh</body></message>");
    require_message(a.next(), bob.jid, "to bosh", "bob's reply over BOSH");
    require(ms_since(sent) < 3000, "a held request should be answered as soon as a message "
                                   "arrives, took " + std::to_string(ms_since(sent)) + " ms");
    a.send("<iq xmlns='jabber:client' type='get' id='p1' to='example.test'><ping "
           "xmlns='urn:xmpp:ping'/></iq>");
    auto pong = a.expect("iq", "jabber:client");
    require(pong.attribute("type") == "result" && pong.attribute("id") == "p1",
            "the ping should be answered: " + pong.to_string());

    // XEP-0124 §12: a terminating request's payloads are handled, then the session ends.
    const auto end = a.send("<presence type='unavailable' xmlns='jabber:client'/>" +
                                chat(b.bound_jid(), "bye", "leaving"),
                            " type='terminate'");
    auto ended = a.answer(end);
    require(ended.http.status == 200 && ended.terminated() &&
                ended.body.attribute("condition").empty(),
            "the terminate request's answer: " + ended.http.to_string());
    b.wait_for(stanza_named("message", "bye"), "the message in alice's terminating request");
    // The session is over: its sid is unknown now (XEP-0124 §17.2), its JID answers no more.
    require_terminated(a.answer(a.send("")), "item-not-found", "a request after the end");
    require_session_gone(b, alice_jid, "after the terminate request");
}

STARLING_SCENARIO(bosh_requests_follow_their_rids_and_bad_ones_end_the_session) {
    server_fixture server(options);
    const auto http_port = free_loopback_port();
    const auto https_port = free_loopback_port();
    server.extra_listen += listen_entry("http", http_port) + listen_entry("https", https_port);
    server.modules = "[disco, ping, roster, presence]";
    server.write_config();
    start_with_accounts(server);

    {
        http_client client(http_port);
        auto get = client.request("GET", "/http-bind");
        require(get.status == 405 && get.header("allow") == "POST, OPTIONS" &&
                    get.body.find("BOSH endpoint") != std::string::npos,
                "GET /http-bind: " + get.to_string());
        // The CORS preflight a browser on another origin sends before posting text/xml.
        auto preflight = client.request("OPTIONS", "/http-bind",
                                        {{"Origin", "https://web.example"},
                                         {"Access-Control-Request-Method", "POST"},
                                         {"Access-Control-Request-Headers", "content-type"}});
        require(preflight.status == 204 && preflight.header("access-control-allow-origin") == "*" &&
                    preflight.header("access-control-allow-methods") == "POST, OPTIONS" &&
                    preflight.header("access-control-allow-headers") == "Content-Type",
                "the CORS preflight: " + preflight.to_string());
        auto junk = post_body(client, "<body rid='1' xmlns='http://jabber.org/protocol/httpbind'>");
        require(junk.status == 400 && parse_bosh_reply(junk).body.attribute("condition") ==
                                          "bad-request",
                "a body that is not well-formed: " + junk.to_string());
        auto elsewhere = post_body(
            client, "<body rid='5' to='elsewhere.test' wait='5' hold='1' ver='1.6' "
                    "xmlns='http://jabber.org/protocol/httpbind'/>");
        require_terminated(parse_bosh_reply(elsewhere), "host-unknown",
                           "a session for a host not served here");
        auto unknown = post_body(client, "<body rid='5' sid='0123456789abcdef0123456789abcdef' "
                                         "xmlns='http://jabber.org/protocol/httpbind'/>");
        require_terminated(parse_bosh_reply(unknown), "item-not-found", "an unknown sid");
    }

    bosh_client a(https_port, {});
    const std::string alice_jid = a.login(alice.jid, alice.password);
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();

    // XEP-0124 §14.2: payloads are read in rid order, whatever order they arrive in.
    const auto first = a.take_rid();
    const auto second = a.take_rid();
    a.send_rid(second, chat(b.bound_jid(), "o2", "second"));
    std::this_thread::sleep_for(milliseconds(300));
    a.send_rid(first, chat(b.bound_jid(), "o1", "first"));
    auto got = b.wait_for(stanza_named("message"), "the first message by rid");
    require(stanza_attribute(got.get(), "id") == "o1",
            "the message of the lower rid should arrive first: " + stanza_text(got.get()));
    got = b.wait_for(stanza_named("message"), "the second message by rid");
    require(stanza_attribute(got.get(), "id") == "o2", "then: " + stanza_text(got.get()));
    // With hold='1', the first is answered (empty) once the second is held; bob's reply is
    // the second's answer.
    auto first_answer = a.answer(first);
    require(first_answer.payloads.empty() && !first_answer.terminated(),
            "the first request's answer: " + first_answer.http.to_string());
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='back'><body>both</body></message>");
    auto second_answer = a.answer(second);
    require(second_answer.payloads.size() == 1,
            "the second request's answer: " + second_answer.http.to_string());
    require_message(second_answer.payloads[0], bob.jid, "both", "bob's reply");

    // XEP-0124 §14.3: a repeated rid gets the same answer again, and its payload is not
    // handled twice.
    a.send_rid(second, chat(b.bound_jid(), "o2", "second"));
    auto repeated = a.answer(second);
    require(repeated.http.body == second_answer.http.body,
            "a repeated rid should get its answer again: " + repeated.http.to_string() +
                "\nfirst time: " + second_answer.http.to_string());
    run_strophe_for(milliseconds(500));
    require(b.take_all(stanza_named("message", "o2")).empty(),
            "a repeated request's payload should not be delivered twice");

    {
        // A session opened over HTTPS takes no request over plain HTTP.
        http_client plain(http_port);
        auto refused = post_body(plain, "<body rid='" + std::to_string(a.next_rid()) + "' sid='" +
                                            a.sid() + "' xmlns='http://jabber.org/protocol/httpbind'/>");
        require(refused.status == 403 && refused.body.find("opened over HTTPS") != std::string::npos,
                "a plain request for an HTTPS session: " + refused.to_string());
    }

    // A rid beyond the window is a terminal error, and the session is gone with it.
    require_terminated(a.answer(a.send_rid(a.next_rid() + 10, "")), "item-not-found",
                       "a rid far ahead");
    require_terminated(a.answer(a.send("")), "item-not-found", "a request after that");
    require_session_gone(b, alice_jid, "after a rid out of the window");
}

STARLING_SCENARIO(bosh_held_requests_wait_and_survive_a_dropped_connection) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.extra_config += "http: {bosh_max_wait: 2s}\n";
    server.modules = "[disco, ping, roster, presence]";
    server.write_config();
    start_with_accounts(server);

    bosh_client a(port, {});
    const std::string alice_jid = a.login(alice.jid, alice.password);
    require(a.creation().body.attribute("wait") == "2",
            "the server grants at most http.bosh_max_wait: " + a.creation().http.to_string());
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();

    // Nothing to say: the request is answered, empty, after 'wait'.
    auto start = clock::now();
    auto empty = a.answer(a.send(""));
    const auto waited = ms_since(start);
    require(empty.payloads.empty() && !empty.terminated() && waited >= 1500 && waited < 4000,
            "an idle request should be held for wait='2', answered after " +
                std::to_string(waited) + " ms: " + empty.http.to_string());
    // A second request past hold='1' has the first answered at once.
    start = clock::now();
    const auto p1 = a.send("");
    const auto p2 = a.send("");
    auto made_room = a.answer(p1);
    require(made_room.payloads.empty() && ms_since(start) < 1000,
            "past 'hold' the oldest request should be answered at once, took " +
                std::to_string(ms_since(start)) + " ms");
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='h1'><body>held</body></message>");
    auto held = a.answer(p2);
    require(held.payloads.size() == 1, "the held request: " + held.http.to_string());
    require_message(held.payloads[0], bob.jid, "held", "a message for a held request");

    // The connection carrying a held request drops; the client sends the request again on
    // another (XEP-0124 §14.3). The answer meanwhile went to the dead connection: it comes again.
    const auto p3 = a.send("");
    std::this_thread::sleep_for(milliseconds(200));
    a.drop(p3);
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='d1'><body>lost once</body></message>");
    std::this_thread::sleep_for(milliseconds(300));
    auto again = a.answer(a.send_rid(p3, ""));
    require(again.payloads.size() == 1, "the repeated request: " + again.http.to_string());
    require_message(again.payloads[0], bob.jid, "lost once", "a message answered to a dropped connection");
    // Sent again before anything came: the answer goes to the new connection.
    const auto p4 = a.send("");
    std::this_thread::sleep_for(milliseconds(200));
    a.drop(p4);
    a.send_rid(p4, "");
    std::this_thread::sleep_for(milliseconds(200));
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='d2'><body>rerouted</body></message>");
    auto rerouted = a.answer(p4);
    require(rerouted.payloads.size() == 1, "the re-sent held request: " + rerouted.http.to_string());
    require_message(rerouted.payloads[0], bob.jid, "rerouted", "a message for a re-sent request");
}

STARLING_SCENARIO(bosh_gone_client_ends_its_session_and_resumes_it) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.extra_config += "http: {bosh_max_wait: 1s, bosh_inactivity: 2s}\n";
    server.modules = "[disco, ping, roster, presence, smacks]";
    server.write_config();
    start_with_accounts(server);

    bosh_client first(port, {});
    const std::string alice_jid = first.login(alice.jid, alice.password);
    require(first.creation().body.attribute("inactivity") == "2",
            "inactivity should be http.bosh_inactivity: " + first.creation().http.to_string());
    first.send(std::string("<enable xmlns='") + ns_sm + "' resume='true'/>");
    auto enabled = first.expect("enabled", ns_sm);
    const std::string previd = enabled.attribute("id");
    require(!previd.empty(), "stream management: " + enabled.to_string());
    first.send("<presence xmlns='jabber:client'/>");
    first.expect("presence", "jabber:client");

    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='m1'><body>one</body></message>");
    // The client's acknowledgement request may come first.
    auto one = first.next();
    while (one.ns == ns_sm) one = first.next();
    require_message(one, bob.jid, "one", "the first message");
    // The client goes without a word: no more requests. What is sent meanwhile waits.
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='m2'><body>two</body></message>");
    std::this_thread::sleep_for(milliseconds(3500));
    require_terminated(first.answer(first.send("")), "item-not-found",
                       "a request after 'inactivity' seconds without one");

    // A new session resumes the stream: what was not acknowledged comes again, in order.
    bosh_client second(port, {});
    second.authenticate(alice.jid, alice.password);
    second.send(std::string("<resume xmlns='") + ns_sm + "' h='0' previd='" + previd + "'/>");
    auto resumed = second.expect("resumed", ns_sm);
    require(resumed.attribute("previd") == previd, "resumed: " + resumed.to_string());
    std::vector<xml_element> messages;
    while (messages.size() < 2) {
        auto e = second.next();
        if (e.name == "message") messages.push_back(e);
    }
    require_message(messages[0], bob.jid, "one", "the unacknowledged message");
    require_message(messages[1], bob.jid, "two", "the message sent while the client was gone");
}

STARLING_SCENARIO(bosh_streams_keep_the_tcp_limits_and_sessions_count_as_connections) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.extra_config += "limits: {connections_per_ip: 2}\n";
    server.write_config();
    start_with_accounts(server);

    {
        // Before authentication the TCP stream's smaller stanza limit holds; the stream error
        // comes in a terminating body (XEP-0206 §7).
        bosh_client a(port, {});
        a.create();
        a.expect("features", ns_streams);
        const auto big = a.send("<iq xmlns='jabber:client' type='get' id='big'><query "
                                "xmlns='jabber:iq:version'>" +
                                std::string(20000, 'x') + "</query></iq>");
        auto reply = a.answer(big);
        const xml_element* error = reply.payloads.empty() ? nullptr : &reply.payloads[0];
        require(reply.terminated() && reply.body.attribute("condition") == "remote-stream-error" &&
                    error && error->name == "error" && error->ns == ns_streams &&
                    error->child("policy-violation", ns_stream_errors) != nullptr,
                "a 20 KB stanza before authentication: " + reply.http.to_string());
    }
    {
        // No STARTTLS over BOSH: the connection's TLS is the stream's.
        bosh_client a(port, {});
        auto features = (a.create(), a.expect("features", ns_streams));
        require(features.child("starttls", "urn:ietf:params:xml:ns:xmpp-tls") == nullptr,
                "no STARTTLS should be offered over BOSH: " + features.to_string());
        auto reply = a.answer(a.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
        require(reply.terminated() && !reply.payloads.empty() &&
                    reply.payloads[0].child("unsupported-feature", ns_stream_errors) != nullptr,
                "STARTTLS over BOSH: " + reply.http.to_string());
    }
    std::this_thread::sleep_for(milliseconds(300));
    {
        // limits.connections_per_ip counts a session as a connection, whatever carries it:
        // this HTTP connection and one session are two, and a second session is one too many.
        http_client client(port);
        client.start_tls("example.test");
        auto one = parse_bosh_reply(post_body(client, creation_body));
        require(!one.terminated() && !one.body.attribute("sid").empty(),
                "the first session: " + one.http.to_string());
        auto refused = post_body(client, creation_body);
        require(refused.status == 503 && refused.body.find("too many connections") != std::string::npos,
                "a second session past connections_per_ip: " + refused.to_string());
        // Its end frees the slot.
        auto end = parse_bosh_reply(post_body(
            client, "<body rid='1001' sid='" + one.body.attribute("sid") +
                        "' type='terminate' xmlns='http://jabber.org/protocol/httpbind'/>"));
        require(end.terminated(), "the first session's end: " + end.http.to_string());
        std::this_thread::sleep_for(milliseconds(300));
        auto again = parse_bosh_reply(post_body(client, creation_body));
        require(!again.terminated() && !again.body.attribute("sid").empty(),
                "a session once the first ended: " + again.http.to_string());
    }
}

}  // namespace starling::scenarios

namespace starling::scenarios {

// An acknowledgement is a promise over BOSH too: the messages counted in the <a/> a request's
// answer carried survive kill -9 of starlingd the moment the client reads it.
STARLING_SCENARIO(bosh_acked_messages_survive_kill_9) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.modules = "[disco, ping, roster, presence, {offline: {max_from_strangers: 1000}}, smacks]";
    server.write_config();
    start_with_accounts(server);
    constexpr int count = 50;
    {
        bosh_client a(port, {});
        a.login(alice.jid, alice.password);
        a.send(std::string("<enable xmlns='") + ns_sm + "'/>");
        a.expect("enabled", ns_sm);
        std::string burst;
        for (int i = 0; i < count; ++i)
            burst += chat(bob.jid, "m" + std::to_string(i), "durable " + std::to_string(i));
        a.send(burst + "<r xmlns='" + ns_sm + "'/>");
        auto ack = a.next();
        while (ack.name == "r" && ack.ns == ns_sm) ack = a.next();  // the server asking its own
        require(ack.name == "a" && ack.ns == ns_sm && ack.attribute("h") == std::to_string(count),
                "the answer to " + std::to_string(count) + " messages and <r/>: " + ack.to_string());
        // No pause: the promise must already hold when the client reads it.
        server.kill();
    }
    require_delivered_after_restart(server, bob, count);
}

}  // namespace starling::scenarios
