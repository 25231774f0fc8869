// XEP-0114 external components on a `component` listener: the handshake and its refusals, stanzas
// both ways between a client and the component, the checks on what a component may send, and the
// errors for stanzas to a component that is not connected.
#include "client_steps.hpp"
#include "scripted_component.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <csignal>
#include <string>

#include <sys/wait.h>

namespace starling::scenarios {
namespace {

constexpr const char* component_domain = "push.example.test";
constexpr const char* component_secret = "s3cr&t-for-push";
constexpr const char* ns_component = "jabber:component:accept";

}  // namespace

STARLING_SCENARIO(component_handshake_and_routing_both_ways) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    scripted_component component(port);
    component.connect(component_domain, component_secret);

    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    // The host lists its component subdomain in disco#items (XEP-0030 §4), where clients look
    // for services.
    auto items = a.request("<iq type='get' id='c-0' to='example.test'><query "
                           "xmlns='http://jabber.org/protocol/disco#items'/></iq>",
                           "c-0");
    xmpp_stanza_t* item = stanza_child(
        stanza_child(items.get(), "query", "http://jabber.org/protocol/disco#items"), "item", nullptr);
    require(item && stanza_attribute(item, "jid") == component_domain,
            "the component is not in the host's items: " + stanza_text(items.get()));
    // A client's message to a JID at the component's domain reaches the component, stamped with
    // the client's full JID and written in the component namespace.
    a.send(
        "<message to='svc@push.example.test/x' id='c-1' type='chat'><body>to the "
        "component &amp; back</body></message>");
    settle(a);
    auto message = component.expect("message");
    require(message.attribute("id") == "c-1" &&
                message.attribute("to") == "svc@push.example.test/x" &&
                message.attribute("from") == a.bound_jid(),
            "wrong addressing at the component: " + message.to_string());
    const auto* body = message.child("body", ns_component);
    require(body && body->text == "to the component & back",
            "the body did not arrive intact: " + message.to_string());

    // The component answers from any JID at its domain; the client gets it in jabber:client.
    component.send("<message from='svc@push.example.test/x' to='" + a.bound_jid() +
                   "' id='c-2' type='chat'><body>hello from the component</body></message>");
    auto reply = a.wait_for(stanza_named("message", "c-2"), "the component's message");
    require(stanza_attribute(reply.get(), "from") == "svc@push.example.test/x",
            "from changed: " + stanza_text(reply.get()));
    auto* reply_body = stanza_child(reply.get(), "body", ns::client);
    require(reply_body && stanza_content(reply_body) == "hello from the component",
            "body changed: " + stanza_text(reply.get()));

    // An iq to the component's domain itself, and its result back to the client.
    a.send(
        "<iq type='get' to='push.example.test' id='c-3'><query "
        "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    settle(a);
    auto iq = component.expect("iq");
    require(iq.attribute("id") == "c-3" && iq.attribute("type") == "get" &&
                iq.child("query", ns::disco_info) != nullptr,
            "the iq did not arrive as sent: " + iq.to_string());
    component.send("<iq type='result' from='push.example.test' to='" + a.bound_jid() +
                   "' id='c-3'><query xmlns='http://jabber.org/protocol/disco#info'><identity "
                   "category='pubsub' type='push'/></query></iq>");
    auto result = a.wait_for(stanza_named("iq", "c-3"), "the component's iq result");
    require(stanza_attribute(result.get(), "type") == "result" &&
                stanza_attribute(result.get(), "from") == component_domain,
            "wrong result: " + stanza_text(result.get()));

    // The component asks the server itself, as a peer server would, and gets the server's answer.
    component.send(
        "<iq type='get' from='push.example.test' to='example.test' id='c-4'><ping "
        "xmlns='urn:xmpp:ping'/></iq>");
    auto pong = component.expect("iq");
    require(pong.attribute("id") == "c-4" && pong.attribute("type") == "result" &&
                pong.attribute("from") == "example.test" &&
                pong.attribute("to") == component_domain,
            "expected the server's ping result, got " + pong.to_string());

    // A stanza from the component to a user that does not exist bounces back to the component.
    component.send(
        "<message from='svc@push.example.test' to='nobody@example.test' id='c-5'><body>"
        "x</body></message>");
    auto bounce = component.expect("message");
    const auto* error = bounce.child("error", ns_component);
    require(bounce.attribute("id") == "c-5" && bounce.attribute("type") == "error" && error &&
                error->child("service-unavailable", ns::stanza_errors),
            "expected service-unavailable back at the component, got " + bounce.to_string());
}

STARLING_SCENARIO(component_wrong_handshake_not_authorized) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    scripted_component component(port);
    const std::string id = component.open(component_domain);
    component.send("<handshake>" + component_handshake(id, "not-the-secret") + "</handshake>");
    const auto condition = component.expect_stream_error();
    require(condition == "not-authorized", "wrong handshake got <" + condition + "/>");

