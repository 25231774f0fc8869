// mod_pep (XEP-0163 on XEP-0060): publish with auto-create, retrieval (all, by id, max_items),
// retract, publish-options (XEP-0223) with max_items including 'max' and precondition-not-met,
// the access models against a stranger, a contact and a whitelisted JID, disco of accounts and
// their nodes, notifications through verified XEP-0115 caps (an unverified answer serves only
// the resource that gave it), the last published item at presence, and the owner's configure,
// purge and delete.
#include "pep_steps.hpp"

namespace starling::scenarios {
namespace {

using namespace pep;
const std::string a_bare = alice.jid;
const std::string b_bare = bob.jid;
const std::string a_desk = a_bare + "/desk";
const std::string b_phone = b_bare + "/phone";
const std::string tune =
    "<tune xmlns='http://jabber.org/protocol/tune'><artist>Yes</artist>"
    "<title>Heart of the Sunrise</title></tune>";
const std::string tune2 =
    "<tune xmlns='http://jabber.org/protocol/tune'><artist>Can</artist>"
    "</tune>";
const std::string ns_tune = "http://jabber.org/protocol/tune";

void start_pep(server_fixture& server) {
    server.modules = pep_modules;
    server.write_config();
    start_with_accounts(server);
}

std::string item(const std::string& id, const std::string& payload) {
    return "<item id='" + id + "'>" + payload + "</item>";
}

std::string note(int n) {
    return "<note xmlns='urn:example:note'>" + std::to_string(n) + "</note>";
}

}  // namespace

STARLING_SCENARIO(pep_publish_retrieve_retract) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();

    require(fetch(a, "f0", "", ns_tune) == iq_error("", a_desk, "cancel", "item-not-found"),
            "an unknown node: " + fetch(a, "f0b", "", ns_tune));
    // Auto-creates the node, keeping up to ten items (a PEP node keeps one by default).
    publish(a, "p1", ns_tune, "t1", tune, publish_options({{"pubsub#max_items", "10"}}));
    publish(a, "p2", ns_tune, "t2", tune2);
    // An item without id gets one from the server, returned in the result.
    auto reply = a.request(publish_iq("p3", ns_tune, "", note(3)), "p3");
    xmpp_stanza_t* published =
        stanza_child(stanza_child(reply.get(), "pubsub", ns_pubsub), "publish", ns_pubsub);
    xmpp_stanza_t* generated =
        published ? xmpp_stanza_get_child_by_name(published, "item") : nullptr;
    const std::string new_id = generated ? stanza_attribute(generated, "id") : "";
    require(new_id.size() == 16, "a generated item id: " + stanza_text(reply.get()));

    require(fetch(a, "f1", "", ns_tune) ==
                items_result("", a_desk, ns_tune,
                             item("t1", tune) + item("t2", tune2) + item(new_id, note(3))),
            "all items, oldest first: " + fetch(a, "f1b", "", ns_tune));
    require(fetch(a, "f2", "", ns_tune, "", " max_items='2'") ==
                items_result("", a_desk, ns_tune, item("t2", tune2) + item(new_id, note(3))),
            "the newest two: " + fetch(a, "f2b", "", ns_tune, "", " max_items='2'"));
    require(fetch(a, "f3", "", ns_tune, "<item id='t1'/><item id='nope'/>") ==
                items_result("", a_desk, ns_tune, item("t1", tune)),
            "by id: " + fetch(a, "f3b", "", ns_tune, "<item id='t1'/>"));
    // Republishing an id replaces the item and makes it the newest.
    publish(a, "p4", ns_tune, "t1", note(4));
    require(fetch(a, "f4", "", ns_tune, "", " max_items='1'") ==
                items_result("", a_desk, ns_tune, item("t1", note(4))),
            "the republished item is newest");

    require_stanza(a.request("<iq type='set' id='r1'><pubsub xmlns='" + std::string(ns_pubsub) +
                                 "'><retract node='" + ns_tune +
                                 "' notify='true'><item id='t2'/></retract></pubsub></iq>",
                             "r1")
                       .get(),
                   "<iq to='" + a_desk + "' type='result'/>", "retract");
    require(fetch(a, "f5", "", ns_tune) ==
                items_result("", a_desk, ns_tune, item(new_id, note(3)) + item("t1", note(4))),
            "after the retract: " + fetch(a, "f5b", "", ns_tune));
    require_stanza(
        a.request("<iq type='set' id='r2'><pubsub xmlns='" + std::string(ns_pubsub) +
                      "'><retract node='" + ns_tune + "'><item id='t2'/></retract></pubsub></iq>",
                  "r2")
            .get(),
        iq_error("", a_desk, "cancel", "item-not-found"), "retract of a missing item");

