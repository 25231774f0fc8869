// mod_presence (RFC 6121 §3, §4): the subscription handshake with the exact presence and roster
// pushes each side sees, pre-approval, cancelling, pending requests across a restart, broadcast
// and probes at login and logout, directed presence, and a connection that just drops.
#include "presence_checks.hpp"
#include "raw_session.hpp"
#include "test_accounts.hpp"

#include <memory>

namespace starling::scenarios {
namespace {

const std::string a_bare = alice.jid;
const std::string b_bare = bob.jid;
const std::string a_desk = a_bare + "/desk";
const std::string b_phone = b_bare + "/phone";
const std::string im_modules = "[disco, ping, roster, presence]";

}  // namespace

STARLING_SCENARIO(presence_subscription_handshake_and_unsubscribe) {
    server_fixture server(options);
    server.modules = im_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);

    a.send("<presence to='b@example.test' type='subscribe'><status>hi</status></presence>");
    require_stanza(
        a.wait_for(is_roster_push, "push on subscribe").get(),
        push_to(a_desk, 1, "<item ask='subscribe' jid='b@example.test' subscription='none'/>"),
        "a's roster push for its request");
    require_stanza(b.wait_for(presence_from(a_bare, "subscribe"), "the request").get(),
                   "<presence from='a@example.test' to='b@example.test' type='subscribe'>"
                   "<status>hi</status></presence>",
                   "b sees the request from a's bare JID");
    require_nothing(b, is_roster_push, "b got a push for a request it has not answered");

    b.send("<presence to='a@example.test' type='subscribed'/>");
    require_stanza(b.wait_for(is_roster_push, "push on approval").get(),
                   push_to(b_phone, 2, "<item jid='a@example.test' subscription='from'/>"),
                   "b's roster push for its approval (the stored request was version 1)");
    require_stanza(a.wait_for(presence_from(b_bare, "subscribed"), "the approval").get(),
                   "<presence from='b@example.test' to='a@example.test' type='subscribed'/>",
                   "a sees the approval");
    require_stanza(a.wait_for(is_roster_push, "push on approval").get(),
                   push_to(a_desk, 2, "<item jid='b@example.test' subscription='to'/>"),
                   "a's roster push for the approval");
    require_stanza(a.wait_for(presence_from(b_phone), "b's presence").get(),
                   "<presence from='b@example.test/phone' to='a@example.test'/>",
                   "a gets b's current presence once subscribed");

    b.send("<presence><show>away</show></presence>");
    require_stanza(a.wait_for(presence_from(b_phone), "b's new presence").get(),
                   "<presence from='b@example.test/phone' to='a@example.test'>"
                   "<show>away</show></presence>",
                   "b's broadcast reaches its subscriber");
    a.send("<presence><show>dnd</show></presence>");
    require_nothing(b, presence_from(a_desk), "b is not subscribed to a but got its presence");

    a.send("<presence to='b@example.test' type='unsubscribe'/>");
    require_stanza(a.wait_for(is_roster_push, "push on unsubscribe").get(),
                   push_to(a_desk, 3, "<item jid='b@example.test' subscription='none'/>"),
                   "a's push for unsubscribe");
    require_stanza(b.wait_for(presence_from(a_bare, "unsubscribe"), "the unsubscribe").get(),
                   "<presence from='a@example.test' to='b@example.test' type='unsubscribe'/>",
                   "b sees the unsubscribe");
    require_stanza(b.wait_for(is_roster_push, "push on unsubscribe").get(),
                   push_to(b_phone, 3, "<item jid='a@example.test' subscription='none'/>"),
                   "b's push for a's unsubscribe");
    require_stanza(a.wait_for(presence_from(b_phone, "unavailable"), "b's unavailable").get(),
                   "<presence from='b@example.test/phone' to='a@example.test' "
                   "type='unavailable'/>",
                   "a no longer sees b");
}

