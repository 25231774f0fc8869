// Explicit PEP subscriptions (XEP-0060 §6.1 subscribe, §6.2 unsubscribe, §5.6 and §8.8 the
// subscription lists) on an account's nodes (XEP-0163): who may subscribe under the node's
// access model, notifications to subscribers beside the caps +notify ones (each JID once), the
// limits, removal with the node and with the subscriber's account; and the account features
// Monal requires before it uses PEP and XEP-0402 bookmarks.
#include "pep_steps.hpp"

namespace starling::scenarios {
namespace {

using namespace pep;
const std::string a_bare = alice.jid;
const std::string b_bare = bob.jid;
const std::string a_desk = a_bare + "/desk";
const std::string b_phone = b_bare + "/phone";
const std::string ns_tune = "http://jabber.org/protocol/tune";
const std::string tune = "<tune xmlns='http://jabber.org/protocol/tune'><artist>Yes</artist></tune>";
const std::string tune2 = "<tune xmlns='http://jabber.org/protocol/tune'><artist>Can</artist></tune>";

std::string item(const std::string& id, const std::string& payload) {
    return "<item id='" + id + "'>" + payload + "</item>";
}

std::string pubsub_iq(const std::string& type, const std::string& id, const std::string& to,
                      const std::string& ns, const std::string& inner) {
    return "<iq type='" + type + "' id='" + id + "'" + (to.empty() ? "" : " to='" + to + "'") +
           "><pubsub xmlns='" + ns + "'>" + inner + "</pubsub></iq>";
}

std::string subscribe_iq(const std::string& id, const std::string& node, const std::string& jid) {
    return pubsub_iq("set", id, a_bare, ns_pubsub,
                     "<subscribe node='" + node + "' jid='" + jid + "'/>");
}

std::string unsubscribe_iq(const std::string& id, const std::string& node,
                           const std::string& jid) {
    return pubsub_iq("set", id, a_bare, ns_pubsub,
                     "<unsubscribe node='" + node + "' jid='" + jid + "'/>");
}

std::string subscribed(const std::string& to, const std::string& node, const std::string& jid) {
    return "<iq from='" + a_bare + "' to='" + to + "' type='result'><pubsub xmlns='" + ns_pubsub +
           "'><subscription jid='" + jid + "' node='" + node +
           "' subscription='subscribed'/></pubsub></iq>";
}

std::string event(const std::string& to, const std::string& node, const std::string& items) {
    return "<message from='" + a_bare + "' to='" + to + "' type='headline'><event xmlns='" +
           ns_event + "'><items node='" + node + "'>" + items + "</items></event></message>";
}

std::string owner_list(const std::string& node, const std::string& jids) {
    return "<iq to='" + a_desk + "' type='result'><pubsub xmlns='" + ns_owner +
           "'><subscriptions node='" + node + "'" +
           (jids.empty() ? "/>" : ">" + jids + "</subscriptions>") + "</pubsub></iq>";
}

std::string owner_entry(const std::string& jid) {
    return "<subscription jid='" + jid + "' subscription='subscribed'/>";
}

}  // namespace

STARLING_SCENARIO(pep_subscribe_notify_unsubscribe) {
    server_fixture server(options);
    server.modules = pep_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    subscribe(b, b_bare, a, a_bare);
    publish(a, "p0", ns_tune, "t0", tune);
    // A second resource of bob, online, whose client has no caps at all.
    strophe_client laptop(b_bare + "/laptop", bob.password, server.c2s_port());
    laptop.login();
    go_online(laptop);

    // Bob subscribes his bare JID: the result, then the last item (send_last_published_item
    // on_sub_and_presence) to each of his available resources.
    require_stanza(b.request(subscribe_iq("s1", ns_tune, b_bare), "s1").get(),
                   subscribed(b_phone, ns_tune, b_bare), "the subscription");
    for (auto* client : {&b, &laptop})
        require_stanza(client->wait_for(event_for(ns_tune), "the last item on subscription").get(),
                       event(client->bound_jid(), ns_tune, item("t0", tune)),
                       "the last published item on subscription");
    publish(a, "p1", ns_tune, "t1", tune2);
    for (auto* client : {&b, &laptop}) {
        require_stanza(client->wait_for(event_for(ns_tune), "the notification").get(),
                       event(client->bound_jid(), ns_tune, item("t1", tune2)),
                       "a subscriber's notification");
        require_nothing(*client, event_for(ns_tune), "a second copy of the notification");
    }

    // §5.6: bob's own subscriptions at alice's account; §8.8.1: alice's view of the node.
    require_stanza(b.request(pubsub_iq("get", "l1", a_bare, ns_pubsub, "<subscriptions/>"), "l1")
                       .get(),
                   "<iq from='" + a_bare + "' to='" + b_phone + "' type='result'><pubsub xmlns='" +
                       ns_pubsub + "'><subscriptions><subscription jid='" + b_bare + "' node='" +
                       ns_tune + "' subscription='subscribed'/></subscriptions></pubsub></iq>",
                   "the subscriber's own subscriptions");
    require_stanza(a.request(pubsub_iq("get", "l2", "", ns_owner,
                                       "<subscriptions node='" + ns_tune + "'/>"),
                             "l2")
                       .get(),
                   owner_list(ns_tune, owner_entry(b_bare)), "the owner's list");
    require_stanza(b.request(pubsub_iq("get", "l3", a_bare, ns_owner,
                                       "<subscriptions node='" + ns_tune + "'/>"),
                             "l3")
                       .get(),
                   iq_error(a_bare, b_phone, "auth", "forbidden"),
                   "the owner's list asked by a subscriber");

    // Unsubscribed: no more notifications; a second unsubscribe is not-subscribed (§6.2.3.2).
    require_stanza(b.request(unsubscribe_iq("u1", ns_tune, b_bare), "u1").get(),
                   "<iq from='" + a_bare + "' to='" + b_phone + "' type='result'/>",
                   "the unsubscribe");
    publish(a, "p2", ns_tune, "t2", tune);
    require_nothing(b, event_for(ns_tune), "a notification after unsubscribing");
    require_nothing(laptop, event_for(ns_tune), "a notification after unsubscribing");
    require_stanza(b.request(unsubscribe_iq("u2", ns_tune, b_bare), "u2").get(),
                   iq_error(a_bare, b_phone, "cancel", "unexpected-request", "not-subscribed"),
                   "unsubscribing twice");
    require_stanza(a.request(pubsub_iq("get", "l4", "", ns_owner,
                                       "<subscriptions node='" + ns_tune + "'/>"),
                             "l4")
                       .get(),
                   owner_list(ns_tune, ""), "the owner's list once empty");
}

// A resource that both asks for the node through its caps and is subscribed (by full and by
// bare JID) hears of each publish once.
STARLING_SCENARIO(pep_subscription_and_caps_notify_each_resource_once) {
    server_fixture server(options);
    server.modules = pep_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    subscribe(b, b_bare, a, a_bare);
    b.send("<presence type='unavailable'/>");
    settle(b);
    online_with_caps(b, {"Dino", {"http://jabber.org/protocol/caps", ns_tune + "+notify"}});
    publish(a, "p0", ns_tune, "t0", tune, publish_options({{"pubsub#send_last_published_item",
                                                             "never"}}));
    b.wait_for(event_for(ns_tune), "the caps notification of the first item");
    require_stanza(b.request(subscribe_iq("s1", ns_tune, b_phone), "s1").get(),
                   subscribed(b_phone, ns_tune, b_phone), "the full JID's subscription");
    require_stanza(b.request(subscribe_iq("s2", ns_tune, b_bare), "s2").get(),
                   subscribed(b_phone, ns_tune, b_bare), "the bare JID's subscription");
    require_nothing(b, event_for(ns_tune), "a last item from a node that sends it never");
    publish(a, "p1", ns_tune, "t1", tune2);
    require_stanza(b.wait_for(event_for(ns_tune), "the notification").get(),
                   event(b_phone, ns_tune, item("t1", tune2)), "the one notification");
    require_nothing(b, event_for(ns_tune), "a second copy for the same resource");
    require_stanza(a.request(pubsub_iq("get", "l1", "", ns_owner,
                                       "<subscriptions node='" + ns_tune + "'/>"),
                             "l1")
                       .get(),
                   owner_list(ns_tune, owner_entry(b_bare) + owner_entry(b_phone)),
                   "both subscriptions listed");
}

STARLING_SCENARIO(pep_subscribe_refusals_and_limits) {
    server_fixture server(options);
    server.modules =
        "[disco, ping, roster, presence, offline, {pep: {max_subscriptions_per_node: 2, "
        "max_subscriptions_per_user: 2}}]";
    server.write_config();
    server.add_account("c@example.test", "carol-secret-3");
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    strophe_client c("c@example.test/tablet", "carol-secret-3", server.c2s_port());
    a.login();
    b.login();
    c.login();
    const auto open = publish_options({{"pubsub#access_model", "open"}});
    publish(a, "p1", ns_tune, "t1", tune);
    publish(a, "p2", "urn:example:secret", "s1", tune,
            publish_options({{"pubsub#access_model", "whitelist"}}));
    for (const char* node : {"urn:example:o1", "urn:example:o2", "urn:example:o3"})
        publish(a, std::string("p-") + node, node, "o", tune, open);

    // The access model decides, as for retrieving items (§6.1.3.2, §6.1.3.4).
    require_stanza(b.request(subscribe_iq("r1", ns_tune, b_bare), "r1").get(),
                   iq_error(a_bare, b_phone, "auth", "not-authorized",
                            "presence-subscription-required"),
                   "a stranger and a presence node");
    require_stanza(b.request(subscribe_iq("r2", "urn:example:secret", b_bare), "r2").get(),
                   iq_error(a_bare, b_phone, "cancel", "not-allowed", "closed-node"),
                   "a stranger and a whitelist node");
    // Only oneself, bare or full (§6.1.3.1); a node must exist and be named.
    require_stanza(b.request(subscribe_iq("r3", "urn:example:o1", "c@example.test"), "r3").get(),
                   iq_error(a_bare, b_phone, "modify", "bad-request", "invalid-jid"),
                   "subscribing someone else");
    require_stanza(b.request(subscribe_iq("r4", "urn:example:none", b_bare), "r4").get(),
                   iq_error(a_bare, b_phone, "cancel", "item-not-found"), "a missing node");
    require_stanza(b.request(pubsub_iq("set", "r5", a_bare, ns_pubsub,
                                       "<subscribe jid='" + b_bare + "'/>"),
                             "r5")
                       .get(),
                   iq_error(a_bare, b_phone, "modify", "bad-request", "nodeid-required"),
                   "a subscribe without node");

    // Open nodes: anyone, up to the limits (§6.1.3.9).
    const std::string too_many =
        iq_error(a_bare, b_phone, "wait", "policy-violation", "too-many-subscriptions");
    require_stanza(b.request(subscribe_iq("o1", "urn:example:o1", b_bare), "o1").get(),
                   subscribed(b_phone, "urn:example:o1", b_bare), "a stranger on an open node");
    require_stanza(b.request(subscribe_iq("o1b", "urn:example:o1", b_bare), "o1b").get(),
                   subscribed(b_phone, "urn:example:o1", b_bare), "subscribing again");
    require_stanza(b.request(subscribe_iq("o2", "urn:example:o2", b_phone), "o2").get(),
                   subscribed(b_phone, "urn:example:o2", b_phone), "a second subscription");
    require_stanza(b.request(subscribe_iq("o3", "urn:example:o3", b_bare), "o3").get(),
                   too_many, "a third subscription of one user");
    require_stanza(c.request(subscribe_iq("c1", "urn:example:o1", "c@example.test"), "c1").get(),
                   subscribed("c@example.test/tablet", "urn:example:o1", "c@example.test"),
                   "a node's second subscriber");
    require_stanza(a.request(subscribe_iq("a1", "urn:example:o1", a_bare), "a1").get(),
                   iq_error(a_bare, a_desk, "wait", "policy-violation", "too-many-subscriptions"),
                   "a node's third subscriber");

    // §6.2.3.3: nobody but the subscriber unsubscribes it; the owner removes it (§8.8.2).
    require_stanza(c.request(unsubscribe_iq("u1", "urn:example:o1", b_bare), "u1").get(),
                   iq_error(a_bare, "c@example.test/tablet", "auth", "forbidden"),
                   "unsubscribing someone else");
    require_stanza(
        a.request(pubsub_iq("set", "m1", "", ns_owner,
                            "<subscriptions node='urn:example:o1'><subscription jid='" + b_bare +
                                "' subscription='none'/></subscriptions>"),
                  "m1")
            .get(),
        "<iq to='" + a_desk + "' type='result'/>", "the owner ends a subscription");
    require_stanza(a.request(pubsub_iq("get", "m2", "", ns_owner,
                                       "<subscriptions node='urn:example:o1'/>"),
                             "m2")
                       .get(),
                   owner_list("urn:example:o1", owner_entry("c@example.test")),
                   "what the owner left");
    require_stanza(b.request(subscribe_iq("o3b", "urn:example:o3", b_bare), "o3b").get(),
                   subscribed(b_phone, "urn:example:o3", b_bare),
                   "room for bob again once one of his subscriptions ended");
}

// Deleting the node takes its subscriptions (after the subscribers heard of the delete); the
// subscriber's account going takes the subscriptions it held.
STARLING_SCENARIO(pep_subscriptions_go_with_the_node_and_the_account) {
    server_fixture server(options);
    server.modules = "[disco, ping, roster, presence, offline, pep, register]";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(b);
    const auto options_open = publish_options({{"pubsub#access_model", "open"},
                                               {"pubsub#send_last_published_item", "never"}});
    publish(a, "p1", "urn:example:n", "i1", tune, options_open);
    publish(a, "p2", "urn:example:m", "i1", tune, options_open);
    require_stanza(b.request(subscribe_iq("s1", "urn:example:n", b_bare), "s1").get(),
                   subscribed(b_phone, "urn:example:n", b_bare), "subscribed to n");
    require_stanza(b.request(subscribe_iq("s2", "urn:example:m", b_bare), "s2").get(),
                   subscribed(b_phone, "urn:example:m", b_bare), "subscribed to m");
    require_stanza(a.request(pubsub_iq("set", "d1", "", ns_owner, "<delete node='urn:example:n'/>"),
                             "d1")
                       .get(),
                   "<iq to='" + a_desk + "' type='result'/>", "delete");
    require_stanza(b.wait_for(event_for("urn:example:n"), "the delete").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event +
                       "'><delete node='urn:example:n'/></event></message>",
                   "the subscriber hears of the delete");
    publish(a, "p3", "urn:example:n", "i2", tune, options_open);
    require_nothing(b, event_for("urn:example:n"), "a notification of the node made anew");
    require_stanza(a.request(pubsub_iq("get", "l1", "", ns_owner,
                                       "<subscriptions node='urn:example:n'/>"),
                             "l1")
                       .get(),
                   owner_list("urn:example:n", ""), "no subscription survives the delete");

    require_stanza(b.request("<iq type='set' id='rm'><query xmlns='jabber:iq:register'>"
                             "<remove/></query></iq>",
                             "rm")
                       .get(),
                   "<iq to='" + b_phone + "' type='result'/>", "bob removes his account");
    require_stanza(a.request(pubsub_iq("get", "l2", "", ns_owner,
                                       "<subscriptions node='urn:example:m'/>"),
                             "l2")
                       .get(),
                   owner_list("urn:example:m", ""), "the removed account's subscription is gone");
}

// Monal enables PEP (and XEP-0402 bookmarks) only when the account's own disco#info shows all of
// these (MLIQProcessor, the account's disco#info result).
STARLING_SCENARIO(pep_account_disco_info_has_what_monal_checks) {
    server_fixture server(options);
    server.modules = pep_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    a.login();
    const auto info = canonical_stanza(
        a.request("<iq type='get' id='i1' to='" + a_bare + "'><query xmlns='" +
                      std::string(ns::disco_info) + "'/></iq>",
                  "i1")
            .get());
    std::vector<std::string> needles{"<identity category='pubsub' type='pep'/>"};
    for (const char* feature :
         {"filtered-notifications", "publish-options", "publish", "subscribe", "create-nodes",
          "delete-items", "delete-nodes", "persistent-items", "retrieve-items", "auto-create",
          "item-ids", "multi-items", "retrieve-subscriptions"})
        needles.push_back(std::string("<feature var='http://jabber.org/protocol/pubsub#") +
                          feature + "'/>");
    needles.push_back("<feature var='urn:xmpp:bookmarks:1#compat-pep'/>");
    needles.push_back("<feature var='urn:xmpp:bookmarks:1#compat'/>");
    for (const auto& needle : needles)
        require(info.find(needle) != std::string::npos, "disco#info lacks " + needle + ": " + info);
}

}  // namespace starling::scenarios