    // Only the owner publishes; an item needs a payload; a node name is required.
    require_stanza(
        b.request("<iq type='set' id='x1' to='" + a_bare + "'><pubsub xmlns='" + ns_pubsub +
                      "'><publish node='n'><item>" + note(1) + "</item></publish></pubsub></iq>",
                  "x1")
            .get(),
        iq_error(a_bare, b_phone, "auth", "forbidden"), "publish to another's node");
    require_stanza(a.request("<iq type='set' id='x2'><pubsub xmlns='" + std::string(ns_pubsub) +
                                 "'><publish node='n'><item id='e'/></publish></pubsub></iq>",
                             "x2")
                       .get(),
                   iq_error("", a_desk, "modify", "bad-request", "payload-required"),
                   "an item without payload");
    require_stanza(a.request("<iq type='set' id='x3'><pubsub xmlns='" + std::string(ns_pubsub) +
                                 "'><publish><item>" + note(1) + "</item></publish></pubsub></iq>",
                             "x3")
                       .get(),
                   iq_error("", a_desk, "modify", "bad-request", "nodeid-required"),
                   "a publish without node");
}

STARLING_SCENARIO(pep_max_items_and_preconditions) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    a.login();
    const auto three = publish_options({{"pubsub#max_items", "3"}});
    const auto all = publish_options({{"pubsub#max_items", "max"}});
    for (int i = 1; i <= 5; ++i)
        publish(a, "p" + std::to_string(i), "urn:example:three", "i" + std::to_string(i), note(i),
                three);
    for (int i = 1; i <= 5; ++i)
        publish(a, "q" + std::to_string(i), "urn:example:all", "i" + std::to_string(i), note(i),
                all);
    require(fetch(a, "f1", "", "urn:example:three") ==
                items_result("", a_desk, "urn:example:three",
                             item("i3", note(3)) + item("i4", note(4)) + item("i5", note(5))),
            "max_items 3 keeps the newest three: " + fetch(a, "f1b", "", "urn:example:three"));
    std::string five;
    for (int i = 1; i <= 5; ++i) five += item("i" + std::to_string(i), note(i));
    require(
        fetch(a, "f2", "", "urn:example:all") == items_result("", a_desk, "urn:example:all", five),
        "max_items max keeps all five");
    // The default node keeps one item.
    publish(a, "d1", "urn:example:one", "a", note(1));
    publish(a, "d2", "urn:example:one", "b", note(2));
    require(fetch(a, "f3", "", "urn:example:one") ==
                items_result("", a_desk, "urn:example:one", item("b", note(2))),
            "a default node keeps one item");

    // XEP-0060 §7.1.5: options that the existing node does not have.
    require_stanza(a.request(publish_iq("c1", "urn:example:three", "i6", note(6),
                                        publish_options({{"pubsub#max_items", "5"}})),
                             "c1")
                       .get(),
                   iq_error("", a_desk, "cancel", "conflict", "precondition-not-met"),
                   "max_items 5 on a node of 3");
    require_stanza(a.request(publish_iq("c2", "urn:example:three", "i6", note(6),
                                        publish_options({{"pubsub#access_model", "open"}})),
                             "c2")
                       .get(),
                   iq_error("", a_desk, "cancel", "conflict", "precondition-not-met"),
                   "access_model open on a presence node");
    // Options it does have are met, whatever the spelling of a boolean.
    publish(a, "c3", "urn:example:three", "i6", note(6),
            publish_options({{"pubsub#max_items", "3"},
                             {"pubsub#persist_items", "1"},
                             {"pubsub#access_model", "presence"}}));
    require_stanza(a.request(publish_iq("c4", "urn:example:new", "i1", note(1),
                                        publish_options({{"pubsub#bogus", "1"}})),
                             "c4")
                       .get(),
                   iq_error("", a_desk, "modify", "bad-request", "invalid-options"),
                   "an unknown field");
    require_stanza(a.request(publish_iq("c5", "urn:example:new", "i1", note(1),
                                        publish_options({{"pubsub#access_model", "roster"}})),
                             "c5")
                       .get(),
                   iq_error("", a_desk, "modify", "bad-request", "invalid-options"),
                   "an access model this server does not offer");
    require(
        fetch(a, "f4", "", "urn:example:new") == iq_error("", a_desk, "cancel", "item-not-found"),
        "a refused publish creates nothing");
    // persist_items false: notified only, never stored.
    publish(a, "n1", "urn:example:volatile", "v", note(1),
            publish_options({{"pubsub#persist_items", "false"}}));
    require(fetch(a, "f5", "", "urn:example:volatile") ==
                items_result("", a_desk, "urn:example:volatile", ""),
            "an unpersisted item is not kept: " + fetch(a, "f5b", "", "urn:example:volatile"));
}