STARLING_SCENARIO(presence_preapproval_and_unsubscribed) {
    server_fixture server(options);
    server.modules = im_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);

    b.send("<presence to='a@example.test' type='subscribed'/>");
    require_stanza(
        b.wait_for(is_roster_push, "push on pre-approval").get(),
        push_to(b_phone, 1, "<item approved='true' jid='a@example.test' subscription='none'/>"),
        "b's push for its pre-approval");
    require_nothing(a, presence_from(b_bare, "subscribed"), "a pre-approval was sent to a");

    a.send("<presence to='b@example.test' type='subscribe'/>");
    require_stanza(b.wait_for(is_roster_push, "push on the pre-approved request").get(),
                   push_to(b_phone, 2, "<item jid='a@example.test' subscription='from'/>"),
                   "b's push when the pre-approval is used");
    require_stanza(a.wait_for(presence_from(b_bare, "subscribed"), "the automatic approval").get(),
                   "<presence from='b@example.test' to='a@example.test' type='subscribed'/>",
                   "a is approved at once");
    a.wait_for(is_roster_push, "a's push for its request");
    require_stanza(a.wait_for(is_roster_push, "a's push for the approval").get(),
                   push_to(a_desk, 2, "<item jid='b@example.test' subscription='to'/>"),
                   "a's push for the approval");
    a.wait_for(presence_from(b_phone), "b's presence");
    require_nothing(b, presence_from(a_bare, "subscribe"), "b was asked despite pre-approving");

    b.send("<presence to='a@example.test' type='unsubscribed'/>");
    require_stanza(b.wait_for(is_roster_push, "push on cancel").get(),
                   push_to(b_phone, 3, "<item jid='a@example.test' subscription='none'/>"),
                   "b's push for cancelling");
    require_stanza(a.wait_for(presence_from(b_bare, "unsubscribed"), "the cancel").get(),
                   "<presence from='b@example.test' to='a@example.test' type='unsubscribed'/>",
                   "a learns its subscription was cancelled");
    require_stanza(a.wait_for(is_roster_push, "push on cancel").get(),
                   push_to(a_desk, 3, "<item jid='b@example.test' subscription='none'/>"),
                   "a's push for the cancel");
    require_stanza(a.wait_for(presence_from(b_phone, "unavailable"), "b's unavailable").get(),
                   "<presence from='b@example.test/phone' to='a@example.test' "
                   "type='unavailable'/>",
                   "a no longer sees b");
}

STARLING_SCENARIO(presence_pending_request_survives_restart) {
    server_fixture server(options);
    server.modules = im_modules;
    server.write_config();
    start_with_accounts(server);
    {
        strophe_client a(a_desk, alice.password, server.c2s_port());
        a.login();
        go_online(a);
        a.send(
            "<presence to='b@example.test' type='subscribe'><status>please</status>"
            "</presence>");
        a.wait_for(is_roster_push, "a's push for its request");
    }
    server.stop();
    server.start();
    strophe_client b(b_phone, bob.password, server.c2s_port());
    b.login();
    require_stanza(
        b.request("<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>", "r").get(),
        "<iq to='b@example.test/phone' type='result'>"
        "<query xmlns='jabber:iq:roster'/></iq>",
        "a pending request is not a roster item");
    b.send("<presence/>");
    require_stanza(b.wait_for(presence_from(a_bare, "subscribe"), "the stored request").get(),
                   "<presence from='a@example.test' to='b@example.test' type='subscribe'>"
                   "<status>please</status></presence>",
                   "the request is sent again at login");
    b.send("<presence to='a@example.test' type='subscribed'/>");
    require_stanza(b.wait_for(is_roster_push, "push on approval").get(),
                   push_to(b_phone, 2, "<item jid='a@example.test' subscription='from'/>"),
                   "b's push for approving the stored request");
    strophe_client a(a_desk, alice.password, server.c2s_port());
    a.login();
    require_stanza(
        a.request("<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>", "r").get(),
        "<iq to='a@example.test/desk' type='result'><query xmlns='jabber:iq:roster'>"
        "<item jid='b@example.test' subscription='to'/></query></iq>",
        "a's subscription is in place after the restart");
}

STARLING_SCENARIO(presence_broadcast_probes_and_dropped_connection) {
    server_fixture server(options);
    server.modules = im_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client b(b_phone, bob.password, server.c2s_port());
    b.login();
    go_online(b);
    {
        strophe_client a(a_desk, alice.password, server.c2s_port());
        a.login();
        go_online(a);
        subscribe(a, a_bare, b, b_bare);
        subscribe(b, b_bare, a, a_bare);
        b.wait_for(presence_from(a_desk), "a's presence once subscribed");
        a.send("<presence type='unavailable'><status>bye</status></presence>");
        require_stanza(b.wait_for(presence_from(a_desk, "unavailable"), "a's logout").get(),
                       "<presence from='a@example.test/desk' to='b@example.test' "
                       "type='unavailable'><status>bye</status></presence>",
                       "b sees a log out");
    }
    const std::string a_laptop = a_bare + "/laptop";
    strophe_client laptop(a_laptop, alice.password, server.c2s_port());
    laptop.login();
    go_online(laptop);
    require_stanza(b.wait_for(presence_from(a_laptop), "a's login").get(),
                   "<presence from='a@example.test/laptop' to='b@example.test'/>",
                   "b sees a log in");
    require_stanza(laptop.wait_for(presence_from(b_phone), "the probe's answer").get(),
                   "<presence from='b@example.test/phone' to='a@example.test'/>",
                   "a learns b's presence by probing at login");

    auto raw = std::make_unique<raw_session>(server.c2s_port());
    raw->login("SCRAM-SHA-256", alice.localpart, alice.password, "raw");
    raw->stream().send("<presence/>");
    b.wait_for(presence_from(a_bare + "/raw"), "the raw session's presence");
    require_stanza(laptop.wait_for(presence_from(a_bare + "/raw"), "own other resource").get(),
                   "<presence from='a@example.test/raw' to='a@example.test/laptop'/>",
                   "a's other resource sees the new one");
    raw.reset();  // the socket closes without </stream:stream>
    require_stanza(b.wait_for(presence_from(a_bare + "/raw", "unavailable"), "the drop").get(),
                   "<presence from='a@example.test/raw' to='b@example.test' type='unavailable'/>",
                   "a dropped connection is announced as unavailable");
    require_stanza(
        laptop.wait_for(presence_from(a_bare + "/raw", "unavailable"), "the drop").get(),
        "<presence from='a@example.test/raw' to='a@example.test/laptop' type='unavailable'/>",
        "a's other resource sees the drop");
}

