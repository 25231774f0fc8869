// XMPP over WebSocket (RFC 7395) at /xmpp-websocket of the https and http listeners: the
// handshake and its refusals, <open/>/<close/> framing with every message a document of its own,
// login and chat with a TCP client, the TCP stream's limits, stream management across a dropped
// connection, and pings on a quiet connection.
#include "client_steps.hpp"
#include "free_port.hpp"
#include "http_client.hpp"
#include "server_fixture.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "web_client_steps.hpp"
#include "websocket_client.hpp"

#include <thread>

namespace starling::scenarios {
namespace {

constexpr const char* ns_framing = "urn:ietf:params:xml:ns:xmpp-framing";
constexpr const char* ns_streams = "http://etherx.jabber.org/streams";
constexpr const char* ns_stream_errors = "urn:ietf:params:xml:ns:xmpp-streams";

const std::string open_text = std::string("<open xmlns='") + ns_framing +
                              "' to='example.test' version='1.0'/>";

// Requires the stream error `condition`, then <close/>, then the end of the WebSocket.
void require_stream_error(websocket_client& ws, const std::string& condition,
                          const std::string& what) {
    auto error = ws.expect("error", ns_streams);
    require(error.child(condition, ns_stream_errors) != nullptr,
            what + ": expected <" + condition + "/>, got " + error.to_string());
    ws.expect("close", ns_framing);
    require(ws.wait_closed(), what + ": the WebSocket stayed open after the stream error");
}

}  // namespace

STARLING_SCENARIO(websocket_login_chat_and_close_over_wss) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.modules = "[disco, ping, roster, presence]";
    server.write_config();
    start_with_accounts(server);

    websocket_client ws(port, {});
    require(ws.accepted_protocol() == "xmpp",
            "the 101 should name the subprotocol xmpp, named '" + ws.accepted_protocol() + "'");
    const std::string alice_jid = ws.login(alice.jid, alice.password, "browser");
    require(alice_jid == std::string(alice.jid) + "/browser", "bound " + alice_jid);
    ws.send("<presence xmlns='jabber:client'/>");
    auto self_presence = ws.expect("presence", "jabber:client");
    require(self_presence.attribute("from") == alice_jid,
            "alice's own presence should come back: " + self_presence.to_string());

    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    // A stanza the client sends with its namespace declared, as each message is a document.
    ws.send("<message xmlns='jabber:client' to='" + b.bound_jid() +
            "' type='chat' id='w1'><body>from the browser</body></message>");
    auto got = b.wait_for(stanza_named("message", "w1"), "alice's WebSocket message");
    require(stanza_attribute(got.get(), "from") == alice_jid,
            "bob's copy should come from " + alice_jid + ": " + stanza_text(got.get()));
    // What the server sends is one stanza per message, jabber:client declared on it.
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='r1'><body>to the browser</body></message>");
    auto reply = ws.next_element();
    require_message(reply, bob.jid, "to the browser", "bob's reply over the WebSocket");
    // An iq round trip on the same stream.
    ws.send("<iq xmlns='jabber:client' type='get' id='p1' to='example.test'><ping "
            "xmlns='urn:xmpp:ping'/></iq>");
    auto pong = ws.expect("iq", "jabber:client");
    require(pong.attribute("type") == "result" && pong.attribute("id") == "p1",
            "the ping should be answered: " + pong.to_string());

    // RFC 7395 §3.6: <close/> is answered with <close/>, then the WebSocket closes normally.
    ws.send(std::string("<close xmlns='") + ns_framing + "'/>");
    ws.expect("close", ns_framing);
    require(ws.wait_closed(), "the WebSocket stayed open after <close/>");
    require(ws.close_code() == 1000, "the close code should be 1000 (normal), got " +
                                         std::to_string(ws.close_code()));
    // The session ended with it: its full JID answers no more.
    require_session_gone(b, alice_jid, "after <close/>");
}

