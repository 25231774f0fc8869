// Two clients talking through the server, one account logging in twice with one resource, and a
// recipient whose domain is no valid IDNA2008 name.
#include "canonical_stanza.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

namespace starling::scenarios {
namespace {

// Sends a chat message from `sender` to `recipient`'s full JID and checks what arrives.
void exchange(strophe_client& sender, strophe_client& recipient, const std::string& id,
              const std::string& body_xml, const std::string& body_text) {
    sender.send("<message type='chat' to='" + recipient.bound_jid() + "' id='" + id +
                "'><body>" + body_xml + "</body></message>");
    auto message = recipient.wait_for(stanza_named("message", id), "message " + id);
    require(stanza_attribute(message.get(), "from") == sender.bound_jid(),
            "from is not the sender's full JID " + sender.bound_jid() + ": " +
                stanza_text(message.get()));
    require(stanza_attribute(message.get(), "to") == recipient.bound_jid(),
            "to changed: " + stanza_text(message.get()));
    require(stanza_attribute(message.get(), "type") == "chat",
            "type changed: " + stanza_text(message.get()));
    xmpp_stanza_t* body = stanza_child(message.get(), "body", ns::client);
    require(body != nullptr, "no body: " + stanza_text(message.get()));
    require(stanza_content(body) == body_text,
            "body is '" + stanza_content(body) + "', sent '" + body_text + "'");
}

}  // namespace

STARLING_SCENARIO(message_between_full_jids) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    exchange(a, b, "m-1", "Hello &amp; good &lt;morning&gt; \xc3\xa9t\xc3\xa9",
             "Hello & good <morning> \xc3\xa9t\xc3\xa9");
    exchange(b, a, "m-2", "and back", "and back");
}

STARLING_SCENARIO(bind_conflict_replaces_old_session) {
    server_fixture server(options);
    start_with_accounts(server);
    const std::string full_jid = std::string(alice.jid) + "/same";
    strophe_client first(full_jid, alice.password, server.c2s_port());
    first.login();
    require(first.bound_jid() == full_jid, "first bound " + first.bound_jid());
    strophe_client second(full_jid, alice.password, server.c2s_port());
    second.login();
    require(second.bound_jid() == full_jid, "second bound " + second.bound_jid());
    require(first.wait_disconnected(), "the replaced session is still connected");
    const std::string& error_text = first.stream_error_text();
    require(first.stream_error() == "conflict",
            "replaced session got " + (error_text.empty() ? "no stream error" : error_text));
    // The new session is the one that receives.
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    b.send("<message to='" + full_jid + "' id='after-conflict'><body>hi</body></message>");
    second.wait_for(stanza_named("message", "after-conflict"), "the message to the new session");
}

// The A-label xn--u-a-au-a-auu-e-aubcher-kva is valid punycode for a U-label that holds U+00A0
// (no-break space), which IDNA2008 disallows. It used to parse as a remote domain (the message
// bounced with remote-server-not-found), to a JID whose string form then failed to parse
// (found by tests/fuzz/jid_fuzz).
STARLING_SCENARIO(message_to_a_label_of_disallowed_code_point_is_jid_malformed) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    const std::string to = "user@xn--u-a-au-a-auu-e-aubcher-kva.example";
    a.send("<message type='chat' to='" + to + "' id='idn-1'><body>hi</body></message>");
    auto bounce = a.wait_for(stanza_named("message", "idn-1"), "the bounce");
    require_stanza(bounce.get(),
                   "<message from='" + to + "' to='" + a.bound_jid() +
                       "' type='error'><body>hi</body><error code='400' type='modify'>"
                       "<jid-malformed xmlns='" +
                       std::string(ns::stanza_errors) + "'/></error></message>",
                   "the bounce of a message to a disallowed U-label");
}

}  // namespace starling::scenarios