STARLING_SCENARIO(pep_access_models_and_disco) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    const std::string open_node = "eu.siacs.conversations.axolotl.devicelist";
    const std::string list =
        "<list xmlns='eu.siacs.conversations.axolotl'><device id='31415'/></list>";
    publish(a, "p1", open_node, "current", list,
            publish_options({{"pubsub#access_model", "open"}}));
    publish(a, "p2", ns_tune, "t1", tune);
    publish(a, "p3", "urn:example:secret", "s1", note(1),
            publish_options({{"pubsub#access_model", "whitelist"}}));

    // A stranger: the open node only.
    require(fetch(b, "f1", a_bare, open_node) ==
                items_result(a_bare, b_phone, open_node, item("current", list)),
            "a stranger fetches the open node: " + fetch(b, "f1b", a_bare, open_node));
    require(fetch(b, "f2", a_bare, ns_tune) == iq_error(a_bare, b_phone, "auth", "not-authorized",
                                                        "presence-subscription-required"),
            "a stranger and a presence node: " + fetch(b, "f2b", a_bare, ns_tune));
    require(fetch(b, "f3", a_bare, "urn:example:secret") ==
                iq_error(a_bare, b_phone, "cancel", "not-allowed", "closed-node"),
            "a stranger and a whitelist node: " + fetch(b, "f3b", a_bare, "urn:example:secret"));
    require(fetch(b, "f4", a_bare, "urn:example:none") ==
                iq_error(a_bare, b_phone, "cancel", "item-not-found"),
            "an unknown node of another account");
    auto items_query = [&](const std::string& id) {
        return "<iq type='get' id='" + id + "' to='" + a_bare +
               "'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>";
    };
    require_stanza(b.request(items_query("di"), "di").get(),
                   "<iq from='" + a_bare + "' to='" + b_phone +
                       "' type='result'><query xmlns='http://jabber.org/protocol/disco#items'>"
                       "<item jid='" +
                       a_bare + "' node='" + open_node + "'/></query></iq>",
                   "a stranger's disco#items lists the open node only");

    // A contact with a presence subscription from alice: the presence node too.
    go_online(a);
    go_online(b);
    subscribe(b, b_bare, a, a_bare);
    require(
        fetch(b, "f5", a_bare, ns_tune) == items_result(a_bare, b_phone, ns_tune, item("t1", tune)),
        "a subscribed contact fetches the presence node: " + fetch(b, "f5b", a_bare, ns_tune));
    require(fetch(b, "f6", a_bare, "urn:example:secret") ==
                iq_error(a_bare, b_phone, "cancel", "not-allowed", "closed-node"),
            "a contact not on the whitelist");

    // On the whitelist (the 'member' affiliation), the whitelist node too.
    const std::string set = "<iq type='set' id='w1'><pubsub xmlns='" + std::string(ns_owner) +
                            "'><affiliations node='urn:example:secret'><affiliation jid='" +
                            b_bare + "' affiliation='member'/></affiliations></pubsub></iq>";
    require_stanza(a.request(set, "w1").get(), "<iq to='" + a_desk + "' type='result'/>",
                   "whitelisting bob");
    require_stanza(a.request("<iq type='get' id='w2'><pubsub xmlns='" + std::string(ns_owner) +
                                 "'><affiliations node='urn:example:secret'/></pubsub></iq>",
                             "w2")
                       .get(),
                   "<iq to='" + a_desk + "' type='result'><pubsub xmlns='" + ns_owner +
                       "'><affiliations node='urn:example:secret'><affiliation affiliation='owner' "
                       "jid='" +
                       a_bare + "'/><affiliation affiliation='member' jid='" + b_bare +
                       "'/></affiliations></pubsub></iq>",
                   "the affiliations");
    require(fetch(b, "f7", a_bare, "urn:example:secret") ==
                items_result(a_bare, b_phone, "urn:example:secret", item("s1", note(1))),
            "a whitelisted contact: " + fetch(b, "f7b", a_bare, "urn:example:secret"));
    require_stanza(b.request(items_query("di2"), "di2").get(),
                   "<iq from='" + a_bare + "' to='" + b_phone +
                       "' type='result'><query xmlns='http://jabber.org/protocol/disco#items'>"
                       "<item jid='" +
                       a_bare + "' node='" + open_node + "'/><item jid='" + a_bare + "' node='" +
                       ns_tune + "'/><item jid='" + a_bare +
                       "' node='urn:example:secret'/></query></iq>",
                   "disco#items once bob may see every node");

    // disco#info of the account: account/registered, pubsub/pep and the pubsub features.
    const auto info =
        canonical_stanza(b.request("<iq type='get' id='i1' to='" + a_bare + "'><query xmlns='" +
                                       std::string(ns::disco_info) + "'/></iq>",
                                   "i1")
                             .get());
    for (const std::string& needle :
         {std::string("<identity category='account' type='registered'/>"),
          std::string("<identity category='pubsub' type='pep'/>"),
          std::string("<feature var='http://jabber.org/protocol/pubsub#publish-options'/>"),
          std::string("<feature var='http://jabber.org/protocol/pubsub#access-whitelist'/>"),
          std::string("<feature var='http://jabber.org/protocol/pubsub#config-node-max'/>"),
          std::string("<feature var='urn:xmpp:starling:prekeys:0'/>")})
        require(info.find(needle) != std::string::npos, "disco#info lacks " + needle + ": " + info);
    require_stanza(b.request("<iq type='get' id='i2' to='" + a_bare + "'><query xmlns='" +
                                 std::string(ns::disco_info) + "' node='" + ns_tune + "'/></iq>",
                             "i2")
                       .get(),
                   "<iq from='" + a_bare + "' to='" + b_phone + "' type='result'><query node='" +
                       ns_tune + "' xmlns='" + ns::disco_info +
                       "'><identity category='pubsub' type='leaf'/><feature var='" + ns_pubsub +
                       "'/></query></iq>",
                   "disco#info of a node");
}

