// mod_roster (RFC 6121 §2): get, set, remove with pushes to the resources that asked for the
// roster, versioning, the roster size limit (for roster sets and subscriptions), and the stream
// features of versioning and pre-approval.
#include "presence_checks.hpp"
#include "raw_session.hpp"
#include "test_accounts.hpp"

namespace starling::scenarios {
namespace {

const std::string a_one = std::string(alice.jid) + "/one";
const std::string a_two = std::string(alice.jid) + "/two";

std::string roster_get(const std::string& id, const std::string& ver_attr = "") {
    return "<iq type='get' id='" + id + "'><query xmlns='jabber:iq:roster'" + ver_attr + "/></iq>";
}

std::string roster_set(const std::string& id, const std::string& item) {
    return "<iq type='set' id='" + id + "'><query xmlns='jabber:iq:roster'>" + item +
           "</query></iq>";
}

std::string result_to(const std::string& jid, const std::string& payload = "") {
    if (payload.empty()) return "<iq to='" + jid + "' type='result'/>";
    return "<iq to='" + jid + "' type='result'>" + payload + "</iq>";
}

}  // namespace

STARLING_SCENARIO(roster_get_set_remove_pushes_to_interested_resources) {
    server_fixture server(options);
    server.modules = "[disco, ping, roster]";
    server.write_config();
    start_with_accounts(server);
    strophe_client one(a_one, alice.password, server.c2s_port());
    strophe_client two(a_two, alice.password, server.c2s_port());
    strophe_client three(std::string(alice.jid) + "/three", alice.password, server.c2s_port());
    one.login();
    two.login();
    three.login();
    require_stanza(one.request(roster_get("g1"), "g1").get(),
                   result_to(a_one, "<query xmlns='jabber:iq:roster'/>"), "empty roster");
    require_stanza(two.request(roster_get("g2"), "g2").get(),
                   result_to(a_two, "<query xmlns='jabber:iq:roster'/>"), "empty roster");

    require_stanza(one.request(roster_set("s1",
                                          "<item jid='b@example.test' name='Bob'>"
                                          "<group>Work</group><group>Friends</group></item>"),
                               "s1")
                       .get(),
                   result_to(a_one), "roster set result");
    const std::string added =
        "<item jid='b@example.test' name='Bob' subscription='none'><group>Friends</group>"
        "<group>Work</group></item>";
    require_stanza(one.wait_for(is_roster_push, "push to one").get(), push_to(a_one, 1, added),
                   "push to the resource that set");
    require_stanza(two.wait_for(is_roster_push, "push to two").get(), push_to(a_two, 1, added),
                   "push to the other interested resource");

    require_stanza(two.request(roster_get("g3"), "g3").get(),
                   result_to(a_two, "<query xmlns='jabber:iq:roster'>" + added + "</query>"),
                   "roster after set");

    two.request(roster_set("s2", "<item jid='b@example.test/ignored' name='Robert'/>"), "s2");
    const std::string renamed = "<item jid='b@example.test' name='Robert' subscription='none'/>";
    require_stanza(one.wait_for(is_roster_push, "rename push").get(), push_to(a_one, 2, renamed),
                   "rename pushed with its groups gone");
    require_stanza(two.wait_for(is_roster_push, "rename push").get(), push_to(a_two, 2, renamed),
                   "rename pushed");

    require_stanza(one.request(roster_set("r1",
                                          "<item jid='b@example.test' "
                                          "subscription='remove'/>"),
                               "r1")
                       .get(),
                   result_to(a_one), "remove result");
    const std::string removed = "<item jid='b@example.test' subscription='remove'/>";
    require_stanza(one.wait_for(is_roster_push, "remove push").get(), push_to(a_one, 3, removed),
                   "remove push");
    require_stanza(two.wait_for(is_roster_push, "remove push").get(), push_to(a_two, 3, removed),
                   "remove push");
    auto again =
        one.request(roster_set("r2", "<item jid='b@example.test' subscription='remove'/>"), "r2");
    require(stanza_error_condition(again.get()) == "item-not-found",
            "removing a missing item: " + stanza_text(again.get()));
    auto two_items = one.request(roster_set("bad",
                                            "<item jid='c@example.test'/>"
                                            "<item jid='d@example.test'/>"),
                                 "bad");
    require(stanza_error_condition(two_items.get()) == "bad-request",
            "two items in one set: " + stanza_text(two_items.get()));
    require_nothing(three, is_roster_push, "a resource that never asked for the roster got a push");
}

STARLING_SCENARIO(roster_versioning) {
    server_fixture server(options);
    server.modules = "[disco, ping, roster]";
    server.write_config();
    start_with_accounts(server);
    strophe_client one(a_one, alice.password, server.c2s_port());
    one.login();
    require_stanza(one.request(roster_get("v0", " ver=''"), "v0").get(),
                   result_to(a_one, "<query ver='0' xmlns='jabber:iq:roster'/>"),
                   "first versioned get");
    one.request(roster_set("s1", "<item jid='b@example.test'/>"), "s1");
    one.wait_for(is_roster_push, "push");
    require_stanza(one.request(roster_get("v1", " ver='1'"), "v1").get(), result_to(a_one),
                   "a get with the current version is an empty result");
    require_stanza(one.request(roster_get("v2", " ver='0'"), "v2").get(),
                   result_to(a_one,
                             "<query ver='1' xmlns='jabber:iq:roster'>"
                             "<item jid='b@example.test' subscription='none'/></query>"),
                   "a get with an old version is the whole roster");
}

STARLING_SCENARIO(roster_size_limit) {
    server_fixture server(options);
    server.modules = "[disco, ping, {roster: {max_items: 2}}]";
    server.write_config();
    start_with_accounts(server);
    strophe_client one(a_one, alice.password, server.c2s_port());
    one.login();
    for (const char* contact : {"b@example.test", "c@example.test"}) {
        auto reply =
            one.request(roster_set(contact, std::string("<item jid='") + contact + "'/>"), contact);
        require(stanza_attribute(reply.get(), "type") == "result", stanza_text(reply.get()));
    }
    auto refused = one.request(roster_set("third", "<item jid='d@example.test'/>"), "third");
    require(stanza_error_condition(refused.get()) == "not-allowed",
            "a third item: " + stanza_text(refused.get()));
    // Changing an item already there is not an addition.
    auto renamed =
        one.request(roster_set("rename", "<item jid='c@example.test' name='C'/>"), "rename");
    require(stanza_attribute(renamed.get(), "type") == "result", stanza_text(renamed.get()));
}

}  // namespace starling::scenarios

