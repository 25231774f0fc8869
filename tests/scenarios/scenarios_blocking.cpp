// mod_blocking (XEP-0191): the blocklist with its pushes and errors, what a blocked contact's
// messages, iqs and presence get, what the user's own stanzas to it get, presence on block and
// unblock, and a block that holds for offline messages and across a restart.
#include "presence_checks.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <optional>

namespace starling::scenarios {
namespace {

const std::string a_bare = alice.jid;
const std::string b_bare = bob.jid;
const std::string a_desk = a_bare + "/desk";
const std::string a_phone = a_bare + "/phone";
const std::string b_phone = b_bare + "/phone";
const std::string blocking_modules = "[disco, ping, roster, presence, offline, version, blocking]";

void start_blocking_server(server_fixture& server) {
    server.modules = blocking_modules;
    server.write_config();
    start_with_accounts(server);
}

bool is_blocking_push(xmpp_stanza_t* stanza) {
    return stanza_named("iq")(stanza) && stanza_attribute(stanza, "type") == "set" &&
           (stanza_child(stanza, "block", "urn:xmpp:blocking") ||
            stanza_child(stanza, "unblock", "urn:xmpp:blocking"));
}

std::function<bool(xmpp_stanza_t*)> message_from(std::string from) {
    return [from = std::move(from)](xmpp_stanza_t* stanza) {
        return stanza_named("message")(stanza) && stanza_attribute(stanza, "from") == from;
    };
}

std::string fetch_blocklist(strophe_client& client, const std::string& id) {
    return canonical_stanza(
        client
            .request("<iq type='get' id='" + id + "'><blocklist xmlns='urn:xmpp:blocking'/></iq>",
                     id)
            .get());
}

// `command` is block or unblock. The client asks for the list first, so that the push comes to
// it too.
void change_blocklist(strophe_client& client, const std::string& command, const std::string& jid,
                      const std::string& id) {
    fetch_blocklist(client, id + "-list");
    auto reply = client.request("<iq type='set' id='" + id + "'><" + command +
                                    " xmlns='urn:xmpp:blocking'><item jid='" + jid + "'/></" +
                                    command + "></iq>",
                                id);
    require_stanza(reply.get(), "<iq to='" + client.bound_jid() + "' type='result'/>",
                   "the " + command + " of " + jid);
    client.wait_for(is_blocking_push, "the push of the " + command + " of " + jid);
}

void block(strophe_client& client, const std::string& jid, const std::string& id) {
    change_blocklist(client, "block", jid, id);
}

void unblock(strophe_client& client, const std::string& jid, const std::string& id) {
    change_blocklist(client, "unblock", jid, id);
}

std::string stanza_error(const std::string& condition, const std::string& extra = "") {
    return error_open("cancel", condition) + "<" + condition + " xmlns='" + ns::stanza_errors +
           "'/>" + extra + "</error>";
}

}  // namespace

STARLING_SCENARIO(blocking_list_pushes_and_errors) {
    server_fixture server(options);
    start_blocking_server(server);
    strophe_client desk(a_desk, alice.password, server.c2s_port());
    strophe_client phone(a_phone, alice.password, server.c2s_port());
    strophe_client other(a_bare + "/other", alice.password, server.c2s_port());
    desk.login();
    phone.login();
    other.login();

    const auto disco =
        canonical_stanza(desk.request("<iq type='get' to='example.test' id='d1'><query "
                                      "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                                      "d1")
                             .get());
    require(disco.find("<feature var='urn:xmpp:blocking'/>") != std::string::npos,
            "disco#info lacks urn:xmpp:blocking: " + disco);

    require(fetch_blocklist(desk, "l1") ==
                "<iq to='" + a_desk + "' type='result'><blocklist xmlns='urn:xmpp:blocking'/></iq>",
            "an empty blocklist is an empty <blocklist/>");
    fetch_blocklist(phone, "l2");

    auto reply = desk.request(
        "<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'>"
        "<item jid='romeo@montague.test'/><item jid='capulet.test'/></block></iq>",
        "b1");
    require_stanza(reply.get(), "<iq to='" + a_desk + "' type='result'/>", "the block result");
    const std::string pushed_block =
        "<block xmlns='urn:xmpp:blocking'><item jid='capulet.test'/>"
        "<item jid='romeo@montague.test'/></block></iq>";
    require_stanza(desk.wait_for(is_blocking_push, "the push to desk").get(),
                   "<iq to='" + a_desk + "' type='set'>" + pushed_block, "the push to desk");
    require_stanza(phone.wait_for(is_blocking_push, "the push to phone").get(),
                   "<iq to='" + a_phone + "' type='set'>" + pushed_block, "the push to phone");
    require_nothing(other, is_blocking_push,
                    "a resource that never asked for the blocklist got a push");

    require(fetch_blocklist(phone, "l3") ==
                "<iq to='" + a_phone +
                    "' type='result'><blocklist xmlns='urn:xmpp:blocking'>"
                    "<item jid='capulet.test'/><item jid='romeo@montague.test'/></blocklist></iq>",
            "the blocklist after the block: " + fetch_blocklist(phone, "l3b"));

    require_stanza(
        desk.request("<iq type='set' id='e1'><block xmlns='urn:xmpp:blocking'/></iq>", "e1").get(),
        "<iq to='" + a_desk +
            "' type='error'><error code='400' type='modify'><bad-request xmlns='" +
            ns::stanza_errors + "'/><text xmlns='" + ns::stanza_errors +
            "'>a block needs an item</text></error></iq>",
        "a block with no item");
    require_stanza(desk.request("<iq type='set' id='e2'><block xmlns='urn:xmpp:blocking'>"
                                "<item jid='a@b@c'/></block></iq>",
                                "e2")
                       .get(),
                   "<iq to='" + a_desk +
                       "' type='error'><error code='400' type='modify'><jid-malformed "
                       "xmlns='" +
                       std::string(ns::stanza_errors) + "'/></error></iq>",
                   "a block of a malformed JID");
    require_stanza(desk.request("<iq type='get' to='b@example.test' id='e3'>"
                                "<blocklist xmlns='urn:xmpp:blocking'/></iq>",
                                "e3")
                       .get(),
                   "<iq from='b@example.test' to='" + a_desk +
                       "' type='error'><error code='403' "
                       "type='auth'><forbidden xmlns='" +
                       std::string(ns::stanza_errors) + "'/><text xmlns='" + ns::stanza_errors +
                       "'>a blocklist is its owner's only</text></error></iq>",
                   "another user's blocklist");

    unblock(desk, "capulet.test", "u1");
    require_stanza(phone.wait_for(is_blocking_push, "the unblock push to phone").get(),
                   "<iq to='" + a_phone +
                       "' type='set'><unblock xmlns='urn:xmpp:blocking'>"
                       "<item jid='capulet.test'/></unblock></iq>",
                   "the unblock push");
    reply = desk.request("<iq type='set' id='u2'><unblock xmlns='urn:xmpp:blocking'/></iq>", "u2");
    require_stanza(reply.get(), "<iq to='" + a_desk + "' type='result'/>", "unblock all");
    require_stanza(phone.wait_for(is_blocking_push, "the unblock-all push").get(),
                   "<iq to='" + a_phone + "' type='set'><unblock xmlns='urn:xmpp:blocking'/></iq>",
                   "the unblock-all push is an empty <unblock/>");
    require(fetch_blocklist(phone, "l4") == "<iq to='" + a_phone +
                                                "' type='result'><blocklist "
                                                "xmlns='urn:xmpp:blocking'/></iq>",
            "the blocklist after unblock all");
}

STARLING_SCENARIO(blocking_messages_and_iqs_both_ways) {
    server_fixture server(options);
    start_blocking_server(server);
    std::optional<strophe_client> a_session;
    std::optional<strophe_client> b_session;
    auto& a = a_session.emplace(a_desk, alice.password, server.c2s_port());
    auto& b = b_session.emplace(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    block(a, b_bare, "b1");

    // From the blocked contact: the user looks offline (XEP-0191 §3.3).
    b.send("<message to='" + a_desk + "' type='chat' id='m1'><body>hello?</body></message>");
    require_stanza(b.wait_for(message_from(a_desk), "the bounce of b's message").get(),
                   "<message from='" + a_desk + "' to='" + b_phone +
                       "' type='error'><body>hello?</body>" + stanza_error("service-unavailable") +
                       "</message>",
                   "a message from a blocked contact");
    require_stanza(b.request("<iq type='get' to='" + a_desk +
                                 "' id='v1'><query "
                                 "xmlns='jabber:iq:version'/></iq>",
                             "v1")
                       .get(),
                   "<iq from='" + a_desk + "' to='" + b_phone + "' type='error'>" +
                       stanza_error("service-unavailable") + "</iq>",
                   "an iq from a blocked contact");
    require_nothing(a, message_from(b_phone), "a got a message from the contact it blocks");

    // From the user: not routed, and an error that says why.
    a.send("<message to='" + b_bare + "' type='chat' id='m2'><body>go away</body></message>");
    require_stanza(
        a.wait_for(message_from(b_bare), "the error for a's message").get(),
        "<message from='" + b_bare + "' to='" + a_desk + "' type='error'><body>go away</body>" +
            stanza_error("not-acceptable", "<blocked xmlns='urn:xmpp:blocking:errors'/>") +
            "</message>",
        "a message to a blocked contact");
    require_nothing(b, message_from(a_desk), "the blocked contact got the user's message");

    // Offline: nothing from the blocked contact is stored.
    const auto mark = server.log_mark();
    a_session.reset();
    server.wait_for_log(a_desk + " logged out", mark);
    b.send("<message to='" + a_bare + "' type='chat' id='m3'><body>while away</body></message>");
    require_stanza(b.wait_for(message_from(a_bare), "the bounce while a is offline").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='error'><body>while away</body>" +
                       stanza_error("service-unavailable") + "</message>",
                   "a message from a blocked contact to the offline user");

    // The block is stored: it holds after a restart, until it is lifted.
    b_session.reset();
    require(server.stop() == 0, "the server did not stop cleanly");
    server.start();
    strophe_client a2(a_desk, alice.password, server.c2s_port());
    strophe_client b2(b_phone, bob.password, server.c2s_port());
    a2.login();
    b2.login();
    go_online(a2);
    go_online(b2);
    require_nothing(a2, message_from(b_phone), "a blocked offline message was delivered");
    b2.send("<message to='" + a_desk + "' type='chat' id='m4'><body>again</body></message>");
    b2.wait_for(message_from(a_desk), "the bounce after the restart");
    unblock(a2, b_bare, "u1");
    b2.send("<message to='" + a_desk + "' type='chat' id='m5'><body>friends?</body></message>");
    require_stanza(a2.wait_for(message_from(b_phone), "b's message after the unblock").get(),
                   "<message from='" + b_phone + "' to='" + a_desk +
                       "' type='chat'><body>friends?</body></message>",
                   "a message once the block is lifted");
}

STARLING_SCENARIO(blocking_presence_on_block_and_unblock) {
    server_fixture server(options);
    start_blocking_server(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(a);
    go_online(b);
    subscribe(a, a_bare, b, b_bare);
    subscribe(b, b_bare, a, a_bare);
    a.wait_for(presence_from(b_phone), "b's presence once subscribed");
    b.wait_for(presence_from(a_desk), "a's presence once subscribed");

    block(a, b_bare, "b1");
    require_stanza(b.wait_for(presence_from(a_desk, "unavailable"), "a going away").get(),
                   "<presence from='" + a_desk + "' to='" + b_bare + "' type='unavailable'/>",
                   "the blocked contact sees the user go offline");
    b.send("<presence><show>chat</show></presence>");
    require_nothing(a, presence_from(b_phone), "a got the presence of a contact it blocks");
    a.send("<presence><show>away</show></presence>");
    require_nothing(b, presence_from(a_desk), "the blocked contact got the user's presence");

    unblock(a, b_bare, "u1");
    require_stanza(
        b.wait_for(presence_from(a_desk), "a's presence after the unblock").get(),
        "<presence from='" + a_desk + "' to='" + b_bare + "'><show>away</show></presence>",
        "the unblocked contact gets the user's current presence");
    b.send("<presence><show>xa</show></presence>");
    require_stanza(
        a.wait_for(presence_from(b_phone), "b's presence after the unblock").get(),
        "<presence from='" + b_phone + "' to='" + a_bare + "'><show>xa</show></presence>",
        "the contact's presence reaches the user again");
}

}  // namespace starling::scenarios