STARLING_SCENARIO(pep_notify_through_verified_caps) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    subscribe(b, b_bare, a, a_bare);
    publish(a, "p0", ns_tune, "t0", tune2);
    b.send("<presence type='unavailable'/>");
    settle(b);

    caps_profile caps{
        "Conversations",
        {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info",
         "http://jabber.org/protocol/tune+notify", "urn:xmpp:omemo:2:devices+notify"}};
    require(caps.verification() ==
                "client/phone//Conversations<http://jabber.org/protocol/caps<"
                "http://jabber.org/protocol/disco#info<http://jabber.org/protocol/tune+notify<"
                "urn:xmpp:omemo:2:devices+notify<",
            "the verification string");
    online_with_caps(b, caps);
    // XEP-0163 §4.3.4: the last published item, at once.
    require_stanza(b.wait_for(event_for(ns_tune), "the last published item").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><items node='" + ns_tune +
                       "'>" + item("t0", tune2) + "</items></event></message>",
                   "the last item at presence");

    // A second resource whose caps do not hash to their ver (Profanity 0.13 advertises a ver
    // made before it adds its +notify features): its own answer serves it alone...
    strophe_client tablet(b_bare + "/tablet", bob.password, server.c2s_port());
    tablet.login();
    caps_profile stale = caps;
    stale.name = "Stale";
    const std::string wrong_ver = caps.ver().substr(0, 10) + "AAAAAAAAAAAAAAAAAA=";
    online_with_caps(tablet, stale, wrong_ver);
    require_stanza(tablet.wait_for(event_for(ns_tune), "the last item despite a wrong ver").get(),
                   "<message from='" + a_bare + "' to='" + b_bare +
                       "/tablet' type='headline'><event xmlns='" + ns_event + "'><items node='" +
                       ns_tune + "'>" + item("t0", tune2) + "</items></event></message>",
                   "the last item to a resource whose caps hash is wrong");
    // ...and is never cached under that ver: another resource with the same ver is asked for
    // its own features (online_with_caps waits for the question), which here want no tune.
    strophe_client watch(b_bare + "/watch", bob.password, server.c2s_port());
    watch.login();
    online_with_caps(watch,
                     caps_profile{"Watch",
                                  {"http://jabber.org/protocol/caps",
                                   "http://jabber.org/protocol/disco#info"}},
                     wrong_ver);

    // A third resource with the verified caps: served from the cache, never asked again.
    strophe_client laptop(b_bare + "/laptop", bob.password, server.c2s_port());
    laptop.login();
    laptop.send("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" +
                caps.node + "' ver='" + caps.ver() + "'/></presence>");
    require_stanza(laptop.wait_for(event_for(ns_tune), "the last item from cached caps").get(),
                   "<message from='" + a_bare + "' to='" + b_bare +
                       "/laptop' type='headline'><event xmlns='" + ns_event + "'><items node='" +
                       ns_tune + "'>" + item("t0", tune2) + "</items></event></message>",
                   "the last item to a resource whose caps were cached");
    require_nothing(laptop, is_disco_query, "known caps were asked for again");

    publish(a, "p1", ns_tune, "t1", tune);
    require(laptop.wait_for(event_for(ns_tune), "the laptop's notification") != nullptr,
            "the laptop is notified");
    require_stanza(b.wait_for(event_for(ns_tune), "the notification").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><items node='" + ns_tune +
                       "'>" + item("t1", tune) + "</items></event></message>",
                   "the notification of a publish");
    require(tablet.wait_for(event_for(ns_tune), "the tablet's notification") != nullptr,
            "the resource with a wrong caps hash is notified as its own answer asked");
    require_nothing(watch, event_for(ns_tune), "another resource's unverified features were used");
    // A node the caps do not ask for is not notified.
    publish(a, "p2", "urn:example:other", "o1", note(1));
    require_nothing(b, event_for("urn:example:other"), "a node without +notify was notified");

    require_stanza(a.request("<iq type='set' id='r1'><pubsub xmlns='" + std::string(ns_pubsub) +
                                 "'><retract node='" + ns_tune +
                                 "' notify='1'><item id='t1'/></retract></pubsub></iq>",
                             "r1")
                       .get(),
                   "<iq to='" + a_desk + "' type='result'/>", "retract with notify");
    require_stanza(b.wait_for(event_for(ns_tune), "the retraction").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><items node='" + ns_tune +
                       "'><retract id='t1'/></items></event></message>",
                   "the retract notification");
}