namespace starling::scenarios {

STARLING_SCENARIO(roster_subscriptions_past_the_size_limit) {
    server_fixture server(options);
    server.modules = "[disco, ping, {roster: {max_items: 1}}, presence]";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_one, alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    auto filled = b.request(roster_set("fill", "<item jid='x@example.test'/>"), "fill");
    require(stanza_attribute(filled.get(), "type") == "result", stanza_text(filled.get()));

    // A request to a full roster comes back to its sender (RFC 6120 §8.3.3.14).
    a.send("<presence to='b@example.test' type='subscribe'/>");
    require_stanza(a.wait_for(presence_from("b@example.test", "error"), "the refusal").get(),
                   "<presence from='b@example.test' to='a@example.test' type='error'>"
                   "<error code='500' type='wait'><resource-constraint "
                   "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                   "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>the roster is full</text>"
                   "</error></presence>",
                   "a subscription request to a contact whose roster is full");
    require_nothing(b, presence_from("a@example.test", "subscribe"),
                    "the request reached a full roster");

    // Sending one that would add an item to the sender's own full roster is refused too.
    a.send("<presence to='c@example.test' type='subscribe'/>");
    require_stanza(a.wait_for(presence_from("c@example.test", "error"), "the refusal").get(),
                   "<presence from='c@example.test' to='a@example.test' type='error'>"
                   "<error code='500' type='wait'><resource-constraint "
                   "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                   "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>the roster is full</text>"
                   "</error></presence>",
                   "a subscription request from a full roster");
    require_stanza(a.request(roster_get("after"), "after").get(),
                   result_to(a_one,
                             "<query xmlns='jabber:iq:roster'><item ask='subscribe' "
                             "jid='b@example.test' subscription='none'/></query>"),
                   "the refused request added nothing to the roster");
}

STARLING_SCENARIO(roster_versioning_and_pre_approval_stream_features) {
    server_fixture server(options);
    server.add_account(alice.jid, alice.password);
    server.modules = "[disco, ping, roster, presence]";
    server.write_config();
    server.start();
    raw_session with_modules(server.c2s_port());
    with_modules.login("SCRAM-SHA-256", alice.localpart, alice.password, "r1");
    const auto& features = with_modules.features();
    require(features.child("ver", "urn:xmpp:features:rosterver") != nullptr &&
                features.child("sub", "urn:xmpp:features:pre-approval") != nullptr &&
                features.child("bind", "urn:ietf:params:xml:ns:xmpp-bind") != nullptr,
            "the features after authentication: " + features.to_string());

    server.modules = "[disco, ping]";
    server.write_config();
    const auto reload = server.ctl({"reload"});
    require(reload.exited_with(0), "reload: " + reload.describe());
    raw_session without(server.c2s_port());
    without.login("SCRAM-SHA-256", alice.localpart, alice.password, "r2");
    require(without.features().child("ver", "urn:xmpp:features:rosterver") == nullptr &&
                without.features().child("sub", "urn:xmpp:features:pre-approval") == nullptr,
            "features of unloaded modules are still offered: " + without.features().to_string());
}

}  // namespace starling::scenarios
