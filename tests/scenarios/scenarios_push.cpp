// XEP-0357 push notifications through mod_push, with a scripted XEP-0114 component as the app
// server: a user enables push and goes offline; each message to it makes exactly one publish per
// registration, with the summary form (count and sender) and the enable's publish options, and
// nothing of the message's content; disable stops them; an app server's refusal disables the
// registration. The messages themselves are still stored offline and delivered at next login.
#include "client_steps.hpp"
#include "scripted_component.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <functional>
#include <map>
#include <string>

namespace starling::scenarios {
namespace {

constexpr const char* app_server = "push.example.test";
constexpr const char* app_secret = "app-server-secret";
constexpr const char* ns_component = "jabber:component:accept";
constexpr const char* ns_push = "urn:xmpp:push:0";
constexpr const char* ns_pubsub = "http://jabber.org/protocol/pubsub";
constexpr const char* ns_data = "jabber:x:data";
constexpr const char* with_push = "[disco, ping, offline, push]";
constexpr const char* publish_options_form =
    "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
    "http://jabber.org/protocol/pubsub#publish-options</value></field><field var='secret'>"
    "<value>device-token-1</value></field></x>";

std::uint16_t start_push_server(server_fixture& server) {
    server.modules = with_push;
    server.write_config();
    const auto port = add_component_listener(server, app_server, app_secret);
    start_with_accounts(server);
    return port;
}

void require_result(strophe_client& client, const std::string& iq, const std::string& id) {
    auto reply = client.request(iq, id);
    require(stanza_attribute(reply.get(), "type") == "result",
            "expected a result for " + id + ", got " + stanza_text(reply.get()));
}

void enable(strophe_client& client, const std::string& node, const std::string& form = "") {
    require_result(client,
                   "<iq type='set' id='en-" + node + "'><enable xmlns='urn:xmpp:push:0' jid='" +
                       app_server + "' node='" + node + "'>" + form + "</enable></iq>",
                   "en-" + node);
}

// Bob's phone session, which `enable_push` may use, ends before this returns: from then on he
// has no online resource.
void as_bob_briefly(server_fixture& server,
                    const std::function<void(strophe_client&)>& enable_push) {
    const auto mark = server.log_mark();
    {
        strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
        b.login();
        enable_push(b);
    }
    server.wait_for_log(std::string(bob.jid) + "/phone logged out", mark);
}

// Bob enables push from one session, which then ends: from now on he has no online resource.
void bob_enables_and_leaves(server_fixture& server, const std::vector<std::string>& nodes) {
    as_bob_briefly(server, [&nodes](strophe_client& b) {
        for (const auto& node : nodes)
            enable(b, node, node == nodes.front() ? publish_options_form : "");
    });
}

void send_chat(strophe_client& from, const std::string& id, const std::string& body) {
    from.send("<message type='chat' to='" + std::string(bob.jid) + "' id='" + id + "'><body>" +
              body + "</body></message>");
    settle(from);
}

std::map<std::string, std::string> form_fields(const xml_element& form) {
    std::map<std::string, std::string> fields;
    for (const auto& field : form.children) {
        const auto* value = field.child("value", ns_data);
        fields[field.attribute("var")] = value ? value->text : "";
    }
    return fields;
}

// The next element at the app server must be one publish to `node` for Bob; returns it.
xml_element expect_publish(scripted_component& component, const std::string& node,
                           const std::string& count, const std::string& sender) {
    auto iq = component.expect("iq");
    const std::string text = iq.to_string();
    require(iq.attribute("type") == "set" && iq.attribute("to") == app_server &&
                iq.attribute("from") == bob.jid && !iq.attribute("id").empty(),
            "wrong publish addressing: " + text);
    const auto* publish = iq.child("pubsub", ns_pubsub)
                              ? iq.child("pubsub", ns_pubsub)->child("publish", ns_pubsub)
                              : nullptr;
    require(publish && publish->attribute("node") == node,
            "expected a publish to " + node + ": " + text);
    const auto* item = publish->child("item", ns_pubsub);
    const auto* notification = item ? item->child("notification", ns_push) : nullptr;
    const auto* form = notification ? notification->child("x", ns_data) : nullptr;
    require(form != nullptr, "no summary form in the notification: " + text);
    const auto fields = form_fields(*form);
    const std::map<std::string, std::string> expected{
        {"FORM_TYPE", "urn:xmpp:push:summary"},
        {"message-count", count},
        {"last-message-sender", sender},
    };
    require(fields == expected, "the summary form is not exactly FORM_TYPE, message-count " +
                                    count + " and last-message-sender " + sender + ": " + text);
    // Nothing of the message: no body element or field anywhere, no word of it.
    require(text.find("body") == std::string::npos, "the publish carries a body: " + text);
    require(text.find("plaintext") == std::string::npos, "the publish carries the text: " + text);
    return iq;
}

void answer(scripted_component& component, const xml_element& iq, const std::string& error = "") {
    std::string reply = "<iq from='" + std::string(app_server) + "' to='" + iq.attribute("from") +
                        "' id='" + iq.attribute("id") + "' type='" +
                        (error.empty() ? "result" : "error") + "'>";
    if (!error.empty()) reply += error;
    component.send(reply + "</iq>");
}

// Bob logs in, comes online and gets exactly the stored messages, bodies intact; his session
// ends before this returns.
void bob_gets_stored(server_fixture& server,
                     const std::vector<std::pair<std::string, std::string>>& messages) {
    as_bob_briefly(server, [&messages](strophe_client& b) {
        b.send("<presence/>");
        for (const auto& [id, body] : messages) {
            auto message = b.wait_for(stanza_named("message", id), "stored message " + id);
            auto* element = stanza_child(message.get(), "body", ns::client);
            require(element && stanza_content(element) == body,
                    "stored message " + id + " changed: " + stanza_text(message.get()));
        }
    });
}

}  // namespace

STARLING_SCENARIO(push_publishes_summary_without_content) {
    server_fixture server(options);
    const auto port = start_push_server(server);
    scripted_component component(port);
    component.connect(app_server, app_secret);

    as_bob_briefly(server, [](strophe_client& b) {
        // XEP-0357 §4.1: the feature is on the account.
        auto info = b.request("<iq type='get' to='" + std::string(bob.jid) +
                                  "' id='disco'><query xmlns='" + ns::disco_info + "'/></iq>",
                              "disco");
        require(stanza_text(info.get()).find("var=\"urn:xmpp:push:0\"") != std::string::npos,
                "urn:xmpp:push:0 is not on the account: " + stanza_text(info.get()));
        enable(b, "bob-node-1", publish_options_form);
    });

    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, "p-1", "first plaintext words");
    auto publish = expect_publish(component, "bob-node-1", "1", a.bound_jid());
    // The enable's form comes back as publish options, exactly.
    const auto* options_element =
        publish.child("pubsub", ns_pubsub)->child("publish-options", ns_pubsub);
    const auto* options_form = options_element ? options_element->child("x", ns_data) : nullptr;
    require(
        options_form && form_fields(*options_form) ==
                            std::map<std::string, std::string>{
                                {"FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options"},
                                {"secret", "device-token-1"}},
        "publish-options are not the enable's form: " + publish.to_string());
    answer(component, publish);
    component.expect_nothing(std::chrono::milliseconds(500),
                             "more than one publish for one message");