    // A stanza before the handshake is refused the same way, and routes nothing.
    scripted_component early(port);
    early.open(component_domain);
    early.send("<message from='push.example.test' to='a@example.test'><body>x</body></message>");
    require(early.expect_stream_error() == "not-authorized", "a stanza before the handshake");

    // The right secret still works afterwards.
    scripted_component good(port);
    good.connect(component_domain, component_secret);
}

STARLING_SCENARIO(component_unknown_domain_host_unknown) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    for (const char* domain : {"other.push.example.test", "example.test"}) {
        scripted_component component(port);
        component.stream().send(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
            "xmlns:stream='http://etherx.jabber.org/streams' to='" +
            std::string(domain) + "'>");
        // XEP-0114 §3: the error comes inside a stream header of the server's.
        const auto& header = component.stream().expect_header();
        require(header.name == "stream", "no stream header before the error");
        const auto condition = component.expect_stream_error();
        require(condition == "host-unknown", std::string(domain) + " got <" + condition + "/>");
    }
    // A client namespace on the component port is not a component stream.
    scripted_component wrong_ns(port);
    wrong_ns.stream().send(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' "
        "to='push.example.test' version='1.0'>");
    require(wrong_ns.expect_stream_error() == "invalid-namespace",
            "jabber:client on a component port");
}

STARLING_SCENARIO(component_second_connection_conflict_keeps_first) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    scripted_component first(port);
    first.connect(component_domain, component_secret);
    scripted_component second(port);
    const std::string id = second.open(component_domain);
    second.send("<handshake>" + component_handshake(id, component_secret) + "</handshake>");
    const auto condition = second.expect_stream_error();
    require(condition == "conflict", "a second connection got <" + condition + "/>");

    // The first connection still serves the domain.
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    a.send("<message to='push.example.test' id='still-first'><body>x</body></message>");
    settle(a);
    auto message = first.expect("message");
    require(message.attribute("id") == "still-first",
            "expected still-first, got " + message.to_string());
}

STARLING_SCENARIO(component_invalid_from_and_missing_addresses) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    b.login();
    b.send("<presence/>");
    settle(b);

    struct Case {
        const char* stanza;
        const char* condition;
    };
    const Case cases[] = {
        // From a host, from another domain, from a domain that merely ends like the component's.
        {"<message from='a@example.test' to='b@example.test/phone' id='f1'><body>forged</body>"
         "</message>",
         "invalid-from"},
        {"<message from='svc@evil.test' to='b@example.test/phone' id='f2'><body>forged</body>"
         "</message>",
         "invalid-from"},
        {"<message from='x@sub.push.example.test' to='b@example.test/phone' id='f3'><body>forged"
         "</body></message>",
         "invalid-from"},
        {"<message to='b@example.test/phone' id='f4'><body>no from</body></message>",
         "improper-addressing"},
        {"<message from='svc@push.example.test' id='f5'><body>no to</body></message>",
         "improper-addressing"},
    };
    for (const auto& c : cases) {
        scripted_component component(port);
        component.connect(component_domain, component_secret);
        component.send(c.stanza);
        const auto condition = component.expect_stream_error();
        require(condition == c.condition, std::string(c.stanza) + " got <" + condition +
                                              "/>, expected <" + c.condition + "/>");
    }
    // None of them reached Bob; a proper one does.
    scripted_component component(port);
    component.connect(component_domain, component_secret);
    component.send(
        "<message from='svc@push.example.test' to='b@example.test/phone' id='ok'><body>"
        "fine</body></message>");
    auto got = b.wait_for(stanza_named("message"), "the component's proper message");
    require(stanza_attribute(got.get(), "id") == "ok",
            "a refused stanza was routed: " + stanza_text(got.get()));
}

