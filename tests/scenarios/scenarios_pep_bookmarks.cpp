// XEP-0402 bookmarks kept in step with XEP-0048's (urn:xmpp:bookmarks:1#compat and #compat-pep):
// a room published as a XEP-0402 item reads back through private storage and the XEP-0048 PEP
// node, and a <storage/> set through private storage comes out as XEP-0402 items, with the
// notifications a second resource of the user asks for.
#include "pep_steps.hpp"

#include <set>

namespace starling::scenarios {
namespace {

using namespace pep;
const std::string a_bare = alice.jid;
const std::string a_desk = a_bare + "/desk";
const std::string ns_bookmarks = "urn:xmpp:bookmarks:1";
const std::string bookmark_modules = "[disco, ping, roster, presence, offline, private, pep]";
// What XEP-0402 clients (Conversations, Monal, Gajim) send with every bookmark.
const std::string bookmark_options =
    publish_options({{"pubsub#persist_items", "true"},
                     {"pubsub#max_items", "max"},
                     {"pubsub#send_last_published_item", "never"},
                     {"pubsub#access_model", "whitelist"}});

std::string private_get(strophe_client& client, const std::string& id) {
    return canonical_stanza(client
                                .request("<iq type='get' id='" + id +
                                             "'><query xmlns='jabber:iq:private'><storage "
                                             "xmlns='storage:bookmarks'/></query></iq>",
                                         id)
                                .get());
}

std::string private_result(const std::string& storage_inner) {
    return "<iq to='" + a_desk + "' type='result'><query xmlns='jabber:iq:private'>" +
           (storage_inner.empty() ? "<storage xmlns='storage:bookmarks'/>"
                                  : "<storage xmlns='storage:bookmarks'>" + storage_inner +
                                        "</storage>") +
           "</query></iq>";
}

/// The server brings the other forms in step after it answered: ask until `expected` comes.
void eventually(const std::function<std::string()>& ask, const std::string& expected,
                const std::string& what) {
    std::string got;
    for (int i = 0; i < 50; ++i) {
        got = ask();
        if (got == expected) return;
        run_strophe_for(std::chrono::milliseconds(100));
    }
    require(false, what + ": expected\n  " + expected + "\ngot\n  " + got);
}

caps_profile bookmark_client() {
    return {"Conversations",
            {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info",
             "urn:xmpp:bookmarks:1+notify"}};
}

std::string notification(const std::string& to, const std::string& items) {
    return "<message from='" + a_bare + "' to='" + to + "' type='headline'><event xmlns='" +
           ns_event + "'><items node='" + ns_bookmarks + "'>" + items + "</items></event></message>";
}

}  // namespace

STARLING_SCENARIO(pep_bookmarks2_publish_reads_back_through_private_storage) {
    server_fixture server(options);
    server.modules = bookmark_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    a.login();
    strophe_client phone(a_bare + "/phone", alice.password, server.c2s_port());
    phone.login();
    online_with_caps(phone, bookmark_client());

    const std::string room = "theplay@conference.example.test";
    const std::string conference =
        "<conference autojoin='true' name='The Play' xmlns='urn:xmpp:bookmarks:1'><nick>JC</nick>"
        "</conference>";
    publish(a, "b1", ns_bookmarks, room, conference, bookmark_options);
    // The user's other resource, whose caps ask for the node, hears of the new bookmark.
    require_stanza(phone.wait_for(event_for(ns_bookmarks), "the bookmark notification").get(),
                   notification(phone.bound_jid(),
                                "<item id='" + room + "'>" + conference + "</item>"),
                   "the second resource's notification");

    const std::string legacy = "<conference autojoin='true' jid='" + room +
                               "' name='The Play'><nick>JC</nick></conference>";
    eventually([&] { return private_get(a, "g1"); }, private_result(legacy),
               "the bookmark in private storage");
    eventually([&] { return fetch(a, "g2", "", "storage:bookmarks"); },
               items_result("", a_desk, "storage:bookmarks",
                            "<item id='current'><storage xmlns='storage:bookmarks'>" + legacy +
                                "</storage></item>"),
               "the bookmark on the XEP-0048 PEP node");
    // The options clients send are the node's configuration, so a second bookmark meets them.
    const std::string room2 = "orchard@conference.example.test";
    publish(a, "b2", ns_bookmarks, room2,
            "<conference name='The Orchard' xmlns='urn:xmpp:bookmarks:1'/>", bookmark_options);
    phone.wait_for(event_for(ns_bookmarks), "the second bookmark's notification");

    require_stanza(a.request("<iq type='set' id='r1'><pubsub xmlns='" + std::string(ns_pubsub) +
                                 "'><retract node='" + ns_bookmarks + "' notify='true'><item id='" +
                                 room + "'/></retract></pubsub></iq>",
                             "r1")
                       .get(),
                   "<iq to='" + a_desk + "' type='result'/>", "removing the first bookmark");
    require_stanza(phone.wait_for(event_for(ns_bookmarks), "the retraction").get(),
                   notification(phone.bound_jid(), "<retract id='" + room + "'/>"),
                   "the retract notification");
    eventually([&] { return private_get(a, "g3"); },
               private_result("<conference jid='" + room2 + "' name='The Orchard'/>"),
               "private storage after the retract");
}

STARLING_SCENARIO(pep_bookmarks_private_storage_set_appears_as_bookmarks2) {
    server_fixture server(options);
    server.modules = bookmark_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    a.login();
    strophe_client phone(a_bare + "/phone", alice.password, server.c2s_port());
    phone.login();
    online_with_caps(phone, bookmark_client());

    auto set = [&](const std::string& id, const std::string& inner) {
        require_stanza(a.request("<iq type='set' id='" + id +
                                     "'><query xmlns='jabber:iq:private'><storage "
                                     "xmlns='storage:bookmarks'>" +
                                     inner + "</storage></query></iq>",
                                 id)
                           .get(),
                       "<iq to='" + a_desk + "' type='result'/>", "the private storage set");
    };
    const std::string url = "<url name='Site' url='https://example.test/'/>";
    set("s1",
        "<conference autojoin='1' jid='council@conference.example.test' name='Council'>"
        "<nick>Puck</nick><password>oberon</password></conference>"
        "<conference jid='lobby@conference.example.test' name='Lobby'/>" +
            url);
    const std::string council =
        "<item id='council@conference.example.test'><conference autojoin='true' name='Council' "
        "xmlns='urn:xmpp:bookmarks:1'><nick>Puck</nick><password>oberon</password></conference>"
        "</item>";
    const std::string lobby =
        "<item id='lobby@conference.example.test'><conference name='Lobby' "
        "xmlns='urn:xmpp:bookmarks:1'/></item>";
    std::set<std::string> heard;
    for (int i = 0; i < 2; ++i)
        heard.insert(canonical_stanza(
            phone.wait_for(event_for(ns_bookmarks), "a room's notification").get()));
    require(heard == std::set<std::string>{notification(phone.bound_jid(), council),
                                           notification(phone.bound_jid(), lobby)},
            "one notification per room");
    eventually([&] { return fetch(a, "f1", "", ns_bookmarks); },
               items_result("", a_desk, ns_bookmarks, council + lobby), "the XEP-0402 items");
    // The node has the configuration XEP-0402 clients publish with.
    const auto form = canonical_stanza(
        a.request("<iq type='get' id='c1'><pubsub xmlns='" + std::string(ns_owner) +
                      "'><configure node='" + ns_bookmarks + "'/></pubsub></iq>",
                  "c1")
            .get());
    for (const std::string& needle :
         {std::string("var='pubsub#access_model'><value>whitelist</value>"),
          std::string("var='pubsub#max_items'><value>max</value>"),
          std::string("var='pubsub#send_last_published_item'><value>never</value>"),
          std::string("var='pubsub#persist_items'><value>1</value>")})
        require(form.find(needle) != std::string::npos, "the form lacks " + needle + ": " + form);

    // Changed: the lobby is renamed and the council is gone. Only those two are notified.
    set("s2", "<conference jid='lobby@conference.example.test' name='Hall'/>" + url);
    heard.clear();
    for (int i = 0; i < 2; ++i)
        heard.insert(canonical_stanza(
            phone.wait_for(event_for(ns_bookmarks), "a changed room's notification").get()));
    require(heard ==
                std::set<std::string>{
                    notification(phone.bound_jid(),
                                 "<item id='lobby@conference.example.test'><conference "
                                 "name='Hall' xmlns='urn:xmpp:bookmarks:1'/></item>"),
                    notification(phone.bound_jid(),
                                 "<retract id='council@conference.example.test'/>")},
            "the renamed room published and the removed one retracted");
    set("s3", "<conference jid='lobby@conference.example.test' name='Hall'/>" + url);
    require_nothing(phone, event_for(ns_bookmarks), "a notification for an unchanged room");

    // And back: a XEP-0402 publish keeps the URL that only XEP-0048 can hold.
    publish(a, "p1", ns_bookmarks, "new@conference.example.test",
            "<conference name='New' xmlns='urn:xmpp:bookmarks:1'/>", bookmark_options);
    eventually([&] { return private_get(a, "g1"); },
               private_result("<conference jid='lobby@conference.example.test' name='Hall'/>"
                              "<conference jid='new@conference.example.test' name='New'/>" +
                              url),
               "private storage after a XEP-0402 publish");
}

}  // namespace starling::scenarios