STARLING_SCENARIO(pep_configure_purge_delete) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    subscribe(b, b_bare, a, a_bare);
    b.send("<presence type='unavailable'/>");
    settle(b);
    online_with_caps(
        b, {"Dino", {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/tune+notify"}});
    publish(a, "p1", ns_tune, "t1", tune, publish_options({{"pubsub#max_items", "10"}}));
    publish(a, "p2", ns_tune, "t2", tune2);
    b.wait_for(event_for(ns_tune), "t1");
    b.wait_for(event_for(ns_tune), "t2");

    auto get = [&](const std::string& id) {
        return "<iq type='get' id='" + id + "'><pubsub xmlns='" + std::string(ns_owner) +
               "'><configure node='" + ns_tune + "'/></pubsub></iq>";
    };
    auto form = canonical_stanza(a.request(get("c1"), "c1").get());
    for (const std::string& needle :
         {std::string("<field type='hidden' var='FORM_TYPE'><value>"
                      "http://jabber.org/protocol/pubsub#node_config</value></field>"),
          std::string("<field type='text-single' var='pubsub#max_items'><value>10</value></field>"),
          std::string("<field type='boolean' var='pubsub#persist_items'><value>1</value></field>")})
        require(form.find(needle) != std::string::npos, "the form lacks " + needle + ": " + form);
    require(form.find("var='pubsub#access_model'><value>presence</value><option><value>open</value>"
                      "</option><option><value>presence</value></option><option><value>whitelist"
                      "</value></option></field>") != std::string::npos,
            "the access model field: " + form);
    auto submit = [&](const std::string& id, const std::string& var, const std::string& value) {
        return a.request("<iq type='set' id='" + id + "'><pubsub xmlns='" + ns_owner +
                             "'><configure node='" + ns_tune +
                             "'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
                             "type='hidden'><value>http://jabber.org/protocol/pubsub#node_config"
                             "</value></field><field var='" +
                             var + "'><value>" + value +
                             "</value></field></x></configure></pubsub></iq>",
                         id);
    };
    require_stanza(submit("c2", "pubsub#max_items", "1").get(),
                   "<iq to='" + a_desk + "' type='result'/>", "configure max_items 1");
    require(fetch(a, "f1", "", ns_tune) == items_result("", a_desk, ns_tune, item("t2", tune2)),
            "a smaller max_items trims the node");
    require_stanza(submit("c3", "pubsub#access_model", "authorize").get(),
                   iq_error("", a_desk, "modify", "not-acceptable"), "an invalid value");
    require_stanza(submit("c4", "pubsub#access_model", "open").get(),
                   "<iq to='" + a_desk + "' type='result'/>", "configure open");
    form = canonical_stanza(a.request(get("c5"), "c5").get());
    require(form.find("var='pubsub#access_model'><value>open</value>") != std::string::npos,
            "the access model is now open: " + form);
    require_stanza(
        b.request("<iq type='get' id='c6' to='" + a_bare + "'><pubsub xmlns='" +
                      std::string(ns_owner) + "'><configure node='" + ns_tune + "'/></pubsub></iq>",
                  "c6")
            .get(),
        iq_error(a_bare, b_phone, "auth", "forbidden"), "another's configuration");

    require_stanza(a.request("<iq type='set' id='u1'><pubsub xmlns='" + std::string(ns_owner) +
                                 "'><purge node='" + ns_tune + "'/></pubsub></iq>",
                             "u1")
                       .get(),
                   "<iq to='" + a_desk + "' type='result'/>", "purge");
    require_stanza(b.wait_for(event_for(ns_tune), "the purge").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><purge node='" + ns_tune +
                       "'/></event></message>",
                   "the purge notification");
    require(fetch(a, "f2", "", ns_tune) == items_result("", a_desk, ns_tune, ""), "purged");

    require_stanza(a.request("<iq type='set' id='d1'><pubsub xmlns='" + std::string(ns_owner) +
                                 "'><delete node='" + ns_tune + "'/></pubsub></iq>",
                             "d1")
                       .get(),
                   "<iq to='" + a_desk + "' type='result'/>", "delete");
    require_stanza(b.wait_for(event_for(ns_tune), "the delete").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><delete node='" +
                       ns_tune + "'/></event></message>",
                   "the delete notification");
    require(fetch(a, "f3", "", ns_tune) == iq_error("", a_desk, "cancel", "item-not-found"),
            "the node is gone");
    require_stanza(a.request("<iq type='set' id='d2'><pubsub xmlns='" + std::string(ns_owner) +
                                 "'><delete node='" + ns_tune + "'/></pubsub></iq>",
                             "d2")
                       .get(),
                   iq_error("", a_desk, "cancel", "item-not-found"), "delete of a missing node");
}

// XEP-0115: a disco#info of the caps that fails (here an error; a timeout alike) teaches the
// server nothing, and the resource's next presence with the same caps must ask again rather than
// pass as an unchanged presence: else the resource never gets a notification all session.
STARLING_SCENARIO(pep_caps_query_asked_again_after_a_failed_one) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    subscribe(b, b_bare, a, a_bare);
    publish(a, "p0", ns_tune, "t0", tune2);
    b.send("<presence type='unavailable'/>");
    settle(b);

    caps_profile caps{"Conversations",
                      {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info",
                       "http://jabber.org/protocol/tune+notify"}};
    const std::string c = "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" +
                          caps.node + "' ver='" + caps.ver() + "'/>";
    b.send("<presence>" + c + "</presence>");
    auto first = b.wait_for(is_disco_query, "the server's first disco#info of the caps");
    b.send("<iq type='error' to='example.test' id='" + stanza_attribute(first.get(), "id") +
           "'><error type='wait'><resource-constraint xmlns='" + std::string(ns::stanza_errors) +
           "'/></error></iq>");
    settle(b);
    // The same caps again, in a presence update: asked again, and answered this time.
    online_with_caps(b, caps);
    require_stanza(b.wait_for(event_for(ns_tune), "the last published item").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><items node='" + ns_tune +
                       "'>" + item("t0", tune2) + "</items></event></message>",
                   "the last item once the caps are verified");
    publish(a, "p1", ns_tune, "t1", tune);
    require_stanza(b.wait_for(event_for(ns_tune), "the notification").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><items node='" + ns_tune +
                       "'>" + item("t1", tune) + "</items></event></message>",
                   "the notification of a publish");
}

// An account cannot grow its nodes without end: past max_nodes a create, or a publish that would
// auto-create, gets <not-allowed/> with <max-nodes-exceeded/>; publishing to a node it has still
// works, and deleting one makes room again.
STARLING_SCENARIO(pep_max_nodes_per_account) {
    server_fixture server(options);
    server.modules = "[disco, ping, roster, presence, offline, {pep: {max_nodes: 2}}]";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    a.login();
    const std::string refused = iq_error("", a_desk, "cancel", "not-allowed", "max-nodes-exceeded");
    publish(a, "p1", "urn:example:n1", "i1", note(1));
    publish(a, "p2", "urn:example:n2", "i2", note(2));
    require_stanza(a.request(publish_iq("p3", "urn:example:n3", "i3", note(3)), "p3").get(),
                   refused, "a publish that would make a third node");
    auto create = [&a](const std::string& id, const std::string& node) {
        return a.request("<iq type='set' id='" + id + "'><pubsub xmlns='" + std::string(ns_pubsub) +
                             "'><create node='" + node + "'/></pubsub></iq>",
                         id);
    };
    require_stanza(create("c3", "urn:example:n3").get(), refused, "creating a third node");
    publish(a, "p4", "urn:example:n1", "i4", note(4));  // an existing node takes items as before
    require(
        fetch(a, "f3", "", "urn:example:n3") == iq_error("", a_desk, "cancel", "item-not-found"),
        "the refused node was not made");
    require_stanza(a.request("<iq type='set' id='d1'><pubsub xmlns='" + std::string(ns_owner) +
                                 "'><delete node='urn:example:n2'/></pubsub></iq>",
                             "d1")
                       .get(),
                   "<iq to='" + a_desk + "' type='result'/>", "deleting a node");
    require_stanza(create("c4", "urn:example:n3").get(), "<iq to='" + a_desk + "' type='result'/>",
                   "a create once a node was deleted");
}

// XEP-0115: a client sends its caps with every presence; a presence update without them (or
// with legacy caps, which cannot be verified) means the resource asks for no notifications any
// more, and one with them again brings the notifications back.
STARLING_SCENARIO(pep_presence_without_caps_stops_notifications) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    subscribe(b, b_bare, a, a_bare);
    b.send("<presence type='unavailable'/>");
    settle(b);
    caps_profile caps{"Conversations",
                      {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info",
                       "http://jabber.org/protocol/tune+notify"}};
    online_with_caps(b, caps);
    publish(a, "p1", ns_tune, "t1", tune);
    require(b.wait_for(event_for(ns_tune), "the notification with caps") != nullptr,
            "notified while the caps ask for it");

    b.send("<presence><show>away</show></presence>");
    b.wait_for(presence_from(b_phone), "the presence update without caps reflected");
    publish(a, "p2", ns_tune, "t2", tune2);
    require_nothing(b, event_for(ns_tune), "a resource whose presence has no caps was notified");
    b.send("<presence><c xmlns='http://jabber.org/protocol/caps' node='" + caps.node +
           "' ver='1.0'/></presence>");
    b.wait_for(presence_from(b_phone), "the presence update with legacy caps reflected");
    publish(a, "p3", ns_tune, "t3", tune);
    require_nothing(b, event_for(ns_tune), "a resource with legacy caps only was notified");

    // The caps again: known, so the last item comes at once, and notifications with it.
    b.send("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" + caps.node +
           "' ver='" + caps.ver() + "'/></presence>");
    require_stanza(b.wait_for(event_for(ns_tune), "the last item with the caps back").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><items node='" + ns_tune +
                       "'>" + item("t3", tune) + "</items></event></message>",
                   "the last item once the caps are back");
    require_nothing(b, is_disco_query, "known caps were asked for again");
    publish(a, "p4", ns_tune, "t4", tune2);
    require_stanza(b.wait_for(event_for(ns_tune), "the notification with the caps back").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><items node='" + ns_tune +
                       "'>" + item("t4", tune2) + "</items></event></message>",
                   "the notification once the caps are back");
}

}  // namespace starling::scenarios