    send_chat(a, "p-2", "second plaintext words");
    answer(component, expect_publish(component, "bob-node-1", "2", a.bound_jid()));
    component.expect_nothing(std::chrono::milliseconds(300),
                             "more than one publish for one message");

    // A chat state alone does not wake the device.
    a.send("<message type='chat' to='" + std::string(bob.jid) +
           "' id='p-3'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    settle(a);
    component.expect_nothing(std::chrono::milliseconds(500), "a chat state was pushed");

    bob_gets_stored(server, {{"p-1", "first plaintext words"}, {"p-2", "second plaintext words"}});
    // Online again, the count starts over once he is away again.
    send_chat(a, "p-4", "after plaintext");
    answer(component, expect_publish(component, "bob-node-1", "1", a.bound_jid()));
}

STARLING_SCENARIO(push_disable_stops_publishes) {
    server_fixture server(options);
    const auto port = start_push_server(server);
    scripted_component component(port);
    component.connect(app_server, app_secret);
    bob_enables_and_leaves(server, {"node-a", "node-b"});

    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    send_chat(a, "d-1", "to both plaintext");
    // One publish per registration, in whichever order.
    std::map<std::string, int> nodes;
    for (int i = 0; i < 2; ++i) {
        auto iq = component.expect("iq");
        const std::string node =
            iq.child("pubsub", ns_pubsub)->child("publish", ns_pubsub)->attribute("node");
        ++nodes[node];
        answer(component, iq);
    }
    require(nodes == std::map<std::string, int>{{"node-a", 1}, {"node-b", 1}},
            "expected one publish to each node");
    component.expect_nothing(std::chrono::milliseconds(300), "a third publish");

    as_bob_briefly(server, [](strophe_client& b) {
        require_result(b,
                       "<iq type='set' id='dis-b'><disable xmlns='urn:xmpp:push:0' jid='" +
                           std::string(app_server) + "' node='node-b'/></iq>",
                       "dis-b");
    });
    send_chat(a, "d-2", "to a only plaintext");
    answer(component, expect_publish(component, "node-a", "2", a.bound_jid()));
    component.expect_nothing(std::chrono::milliseconds(500), "a publish to the disabled node");

    as_bob_briefly(server, [](strophe_client& b) {
        // No node: every registration with that app server.
        require_result(b,
                       "<iq type='set' id='dis-all'><disable xmlns='urn:xmpp:push:0' jid='" +
                           std::string(app_server) + "'/></iq>",
                       "dis-all");
    });
    send_chat(a, "d-3", "to nobody plaintext");
    component.expect_nothing(std::chrono::milliseconds(800), "a publish after disable");
    bob_gets_stored(server, {{"d-1", "to both plaintext"},
                             {"d-2", "to a only plaintext"},
                             {"d-3", "to nobody plaintext"}});
}

STARLING_SCENARIO(push_app_server_error_disables_registration) {
    server_fixture server(options);
    const auto port = start_push_server(server);
    scripted_component component(port);
    component.connect(app_server, app_secret);
    bob_enables_and_leaves(server, {"node-e"});

    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    // A transient error (wait) keeps the registration.
    send_chat(a, "e-1", "one plaintext");
    answer(component, expect_publish(component, "node-e", "1", a.bound_jid()),
           "<error type='wait'><resource-constraint "
           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
    // A refusal (cancel, the node is gone) disables it. The next message is sent once the
    // server has taken the refusal in: the error and the message come on different streams,
    // and one sent before could be pushed before the refusal arrived.
    send_chat(a, "e-2", "two plaintext");
    const auto mark = server.log_mark();
    answer(component, expect_publish(component, "node-e", "2", a.bound_jid()),
           "<error type='cancel'><item-not-found "
           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
    server.wait_for_log("push to push.example.test node node-e for b@example.test refused with "
                        "<item-not-found/>: registration disabled",
                        mark);
    send_chat(a, "e-3", "three plaintext");
    component.expect_nothing(std::chrono::milliseconds(800),
                             "a publish after the app server refused");
    bob_gets_stored(
        server, {{"e-1", "one plaintext"}, {"e-2", "two plaintext"}, {"e-3", "three plaintext"}});
}

STARLING_SCENARIO(push_enable_refusals) {
    server_fixture server(options);
    start_push_server(server);
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    b.login();
    struct Case {
        std::string payload;
        std::string to;
        std::string condition;
    };
    const Case cases[] = {
        {"<enable xmlns='urn:xmpp:push:0' node='n'/>", "", "bad-request"},
        {"<enable xmlns='urn:xmpp:push:0' jid='push.example.test'/>", "", "bad-request"},
        {"<enable xmlns='urn:xmpp:push:0' jid='@@' node='n'/>", "", "jid-malformed"},
        {"<enable xmlns='urn:xmpp:push:0' jid='push.example.test' node='n'><x "
         "xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other</value>"
         "</field></x></enable>",
         "", "bad-request"},
        {"<disable xmlns='urn:xmpp:push:0'/>", "", "bad-request"},
        // Another user's push settings are not Bob's to change.
        {"<enable xmlns='urn:xmpp:push:0' jid='push.example.test' node='n'/>", alice.jid,
         "forbidden"},
    };
    int n = 0;
    for (const auto& c : cases) {
        const std::string id = "bad-" + std::to_string(++n);
        auto reply =
            b.request("<iq type='set' id='" + id + "'" +
                          (c.to.empty() ? "" : " to='" + c.to + "'") + ">" + c.payload + "</iq>",
                      id);
        require(stanza_attribute(reply.get(), "type") == "error" &&
                    stanza_error_condition(reply.get()) == c.condition,
                c.payload + " should get " + c.condition + ", got " + stanza_text(reply.get()));
    }
}

STARLING_SCENARIO(push_kept_while_app_server_is_down) {
    server_fixture server(options);
    const auto port = start_push_server(server);
    bob_enables_and_leaves(server, {"node-k"});
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    // The app server is not connected: the server's own publish bounces with
    // <service-unavailable/>, which says nothing about the node, so the registration stays.
    const auto mark = server.log_mark();
    send_chat(a, "k-1", "while down plaintext");
    server.wait_for_log(
        "push to push.example.test node node-k for b@example.test failed "
        "with <service-unavailable/>; kept",
        mark);
    scripted_component component(port);
    component.connect(app_server, app_secret);
    send_chat(a, "k-2", "while up plaintext");
    answer(component, expect_publish(component, "node-k", "2", a.bound_jid()));
    bob_gets_stored(server, {{"k-1", "while down plaintext"}, {"k-2", "while up plaintext"}});
}

// XEP-0357 §3 with XEP-0198: a session whose connection was lost waits to be resumed, and a
// message queued for it wakes the device; once resumed, the client gets the message itself.
STARLING_SCENARIO(push_wakes_a_hibernated_session) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, smacks, push]";
    server.write_config();
    const auto port = add_component_listener(server, app_server, app_secret);
    start_with_accounts(server);
    scripted_component component(port);
    component.connect(app_server, app_secret);

    auto b = std::make_unique<sm_client>(server.c2s_port());
    b->login(bob, "phone");
    b->stream().send(std::string("<iq type='set' id='en'><enable xmlns='urn:xmpp:push:0' jid='") +
                     app_server + "' node='bob-sm-node'/></iq>");
    auto enabled = b->next_stanza("the enable result");
    require(enabled.attribute("id") == "en" && enabled.attribute("type") == "result",
            "push enable failed: " + enabled.to_string());
    const std::string previd = b->enable().attribute("id");
    const std::string full = b->jid();
    // Online: a message goes to the session and wakes nobody.
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    a.send("<message type='chat' to='" + full + "' id='live'><body>live words</body></message>");
    settle(a);
    require(body_of(b->next_stanza("the live message")) == "live words",
            "the live message did not arrive");
    component.expect_nothing(std::chrono::milliseconds(300), "a push for an online session");

    const auto mark = server.log_mark();
    b->cut();
    // The server sees the connection go (EOF) and hibernates the session; a message for it then
    // waits in its queue and is pushed, as a summary with no content.
    server.wait_for_log(full + " hibernated", mark);
    a.send("<message type='chat' to='" + full +
           "' id='asleep'><body>plaintext while asleep</body></message>");
    settle(a);
    answer(component, expect_publish(component, "bob-sm-node", "1", a.bound_jid()));
    component.expect_nothing(std::chrono::milliseconds(300), "more than one publish");

    sm_client b2(server.c2s_port());
    b2.login(bob, "phone", false);
    b2.stream().send("<resume xmlns='urn:xmpp:sm:3' previd='" + previd + "' h='1'/>");
    auto resumed = b2.next_nonza();
    require(resumed.name == "resumed", "expected <resumed/>, got " + resumed.to_string());
    auto message = b2.next_stanza("the message queued while asleep");
    require(message.attribute("id") == "asleep" && body_of(message) == "plaintext while asleep",
            "expected the queued message after resuming, got " + message.to_string());
}

}  // namespace starling::scenarios