STARLING_SCENARIO(presence_directed_and_its_unavailable_at_logout) {
    server_fixture server(options);
    server.modules = im_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client b(b_phone, bob.password, server.c2s_port());
    b.login();
    go_online(b);
    {
        strophe_client a(a_desk, alice.password, server.c2s_port());
        a.login();
        go_online(a);
        a.send("<presence to='b@example.test/phone'><show>chat</show></presence>");
        require_stanza(b.wait_for(presence_from(a_desk), "directed presence").get(),
                       "<presence from='a@example.test/desk' to='b@example.test/phone'>"
                       "<show>chat</show></presence>",
                       "directed presence arrives");
    }  // a ends its stream without unavailable presence
    require_stanza(
        b.wait_for(presence_from(a_desk, "unavailable"), "the directed unavailable").get(),
        "<presence from='a@example.test/desk' to='b@example.test/phone' "
        "type='unavailable'/>",
        "the recipient of directed presence learns of the logout");
}

}  // namespace starling::scenarios

namespace starling::scenarios {

// With no server-to-server streams yet, a subscription to another domain still changes the
// user's side (RFC 6121 §3.1.2) before it is bounced as undeliverable.
STARLING_SCENARIO(presence_subscription_to_a_remote_domain) {
    server_fixture server(options);
    server.modules = "[disco, ping, roster, presence]";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    a.login();
    go_online(a);
    a.send("<presence to='juliet@capulet.test' type='subscribe'/>");
    require_stanza(
        a.wait_for(is_roster_push, "the push of the request").get(),
        push_to(a_desk, 1, "<item ask='subscribe' jid='juliet@capulet.test' subscription='none'/>"),
        "the user's roster records the pending-out request");
    require_stanza(
        a.wait_for(presence_from("juliet@capulet.test", "error"), "the bounce").get(),
        "<presence from='juliet@capulet.test' to='a@example.test' type='error'><error "
        "code='404' type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
        "</error></presence>",
        "the request to an unreachable domain comes back");
}

}  // namespace starling::scenarios

namespace starling::scenarios {

// Users who ask each other at once and approve at once (clients that approve on their own, as
// converse.js and slixmpp can) change each roster item twice, from two streams, with the
// database in between: neither change may be lost.
STARLING_SCENARIO(presence_mutual_subscriptions_at_once_end_both) {
    server_fixture server(options);
    server.modules = im_modules;
    server.write_config();
    constexpr int pairs = 5;
    for (int i = 0; i < 2 * pairs; ++i)
        server.add_account("u" + std::to_string(i) + "@example.test", "secret-" + std::to_string(i));
    server.start();
    std::vector<std::unique_ptr<strophe_client>> clients;
    for (int i = 0; i < 2 * pairs; ++i) {
        clients.push_back(std::make_unique<strophe_client>("u" + std::to_string(i) + "@example.test",
                                                           "secret-" + std::to_string(i),
                                                           server.c2s_port()));
        clients.back()->login();
        go_online(*clients.back());
    }
    const auto bare = [](int i) { return "u" + std::to_string(i) + "@example.test"; };
    const auto partner = [](int i) { return i ^ 1; };
    for (int i = 0; i < 2 * pairs; ++i)
        clients[i]->send("<presence to='" + bare(partner(i)) + "' type='subscribe'/>");
    for (int i = 0; i < 2 * pairs; ++i)
        clients[i]->wait_for(presence_from(bare(partner(i)), "subscribe"), "the partner's request");
    for (int i = 0; i < 2 * pairs; ++i)
        clients[i]->send("<presence to='" + bare(partner(i)) + "' type='subscribed'/>");
    for (int i = 0; i < 2 * pairs; ++i)
        clients[i]->wait_for(presence_from(clients[partner(i)]->bound_jid()),
                             "the partner's presence once subscribed");
    for (int i = 0; i < 2 * pairs; ++i) {
        auto roster = clients[i]->request(
            "<iq type='get' id='roster2'><query xmlns='jabber:iq:roster'/></iq>", "roster2");
        xmpp_stanza_t* item = xmpp_stanza_get_children(
            stanza_child(roster.get(), "query", "jabber:iq:roster"));
        while (item && stanza_attribute(item, "jid") != bare(partner(i)))
            item = xmpp_stanza_get_next(item);
        require(item && stanza_attribute(item, "subscription") == "both" &&
                    stanza_attribute(item, "ask").empty(),
                bare(i) + " should have " + bare(partner(i)) +
                    " with subscription both and no pending ask: " + stanza_text(roster.get()));
    }
}

}  // namespace starling::scenarios