STARLING_SCENARIO(websocket_refusals_and_limits_name_what_is_wrong) {
    server_fixture server(options);
    const auto http_port = free_loopback_port();
    const auto https_port = free_loopback_port();
    server.extra_listen += listen_entry("http", http_port) + listen_entry("https", https_port);
    server.write_config();
    start_with_accounts(server);

    {
        // Not an upgrade: 426, naming what the path speaks.
        http_client client(http_port);
        auto reply = client.request("GET", "/xmpp-websocket");
        require(reply.status == 426 && reply.header("upgrade") == "websocket" &&
                    reply.body.find("subprotocol 'xmpp'") != std::string::npos,
                "GET without Upgrade: " + reply.to_string());
    }
    {
        // An upgrade without the xmpp subprotocol: 400, before any WebSocket exists.
        http_client client(http_port);
        auto reply = client.request("GET", "/xmpp-websocket",
                                    {{"Connection", "Upgrade"},
                                     {"Upgrade", "websocket"},
                                     {"Sec-WebSocket-Version", "13"},
                                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                     {"Sec-WebSocket-Protocol", "chat, superchat"}});
        require(reply.status == 400 &&
                    reply.body.find("subprotocol 'xmpp' is required") != std::string::npos,
                "an upgrade without xmpp: " + reply.to_string());
    }
    {
        // Plain ws: the header is <open/>, no STARTTLS is offered (RFC 7395 §3.7), and with
        // tls.required no mechanism either: a password never crosses an unencrypted WebSocket.
        websocket_client ws(http_port, {.tls = false});
        ws.send(open_text);
        auto open = ws.expect("open", ns_framing);
        require(open.attribute("from") == "example.test" && open.attribute("version") == "1.0" &&
                    open.attribute("id").size() >= 16,
                "the server's <open/>: " + open.to_string());
        auto features = ws.expect("features", ns_streams);
        require(features.child("starttls", "urn:ietf:params:xml:ns:xmpp-tls") == nullptr &&
                    features.child("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl") == nullptr,
                "plain ws features should offer neither STARTTLS nor SASL: " +
                    features.to_string());
        ws.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        require_stream_error(ws, "unsupported-feature", "STARTTLS over WebSocket");
    }
    {
        // Before authentication the TCP stream's smaller stanza limit holds.
        websocket_client ws(https_port, {});
        ws.send(open_text);
        ws.expect("open", ns_framing);
        ws.expect("features", ns_streams);
        ws.send("<iq xmlns='jabber:client' type='get' id='big'><query xmlns='jabber:iq:version'>" +
                std::string(20000, 'x') + "</query></iq>");
        require_stream_error(ws, "policy-violation", "a 20 KB stanza before authentication");
    }
    {
        // An element split over two messages breaks RFC 7395 §3.3.3.
        websocket_client ws(https_port, {});
        ws.login(alice.jid, alice.password);
        ws.send("<message xmlns='jabber:client' to='b@example.test'><body>half");
        require_stream_error(ws, "not-well-formed", "an element split over two messages");
    }
    {
        // A message past limits.stanza_bytes (256 KiB) ends the WebSocket with 1009.
        websocket_client ws(https_port, {});
        ws.login(alice.jid, alice.password);
        ws.send("<message xmlns='jabber:client' to='b@example.test'><body>" +
                std::string(300 * 1024, 'y') + "</body></message>");
        require(ws.wait_closed(), "a 300 KiB message should end the WebSocket");
        require(ws.close_code() == 1009,
                "the close code should be 1009 (too big), got " + std::to_string(ws.close_code()));
    }
    {
        // Still serving: one bad client took only its own connection.
        websocket_client ws(https_port, {});
        require(ws.login(bob.jid, bob.password) == std::string(bob.jid) + "/web",
                "a login after the refusals");
    }
}