STARLING_SCENARIO(component_restricted_xml_and_limits) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    {
        scripted_component component(port);
        component.connect(component_domain, component_secret);
        component.send("<!-- a comment -->");
        require(component.expect_stream_error() == "restricted-xml", "a comment on a component");
    }
    {
        // Before the handshake the small pre-authentication limit holds (16 KiB).
        scripted_component component(port);
        component.open(component_domain);
        component.send("<handshake>" + std::string(20 * 1024, 'a') + "</handshake>");
        require(component.expect_stream_error() == "policy-violation",
                "a 20 KiB handshake was not refused");
    }
}

STARLING_SCENARIO(component_not_connected_bounces) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();

    const auto expect_unavailable = [&](const std::string& what) {
        a.send("<message to='svc@push.example.test' id='m-" + what +
               "' type='chat'><body>x</body>"
               "</message>");
        auto message = a.wait_for(stanza_named("message", "m-" + what), "the bounce " + what);
        require(stanza_attribute(message.get(), "type") == "error" &&
                    stanza_attribute(message.get(), "from") == "svc@push.example.test" &&
                    stanza_error_condition(message.get()) == "service-unavailable",
                "expected service-unavailable " + what + ", got " + stanza_text(message.get()));
        auto iq = a.request("<iq type='get' to='push.example.test' id='q-" + what +
                                "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                            "q-" + what);
        require(stanza_attribute(iq.get(), "type") == "error" &&
                    stanza_error_condition(iq.get()) == "service-unavailable",
                "expected an iq error " + what + ", got " + stanza_text(iq.get()));
    };
    expect_unavailable("before");
    {
        scripted_component component(port);
        component.connect(component_domain, component_secret);
        a.send(
            "<message to='svc@push.example.test' id='while' type='chat'><body>x</body>"
            "</message>");
        settle(a);
        require(component.expect("message").attribute("id") == "while",
                "not routed while connected");
        component.send("</stream:stream>");
        require(component.stream().wait_closed(), "the server did not close the component stream");
    }
    // The stream is gone (the server closed it before the client could see the end of it, and
    // a stanza that meets it closing is bounced the same way).
    expect_unavailable("after");
}

STARLING_SCENARIO(component_change_rejected_by_reload) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    scripted_component component(port);
    component.connect(component_domain, component_secret);
    // Components are wired in at start-up, like listeners: a new secret needs a restart.
    std::string text = server.config_text();
    const std::string old_secret = std::string("\"") + component_secret + "\"";
    const auto at = text.find(old_secret);
    require(at != std::string::npos, "the config does not hold the secret");
    text.replace(at, old_secret.size(), "\"another-secret\"");
    const auto mark = server.log_mark();
    server.write_config_text(text);
    server.send_signal(SIGHUP);
    // The reload is rejected for the component change.
    server.wait_for_log("components: changing components needs a restart", mark);
    require(server.running(), "starlingd exited on SIGHUP");
    // The connected component goes on, and the old secret is still the one in force.
    component.send(
        "<iq type='get' from='push.example.test' to='example.test' id='after'><ping "
        "xmlns='urn:xmpp:ping'/></iq>");
    require(component.expect("iq").attribute("type") == "result", "the component stopped working");
    component.send("</stream:stream>");
    require(component.stream().wait_closed(), "the component stream did not close");
    scripted_component again(port);
    const std::string id = again.open(component_domain);
    again.send("<handshake>" + component_handshake(id, "another-secret") + "</handshake>");
    require(again.expect_stream_error() == "not-authorized", "the rejected secret was taken");
}

STARLING_SCENARIO(component_gets_system_shutdown_on_sigterm) {
    server_fixture server(options);
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    scripted_component component(port);
    component.connect(component_domain, component_secret);
    server.send_signal(SIGTERM);
    const auto condition = component.expect_stream_error();
    require(condition == "system-shutdown", "SIGTERM gave the component <" + condition + "/>");
    const int status = server.stop();
    require(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "starlingd did not exit 0 after SIGTERM: " + server.log_text());
}

}  // namespace starling::scenarios