STARLING_SCENARIO(websocket_session_resumes_after_the_connection_drops) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.modules = "[disco, ping, smacks]";
    server.write_config();
    start_with_accounts(server);

    websocket_client first(port, {});
    const std::string alice_jid = first.login(alice.jid, alice.password);
    first.send(std::string("<enable xmlns='") + ns_sm + "' resume='true'/>");
    auto enabled = first.expect("enabled", ns_sm);
    const std::string previd = enabled.attribute("id");
    require(!previd.empty() && enabled.attribute("resume") == "true",
            "stream management should be enabled with resumption: " + enabled.to_string());
    first.send("<presence xmlns='jabber:client'/>");

    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='m1'><body>one</body></message>");
    require_message(first.next_element(), bob.jid, "one", "the first message");
    // The connection dies without a word; the client never acknowledged "one".
    first.drop();
    send_now(b, "<message to='" + alice_jid + "' type='chat' id='m2'><body>two</body></message>");

    websocket_client second(port, {});
    second.send(open_text);
    second.expect("open", ns_framing);
    second.expect("features", ns_streams);
    second.send(std::string("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>") +
                "AGEAYWxpY2Utc2VjcmV0LTE=</auth>");  // \0a\0alice-secret-1
    second.expect("success", "urn:ietf:params:xml:ns:xmpp-sasl");
    second.send(open_text);
    second.expect("open", ns_framing);
    second.expect("features", ns_streams);
    second.send(std::string("<resume xmlns='") + ns_sm + "' h='0' previd='" + previd + "'/>");
    auto resumed = second.expect("resumed", ns_sm);
    require(resumed.attribute("previd") == previd, "resumed: " + resumed.to_string());
    // Both come again, in order: the unacknowledged one and the one sent while it was away.
    require_message(second.next_element(), bob.jid, "one", "the unacknowledged message");
    require_message(second.next_element(), bob.jid, "two", "the message sent while away");
}

STARLING_SCENARIO(websocket_quiet_connection_is_pinged_and_a_silent_one_closed) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.extra_config += "http: {idle_timeout: 2s}\n";
    server.write_config();
    start_with_accounts(server);

    // A client that reads answers the server's pings (as browsers do) and stays.
    websocket_client answering(port, {});
    answering.login(alice.jid, alice.password);
    require(!answering.next_message(std::chrono::milliseconds(3500)).has_value() &&
                !answering.closed(),
            "a quiet client that answers pings should stay connected");
    require(answering.pings() >= 1, "the server should ping a connection quiet for 1 s");
    answering.send("<iq xmlns='jabber:client' type='get' id='after' to='example.test'><ping "
                   "xmlns='urn:xmpp:ping'/></iq>");
    require(answering.expect("iq", "jabber:client").attribute("type") == "result",
            "the pinged stream should still serve");

    // A client that never answers is closed once idle_timeout passes.
    websocket_client silent(port, {});
    silent.login(bob.jid, bob.password);
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));
    require(silent.wait_closed(std::chrono::seconds(3)),
            "a connection that answers no ping should be closed after http.idle_timeout");
}

STARLING_SCENARIO(websocket_endpoint_is_advertised_by_host_meta) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.write_config();
    server.start();

    http_client client(port);
    client.start_tls("example.test");
    // XEP-0156 §3: the endpoint under the scheme and Host the client came with.
    auto xrd = client.request("GET", "/.well-known/host-meta");
    require(xrd.status == 200 &&
                xrd.header("content-type") == "application/xrd+xml; charset=utf-8" &&
                xrd.header("access-control-allow-origin") == "*" &&
                xrd.body.find("<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>") !=
                    std::string::npos &&
                xrd.body.find("<Link rel='urn:xmpp:alt-connections:websocket' "
                              "href='wss://example.test/xmpp-websocket'/>") != std::string::npos &&
                xrd.body.find("<Link rel='urn:xmpp:alt-connections:xbosh' "
                              "href='https://example.test/http-bind'/>") != std::string::npos,
            "host-meta: " + xrd.to_string());
    auto jrd = client.request("GET", "/.well-known/host-meta.json");
    require(jrd.status == 200 && jrd.header("content-type") == "application/json" &&
                jrd.body == "{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\","
                            "\"href\":\"wss://example.test/xmpp-websocket\"},"
                            "{\"rel\":\"urn:xmpp:alt-connections:xbosh\","
                            "\"href\":\"https://example.test/http-bind\"}]}\n",
            "host-meta.json: " + jrd.to_string());
    auto preflight = client.request("OPTIONS", "/.well-known/host-meta.json",
                                    {{"Origin", "https://web.example"},
                                     {"Access-Control-Request-Method", "GET"}});
    require(preflight.status == 204 && preflight.header("access-control-allow-origin") == "*",
            "a CORS preflight: " + preflight.to_string());
    // A Host that is not a host and port is not written into the document.
    http_client hostile(port);
    hostile.start_tls("example.test");
    hostile.send("GET /.well-known/host-meta HTTP/1.1\r\nHost: evil'/><x\r\n\r\n");
    auto refused = hostile.next_reply(std::chrono::seconds(5));
    require(refused && refused->status == 400 &&
                refused->body.find("the Host header must be") != std::string::npos,
            "a hostile Host header: " + (refused ? refused->to_string() : "no answer"));
}

}  // namespace starling::scenarios

namespace starling::scenarios {

// As messages_for_a_client_that_does_not_read_are_stored_when_it_is_closed, over a WebSocket:
// past limits.outbound_queue_bytes the stream is closed, and every message either reached the
// WebSocket or is stored, including the one whose message was on its way when it closed.
STARLING_SCENARIO(websocket_messages_for_a_client_that_does_not_read_are_stored) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.modules =
        "[disco, ping, roster, presence, {offline: {max_messages: 5000, max_from_strangers: "
        "5000}}]";
    server.extra_config = "limits: {outbound_queue_bytes: 65536}\n";
    server.write_config();
    start_with_accounts(server);
    const auto mark = server.log_mark();
    websocket_client stalled(port, {.receive_buffer = 4096});
    const std::string stalled_jid = stalled.login(bob.jid, bob.password, "stalled");
    stalled.send("<presence xmlns='jabber:client'/>");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    constexpr int count = 1500;
    const std::string filler(8000, 'x');
    for (int i = 0; i < count; ++i) {
        a.send("<message type='chat' to='" + stalled_jid + "' id='s" + std::to_string(i) +
               "'><body>" + std::to_string(i) + " " + filler + "</body></message>");
        if (i % 100 == 99) run_strophe_for(std::chrono::milliseconds(20));
    }
    auto settled = a.request("<iq type='get' id='settle'><ping xmlns='urn:xmpp:ping'/></iq>",
                             "settle", std::chrono::seconds(60));
    require(stanza_attribute(settled.get(), "type") == "result" &&
                a.take_all([](xmpp_stanza_t* s) { return stanza_attribute(s, "type") == "error"; })
                    .empty(),
            "alice's messages should all be taken, none bounced");
    server.wait_for_log("stream error policy-violation: the client does not read what the "
                        "server sends",
                        mark);
    server.wait_for_log(stalled_jid + " logged out", mark);
    // What did reach the stalled WebSocket, read now.
    int last_received = -1;
    while (auto message = stalled.next_message(std::chrono::seconds(2))) {
        const auto at = message->find(" id='s");
        if (message->rfind("<message", 0) == 0 && at != std::string::npos)
            last_received = std::stoi(message->substr(at + 6));
    }
    strophe_client again(std::string(bob.jid) + "/desk", bob.password, server.c2s_port());
    again.login();
    again.send("<presence/>");
    auto first = again.wait_for(stanza_named("message"), "a stored message",
                                std::chrono::seconds(10));
    const int expected = std::stoi(stanza_attribute(first.get(), "id").substr(1));
    require(expected <= last_received + 1,
            "messages s" + std::to_string(last_received + 1) + " to s" +
                std::to_string(expected - 1) +
                " neither reached the WebSocket nor were stored");
    for (int i = expected + 1; i < count; ++i) {
        auto next = again.wait_for(stanza_named("message"), "stored message s" + std::to_string(i),
                                   std::chrono::seconds(10));
        require(stanza_attribute(next.get(), "id") == "s" + std::to_string(i),
                "expected s" + std::to_string(i) + ", got " + stanza_text(next.get()));
    }
}

}  // namespace starling::scenarios
