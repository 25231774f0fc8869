// XEP-0045 multi-user chat through mod_muc: the service in disco, creating a room (locked until
// configured), entering (presences, status codes, history, subject), messages with stanza and
// occupant ids, private messages, nick changes, leaving, the errors of a refused entry, and
// persistent rooms across a restart.
#include "muc_steps.hpp"
#include "sm_client.hpp"

#include <csignal>
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

namespace starling::scenarios {
namespace {

using namespace muc;
constexpr test_account carol{"c", "c@example.test", "carol-secret-3"};

void start_with_three(server_fixture& server) {
    server.add_account(carol.jid, carol.password);
    start_with_accounts(server);
}

std::vector<std::string> features(xmpp_stanza_t* iq) {
    std::vector<std::string> out;
    xmpp_stanza_t* query = stanza_child(iq, "query", ns::disco_info);
    for (xmpp_stanza_t* c = query ? xmpp_stanza_get_children(query) : nullptr; c;
         c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c) && std::string(xmpp_stanza_get_name(c)) == "feature")
            out.push_back(stanza_attribute(c, "var"));
    return out;
}

bool has(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

std::string form_value(xmpp_stanza_t* x, const std::string& var) {
    for (xmpp_stanza_t* f = x ? xmpp_stanza_get_children(x) : nullptr; f; f = xmpp_stanza_get_next(f))
        if (xmpp_stanza_is_tag(f) && stanza_attribute(f, "var") == var) {
            xmpp_stanza_t* value = stanza_child(f, "value", nullptr);
            return value ? stanza_content(value) : std::string();
        }
    return "<none>";
}

}  // namespace

STARLING_SCENARIO(muc_service_is_listed_and_answers_disco) {
    server_fixture server(options);
    server.modules = modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    // Clients find the chat service in the server's items (Conversations, Monal), then ask it.
    auto items = a.request("<iq type='get' id='i1' to='example.test'><query "
                           "xmlns='http://jabber.org/protocol/disco#items'/></iq>",
                           "i1");
    xmpp_stanza_t* query = stanza_child(items.get(), "query", "http://jabber.org/protocol/disco#items");
    xmpp_stanza_t* item = query ? stanza_child(query, "item", nullptr) : nullptr;
    require(item && stanza_attribute(item, "jid") == service,
            "the service is not in the server's items: " + stanza_text(items.get()));
    auto info = a.request(std::string("<iq type='get' id='i2' to='") + service +
                              "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                          "i2");
    xmpp_stanza_t* identity =
        stanza_child(stanza_child(info.get(), "query", ns::disco_info), "identity", nullptr);
    require(identity && stanza_attribute(identity, "category") == "conference" &&
                stanza_attribute(identity, "type") == "text" &&
                stanza_attribute(identity, "name") == "Chatrooms",
            "the service's identity: " + stanza_text(info.get()));
    require(has(features(info.get()), ns_muc), "no muc feature: " + stanza_text(info.get()));
    // A room that does not exist has no disco#info.
    auto missing = a.request("<iq type='get' id='i3' to='" + room("nowhere") +
                                 "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                             "i3");
    require(stanza_error_condition(missing.get()) == "item-not-found",
            "disco of a missing room: " + stanza_text(missing.get()));
}

STARLING_SCENARIO(muc_room_is_created_locked_and_opened_by_its_configuration) {
    server_fixture server(options);
    server.modules = modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    auto created = enter(a, "tea", "alice");
    require(status_codes(created.get()) == std::vector<std::string>{"110", "201"},
            "the creator's self-presence: " + stanza_text(created.get()));
    require(item_attribute(created.get(), "affiliation") == "owner" &&
                item_attribute(created.get(), "role") == "moderator",
            "the creator's item: " + stanza_text(created.get()));
    // Locked until configured (§10.1.3): nobody else gets in.
    auto locked = enter(b, "tea", "bob");
    require(stanza_error_condition(locked.get()) == "item-not-found",
            "entering a locked room: " + stanza_text(locked.get()));
    // Only the owner gets the form; it has the fields clients fill in.
    auto not_owner = b.request("<iq type='get' id='f0' to='" + room("tea") + "'><query xmlns='" +
                                   ns_owner + "'/></iq>",
                               "f0");
    require(stanza_error_condition(not_owner.get()) == "item-not-found",
            "the form of a locked room to a stranger: " + stanza_text(not_owner.get()));
    auto form = a.request("<iq type='get' id='f1' to='" + room("tea") + "'><query xmlns='" +
                              ns_owner + "'/></iq>",
                          "f1");
    xmpp_stanza_t* x = stanza_child(stanza_child(form.get(), "query", ns_owner), "x", "jabber:x:data");
    require(x && stanza_attribute(x, "type") == "form" &&
                form_value(x, "FORM_TYPE") == "http://jabber.org/protocol/muc#roomconfig",
            "the configuration form: " + stanza_text(form.get()));
    for (const char* var : {"muc#roomconfig_roomname", "muc#roomconfig_roomdesc",
                            "muc#roomconfig_persistentroom", "muc#roomconfig_publicroom",
                            "muc#roomconfig_membersonly", "muc#roomconfig_moderatedroom",
                            "muc#roomconfig_passwordprotectedroom", "muc#roomconfig_roomsecret",
                            "muc#roomconfig_maxusers", "muc#roomconfig_whois",
                            "muc#maxhistoryfetch", "muc#roomconfig_allowpm",
                            "muc#roomconfig_changesubject", "muc#roomconfig_allowinvites"})
        require(form_value(x, var) != "<none>", std::string("no field ") + var);
    // A bad value is refused and changes nothing.
    auto bad = a.request("<iq type='set' id='f2' to='" + room("tea") + "'><query xmlns='" +
                             ns_owner +
                             "'><x xmlns='jabber:x:data' type='submit'><field "
                             "var='muc#roomconfig_whois'><value>everybody</value></field></x>"
                             "</query></iq>",
                         "f2");
    require(stanza_error_condition(bad.get()) == "not-acceptable",
            "an invalid whois: " + stanza_text(bad.get()));
    configure(a, "tea", {{"muc#roomconfig_roomname", "Tea &amp; cake"}});

    // Bob enters: alice's presence first (no real JID: the room is semi-anonymous and bob is
    // no moderator), then his own with 110, then the (empty) subject.
    b.send("<presence to='" + occupant("tea", "bob") + "'><x xmlns='" + ns_muc + "'/></presence>");
    auto alice_seen = b.wait_for(presence_from(occupant("tea", "alice")), "alice's presence");
    require(item_attribute(alice_seen.get(), "affiliation") == "owner" &&
                item_attribute(alice_seen.get(), "jid").empty(),
            "alice as bob sees her: " + stanza_text(alice_seen.get()));
    require(stanza_child(alice_seen.get(), "occupant-id", "urn:xmpp:occupant-id:0") != nullptr,
            "no occupant-id: " + stanza_text(alice_seen.get()));
    auto self = b.wait_for(presence_from(occupant("tea", "bob"), true), "bob's self-presence");
    require(status_codes(self.get()) == std::vector<std::string>{"110"} &&
                item_attribute(self.get(), "role") == "participant" &&
                item_attribute(self.get(), "affiliation") == "none",
            "bob's self-presence: " + stanza_text(self.get()));
    auto subject = b.wait_for(groupchat_from(room("tea"), true), "the empty subject");
    require(stanza_content(stanza_child(subject.get(), "subject", nullptr)).empty(),
            "subject: " + stanza_text(subject.get()));
    // Alice, a moderator, sees bob's real JID.
    auto bob_seen = a.wait_for(presence_from(occupant("tea", "bob")), "bob's presence at alice");
    require(item_attribute(bob_seen.get(), "jid") == b.bound_jid(),
            "bob as the moderator sees him: " + stanza_text(bob_seen.get()));

    auto info = b.request("<iq type='get' id='d1' to='" + room("tea") +
                              "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                          "d1");
    const auto room_features = features(info.get());
    for (const char* f : {ns_muc, "muc_temporary", "muc_public", "muc_open", "muc_unmoderated",
                          "muc_semianonymous", "muc_unsecured", "urn:xmpp:sid:0",
                          "urn:xmpp:occupant-id:0",
                          "http://jabber.org/protocol/muc#self-ping-optimization"})
        require(has(room_features, f), std::string("room feature ") + f + ": " + stanza_text(info.get()));
    xmpp_stanza_t* roominfo =
        stanza_child(stanza_child(info.get(), "query", ns::disco_info), "x", "jabber:x:data");
    require(form_value(roominfo, "muc#roominfo_occupants") == "2" &&
                form_value(roominfo, "muc#roomconfig_roomname") == "Tea & cake",
            "muc#roominfo: " + stanza_text(info.get()));
}

STARLING_SCENARIO(muc_messages_are_reflected_with_ids_and_kept_as_history) {
    server_fixture server(options);
    server.modules = modules;
    server.write_config();
    start_with_three(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/laptop", carol.password, server.c2s_port());
    a.login();
    b.login();
    c.login();
    create_room(a, "den", "alice");
    enter_and_settle(b, "den", "bob");

    // A message claiming the room's stanza id and someone's occupant id keeps neither.
    a.send("<message to='" + room("den") + "' type='groupchat' id='m1'><body>one &amp; all</body>"
           "<stanza-id xmlns='urn:xmpp:sid:0' by='" + room("den") + "' id='forged'/>"
           "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>");
    std::string stanza_id;
    std::string alice_occupant_id;
    for (strophe_client* reader : {&a, &b}) {
        auto got = reader->wait_for(groupchat_from(occupant("den", "alice")), "the reflection");
        const std::string text = stanza_text(got.get());
        require(stanza_attribute(got.get(), "id") == "m1", "id: " + text);
        require(stanza_content(stanza_child(got.get(), "body", nullptr)) == "one & all", "body: " + text);
        xmpp_stanza_t* sid = stanza_child(got.get(), "stanza-id", "urn:xmpp:sid:0");
        require(sid && stanza_attribute(sid, "by") == room("den") &&
                    stanza_attribute(sid, "id") != "forged" && stanza_attribute(sid, "id").size() >= 16,
                "stanza-id: " + text);
        xmpp_stanza_t* oid = stanza_child(got.get(), "occupant-id", "urn:xmpp:occupant-id:0");
        require(oid && stanza_attribute(oid, "id") != "forged", "occupant-id: " + text);
        if (stanza_id.empty()) stanza_id = stanza_attribute(sid, "id");
        require(stanza_attribute(sid, "id") == stanza_id, "each occupant got another stanza-id");
        alice_occupant_id = stanza_attribute(oid, "id");
    }
    b.send("<message to='" + room("den") + "' type='groupchat' id='m2'><body>two</body></message>");
    b.wait_for(groupchat_from(occupant("den", "bob")), "bob's own reflection");
    a.send("<message to='" + room("den") + "' type='groupchat' id='m3'><body>three</body></message>");
    b.wait_for(groupchat_from(occupant("den", "alice")), "three at bob");

    // Carol asks for the last two messages: two and three, oldest first, each with its delay.
    enter(c, "den", "carol", "<history maxstanzas='2'/>");
    auto first = c.wait_for(groupchat_from(occupant("den", "bob")), "history: two");
    auto second = c.wait_for(groupchat_from(occupant("den", "alice")), "history: three");
    require(stanza_content(stanza_child(first.get(), "body", nullptr)) == "two" &&
                stanza_content(stanza_child(second.get(), "body", nullptr)) == "three",
            "history: " + stanza_text(first.get()) + stanza_text(second.get()));
    xmpp_stanza_t* delay = stanza_child(second.get(), "delay", "urn:xmpp:delay");
    require(delay && stanza_attribute(delay, "from") == room("den") &&
                stanza_attribute(delay, "stamp").size() >= 20,
            "history delay: " + stanza_text(second.get()));
    // The same occupant id for the same user, in history as live.
    require(stanza_attribute(stanza_child(second.get(), "occupant-id", "urn:xmpp:occupant-id:0"),
                             "id") == alice_occupant_id,
            "alice's occupant id changed: " + stanza_text(second.get()));
    c.wait_for(groupchat_from(room("den"), true), "the subject after history");
    require(c.take_all(groupchat_from(occupant("den", "alice"))).empty(),
            "more history than asked for");

    // maxchars='0' asks for none (§7.2.15).
    strophe_client c2(std::string(carol.jid) + "/phone", carol.password, server.c2s_port());
    c2.login();
    enter(c2, "den", "carol", "<history maxchars='0'/>");
    c2.wait_for(groupchat_from(room("den"), true), "the subject");
    require(c2.take_all(any_message).empty(), "history despite maxchars='0'");
}

STARLING_SCENARIO(muc_subject_private_messages_nick_change_and_leaving) {
    server_fixture server(options);
    server.modules = modules;
    server.write_config();
    start_with_three(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/laptop", carol.password, server.c2s_port());
    a.login();
    b.login();
    c.login();
    create_room(a, "hall", "alice");
    enter_and_settle(b, "hall", "bob");

    // Only moderators change the subject unless the room lets occupants (§8.1).
    b.send("<message to='" + room("hall") + "' type='groupchat' id='s1'><subject>mine</subject></message>");
    auto refused = b.wait_for(stanza_named("message", "s1"), "the refused subject");
    require(stanza_error_condition(refused.get()) == "forbidden",
            "a participant's subject: " + stanza_text(refused.get()));
    a.send("<message to='" + room("hall") + "' type='groupchat' id='s2'><subject>Agenda</subject></message>");
    auto subject = b.wait_for(groupchat_from(occupant("hall", "alice"), true), "the new subject");
    require(stanza_content(stanza_child(subject.get(), "subject", nullptr)) == "Agenda",
            "subject: " + stanza_text(subject.get()));
    // A newcomer gets it, from the nick that set it.
    enter(c, "hall", "carol");
    auto told = c.wait_for(groupchat_from(occupant("hall", "alice"), true), "the subject at entry");
    require(stanza_content(stanza_child(told.get(), "subject", nullptr)) == "Agenda",
            "the subject at entry: " + stanza_text(told.get()));

    // A private message goes to that occupant only, from the sender's occupant JID.
    b.send("<message to='" + occupant("hall", "carol") + "' type='chat' id='p1'><body>psst</body></message>");
    auto pm = c.wait_for(stanza_named("message", "p1"), "the private message");
    require(stanza_attribute(pm.get(), "from") == occupant("hall", "bob") &&
                stanza_attribute(pm.get(), "type") == "chat" && user_x(pm.get()) != nullptr,
            "the private message: " + stanza_text(pm.get()));
    require_nothing(a, stanza_named("message", "p1"), "the private message reached alice");
    b.send("<message to='" + occupant("hall", "nobody") + "' type='chat' id='p2'><body>?</body></message>");
    auto nobody = b.wait_for(stanza_named("message", "p2"), "the error for a missing nick");
    require(stanza_error_condition(nobody.get()) == "item-not-found",
            "a private message to nobody: " + stanza_text(nobody.get()));

    // Nick change (§7.6): unavailable with 303 and the new nick, then the new presence.
    c.send("<presence to='" + occupant("hall", "alice") + "'/>");
    auto conflict = c.wait_for(
        [](xmpp_stanza_t* s) {
            return presence_from(occupant("hall", "alice"))(s) && stanza_attribute(s, "type") == "error";
        },
        "the nick conflict");
    require(stanza_error_condition(conflict.get()) == "conflict",
            "taking alice's nick: " + stanza_text(conflict.get()));
    b.send("<presence to='" + occupant("hall", "robert") + "'/>");
    auto gone = a.wait_for(leaving(occupant("hall", "bob"), "303"), "bob's old nick leaving");
    require(stanza_attribute(gone.get(), "type") == "unavailable" && has_code(gone.get(), "303") &&
                item_attribute(gone.get(), "nick") == "robert",
            "the 303 presence: " + stanza_text(gone.get()));
    auto renamed = a.wait_for(presence_from(occupant("hall", "robert")), "robert's presence");
    require(stanza_attribute(renamed.get(), "type").empty(), "robert: " + stanza_text(renamed.get()));
    auto self_gone = b.wait_for(leaving(occupant("hall", "bob"), "303"), "bob's own 303");
    require(has_code(self_gone.get(), "303") && has_code(self_gone.get(), "110"),
            "bob's own 303: " + stanza_text(self_gone.get()));

    // Leaving (§7.14): everyone is told, the leaver with 110 and its status text.
    c.send("<presence type='unavailable' to='" + occupant("hall", "carol") + "'><status>bye</status></presence>");
    auto left = c.wait_for(leaving(occupant("hall", "carol"), "110"), "carol's own leave");
    require(stanza_attribute(left.get(), "type") == "unavailable" &&
                item_attribute(left.get(), "role") == "none",
            "carol's leave: " + stanza_text(left.get()));
    auto left_at_alice = a.wait_for(leaving(occupant("hall", "carol")), "carol leaving");
    require(stanza_content(stanza_child(left_at_alice.get(), "status", nullptr)) == "bye",
            "the leave's status: " + stanza_text(left_at_alice.get()));
    // She is no occupant any more: her groupchat message is refused.
    c.send("<message to='" + room("hall") + "' type='groupchat' id='x1'><body>late</body></message>");
    auto late = c.wait_for(stanza_named("message", "x1"), "the refused message");
    require(stanza_error_condition(late.get()) == "not-acceptable",
            "a message from a non-occupant: " + stanza_text(late.get()));

    // A temporary room ends with its last occupant.
    for (strophe_client* who : {&a, &b}) {
        who->send("<presence type='unavailable' to='" + room("hall") + "'/>");
        who->wait_for(
            [](xmpp_stanza_t* s) {
                return std::string(xmpp_stanza_get_name(s)) == "presence" && has_code(s, "110") &&
                       stanza_attribute(s, "type") == "unavailable";
            },
            "the own unavailable");
    }
    auto ended = a.request("<iq type='get' id='e1' to='" + room("hall") +
                               "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                           "e1");
    require(stanza_error_condition(ended.get()) == "item-not-found",
            "the empty temporary room is still there: " + stanza_text(ended.get()));
}

STARLING_SCENARIO(muc_refused_entries_have_the_conditions_of_the_xep) {
    server_fixture server(options);
    server.modules = "[disco, ping, {muc: {max_occupants: 3}}]";
    server.write_config();
    start_with_three(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/laptop", carol.password, server.c2s_port());
    a.login();
    b.login();
    c.login();
    auto check = [](stanza_ptr error, const char* type, const char* condition, const char* what) {
        xmpp_stanza_t* e = xmpp_stanza_get_child_by_name(error.get(), "error");
        require(stanza_attribute(error.get(), "type") == "error" && e &&
                    stanza_attribute(e, "type") == type && stanza_error_condition(error.get()) == condition,
                std::string(what) + ": " + stanza_text(error.get()));
    };
    // No nickname (§7.2.1).
    b.send("<presence to='" + room("club") + "'><x xmlns='" + ns_muc + "'/></presence>");
    check(b.wait_for(presence_from(room("club")), "the nickless entry"), "modify", "jid-malformed",
          "no nickname");

    create_room(a, "club", "alice", {{"muc#roomconfig_passwordprotectedroom", "1"},
                                     {"muc#roomconfig_roomsecret", "open sesame"},
                                     {"muc#roomconfig_maxusers", "2"}});
    check(enter(b, "club", "bob"), "auth", "not-authorized", "no password");
    check(enter(b, "club", "bob", "<password>wrong</password>"), "auth", "not-authorized",
          "a wrong password");
    check(enter(b, "club", "alice", "<password>open sesame</password>"), "cancel", "conflict",
          "alice's nick");
    enter_and_settle(b, "club", "bob", "<password>open sesame</password>");
    check(enter(c, "club", "carol", "<password>open sesame</password>"), "wait",
          "service-unavailable", "a full room");
    // Above the service's own limit the room cannot be configured.
    auto too_many = a.request("<iq type='set' id='m' to='" + room("club") + "'><query xmlns='" +
                                  ns_owner +
                                  "'><x xmlns='jabber:x:data' type='submit'><field "
                                  "var='muc#roomconfig_maxusers'><value>4</value></field></x>"
                                  "</query></iq>",
                              "m");
    require(stanza_error_condition(too_many.get()) == "not-acceptable",
            "maxusers above the service's limit: " + stanza_text(too_many.get()));

    // Members only (§7.2.6) and banned (§7.2.7).
    create_room(a, "inner", "alice", {{"muc#roomconfig_membersonly", "1"}});
    check(enter(c, "inner", "carol"), "auth", "registration-required", "not a member");
    auto ban = a.request("<iq type='set' id='ban' to='" + room("club") + "'><query xmlns='" +
                             ns_admin + "'><item affiliation='outcast' jid='" + carol.jid +
                             "'/></query></iq>",
                         "ban");
    require(stanza_attribute(ban.get(), "type") == "result", "ban: " + stanza_text(ban.get()));
    check(enter(c, "club", "carol", "<password>open sesame</password>"), "auth", "forbidden",
          "banned");
}

STARLING_SCENARIO(muc_persistent_room_and_affiliations_survive_a_restart) {
    server_fixture server(options);
    server.modules = modules;
    server.write_config();
    start_with_three(server);
    {
        strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
        a.login();
        create_room(a, "keep", "alice",
                    {{"muc#roomconfig_persistentroom", "1"},
                     {"muc#roomconfig_membersonly", "1"},
                     {"muc#roomconfig_roomname", "Kept"}});
        a.send("<message to='" + room("keep") + "' type='groupchat' id='s'><subject>Kept topic</subject></message>");
        a.wait_for(groupchat_from(occupant("keep", "alice"), true), "the subject");
        // The database runs its jobs in order: once the membership is committed (the result
        // says so), the subject written before it is too.
        auto member = a.request("<iq type='set' id='mem' to='" + room("keep") + "'><query xmlns='" +
                                    ns_admin + "'><item affiliation='member' jid='" + bob.jid +
                                    "'/></query></iq>",
                                "mem");
        require(stanza_attribute(member.get(), "type") == "result", "member: " + stanza_text(member.get()));
    }
    // What the owner was told is done survives a crash right after (kill -9).
    server.kill();
    server.start();
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/laptop", carol.password, server.c2s_port());
    b.login();
    c.login();
    // The configuration (members only), bob's membership and the subject came back.
    auto refused = enter(c, "keep", "carol");
    require(stanza_error_condition(refused.get()) == "registration-required",
            "carol after the restart: " + stanza_text(refused.get()));
    auto self = enter(b, "keep", "bob");
    require(item_attribute(self.get(), "affiliation") == "member",
            "bob after the restart: " + stanza_text(self.get()));
    auto subject = b.wait_for(groupchat_from(occupant("keep", "alice"), true), "the kept subject");
    require(stanza_content(stanza_child(subject.get(), "subject", nullptr)) == "Kept topic",
            "the subject after the restart: " + stanza_text(subject.get()));
    // XEP-0249 direct invitations are between users: they pass through untouched.
    b.send("<message to='" + std::string(carol.jid) + "/laptop' id='di'><x xmlns='jabber:x:conference' "
           "jid='" + room("keep") + "' reason='come'/></message>");
    auto direct = c.wait_for(stanza_named("message", "di"), "the direct invitation");
    xmpp_stanza_t* conference = stanza_child(direct.get(), "x", "jabber:x:conference");
    require(conference && stanza_attribute(conference, "jid") == room("keep") &&
                stanza_attribute(conference, "reason") == "come",
            "the direct invitation: " + stanza_text(direct.get()));
    // A persistent room stays when empty and is listed publicly by its name.
    b.send("<presence type='unavailable' to='" + occupant("keep", "bob") + "'/>");
    b.wait_for(presence_from(occupant("keep", "bob"), true), "bob's leave");
    auto items = b.request(std::string("<iq type='get' id='l' to='") + service +
                               "'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
                           "l");
    xmpp_stanza_t* item =
        stanza_child(stanza_child(items.get(), "query", "http://jabber.org/protocol/disco#items"),
                     "item", nullptr);
    require(item && stanza_attribute(item, "jid") == room("keep") &&
                stanza_attribute(item, "name") == "Kept",
            "the public rooms: " + stanza_text(items.get()));
    // Paged (XEP-0059): two public rooms, one per page, with the count.
    create_room(b, "another", "bob");
    auto page = b.request(std::string("<iq type='get' id='p1' to='") + service +
                              "'><query xmlns='http://jabber.org/protocol/disco#items'><set "
                              "xmlns='http://jabber.org/protocol/rsm'><max>1</max></set></query></iq>",
                          "p1");
    xmpp_stanza_t* page_query = stanza_child(page.get(), "query", "http://jabber.org/protocol/disco#items");
    xmpp_stanza_t* set = stanza_child(page_query, "set", "http://jabber.org/protocol/rsm");
    require(stanza_attribute(stanza_child(page_query, "item", nullptr), "jid") == room("another") &&
                stanza_content(stanza_child(set, "count", nullptr)) == "2" &&
                stanza_content(stanza_child(set, "last", nullptr)) == room("another"),
            "the first page: " + stanza_text(page.get()));
    auto next = b.request(std::string("<iq type='get' id='p2' to='") + service +
                              "'><query xmlns='http://jabber.org/protocol/disco#items'><set "
                              "xmlns='http://jabber.org/protocol/rsm'><max>1</max><after>" +
                              room("another") + "</after></set></query></iq>",
                          "p2");
    xmpp_stanza_t* next_query = stanza_child(next.get(), "query", "http://jabber.org/protocol/disco#items");
    require(stanza_attribute(stanza_child(next_query, "item", nullptr), "jid") == room("keep") &&
                stanza_attribute(stanza_child(stanza_child(next_query, "set", "http://jabber.org/protocol/rsm"),
                                              "first", nullptr), "index") == "1",
            "the second page: " + stanza_text(next.get()));
}

STARLING_SCENARIO(muc_room_archive_follows_logging) {
    server_fixture server(options);
    server.modules = modules;
    server.write_config();
    start_with_three(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    create_room(a, "log", "alice", {{"muc#roomconfig_enablelogging", "1"}});
    auto info = b.request("<iq type='get' id='d' to='" + room("log") +
                              "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                          "d");
    require(has(features(info.get()), "urn:xmpp:mam:2"), "no mam feature: " + stanza_text(info.get()));
    std::vector<std::string> ids;
    for (const char* body : {"first", "second", "third"}) {
        a.send("<message to='" + room("log") + "' type='groupchat'><body>" + body + "</body></message>");
        auto echo = a.wait_for(groupchat_from(occupant("log", "alice")), "the reflection");
        ids.push_back(stanza_attribute(stanza_child(echo.get(), "stanza-id", "urn:xmpp:sid:0"), "id"));
    }
    // Bob, who may enter, reads the first page of two: the ids are the stanza ids.
    auto fin = b.request("<iq type='set' id='q1' to='" + room("log") +
                             "'><query xmlns='urn:xmpp:mam:2' queryid='page1'><set "
                             "xmlns='http://jabber.org/protocol/rsm'><max>2</max></set></query></iq>",
                         "q1");
    auto results = b.take_all([](xmpp_stanza_t* s) {
        return stanza_child(s, "result", "urn:xmpp:mam:2") != nullptr;
    });
    require(results.size() == 2, "expected 2 results, got " + std::to_string(results.size()));
    const char* bodies[] = {"first", "second"};
    for (std::size_t i = 0; i < 2; ++i) {
        xmpp_stanza_t* result = stanza_child(results[i].get(), "result", "urn:xmpp:mam:2");
        xmpp_stanza_t* forwarded = stanza_child(result, "forwarded", "urn:xmpp:forward:0");
        xmpp_stanza_t* message = stanza_child(forwarded, "message", nullptr);
        require(stanza_attribute(results[i].get(), "from") == room("log") &&
                    stanza_attribute(result, "queryid") == "page1" &&
                    stanza_attribute(result, "id") == ids[i] &&
                    stanza_attribute(message, "from") == occupant("log", "alice") &&
                    stanza_content(stanza_child(message, "body", nullptr)) == bodies[i],
                "archive result " + std::to_string(i) + ": " + stanza_text(results[i].get()));
    }
    xmpp_stanza_t* set = stanza_child(stanza_child(fin.get(), "fin", "urn:xmpp:mam:2"), "set",
                                      "http://jabber.org/protocol/rsm");
    require(stanza_content(stanza_child(set, "count", nullptr)) == "3" &&
                stanza_attribute(stanza_child(fin.get(), "fin", "urn:xmpp:mam:2"), "complete") != "true",
            "the fin: " + stanza_text(fin.get()));

    // A room without logging keeps no archive.
    create_room(a, "quiet", "alice");
    auto none = b.request("<iq type='set' id='q2' to='" + room("quiet") +
                              "'><query xmlns='urn:xmpp:mam:2'/></iq>",
                          "q2");
    require(stanza_error_condition(none.get()) == "service-unavailable",
            "the archive of a room without logging: " + stanza_text(none.get()));
    // A members-only room's archive is for members.
    create_room(a, "private", "alice", {{"muc#roomconfig_enablelogging", "1"},
                                        {"muc#roomconfig_membersonly", "1"}});
    auto refused = b.request("<iq type='set' id='q3' to='" + room("private") +
                                 "'><query xmlns='urn:xmpp:mam:2'/></iq>",
                             "q3");
    require(stanza_error_condition(refused.get()) == "forbidden",
            "a members-only archive to a stranger: " + stanza_text(refused.get()));

    // Destroyed and made again, the room does not show what was said before.
    auto destroyed = a.request("<iq type='set' id='x' to='" + room("log") + "'><query xmlns='" +
                                   ns_owner + "'><destroy/></query></iq>",
                               "x");
    require(stanza_attribute(destroyed.get(), "type") == "result", "destroy: " + stanza_text(destroyed.get()));
    auto left = a.wait_for(leaving(occupant("log", "alice"), "110"), "alice's leave at the destroy");
    require(item_attribute(left.get(), "affiliation") == "none",
            "the destroy presence keeps an affiliation: " + stanza_text(left.get()));
    create_room(a, "log", "alice", {{"muc#roomconfig_enablelogging", "1"}});
    auto empty = b.request("<iq type='set' id='q4' to='" + room("log") +
                               "'><query xmlns='urn:xmpp:mam:2'/></iq>",
                           "q4");
    xmpp_stanza_t* empty_set = stanza_child(stanza_child(empty.get(), "fin", "urn:xmpp:mam:2"), "set",
                                            "http://jabber.org/protocol/rsm");
    require(stanza_content(stanza_child(empty_set, "count", nullptr)) == "0",
            "the new room's archive: " + stanza_text(empty.get()));
}

STARLING_SCENARIO(muc_rooms_survive_a_reload) {
    // A SIGHUP (a renewed certificate, a changed option) loads new module instances: the rooms,
    // their occupants and their history stay, served by the new instance; a reload that fails
    // leaves them with the old one.
    server_fixture server(options);
    server.modules = modules;
    server.log_level = "info";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    create_room(a, "stay", "alice");
    enter_and_settle(b, "stay", "bob");
    a.send("<message to='" + room("stay") + "' type='groupchat'><body>before</body></message>");
    b.wait_for(groupchat_from(occupant("stay", "alice")), "the message before the reload");

    auto reload = [&server](const std::string& text, const std::string& logged) {
        server.write_config_text(text);
        const auto mark = server.log_mark();
        server.send_signal(SIGHUP);
        server.wait_for_log(logged, mark);
    };
    int said = 0;
    auto still_talking = [&](const std::string& after) {
        const std::string body = "after " + std::to_string(++said);
        b.send("<message to='" + room("stay") + "' type='groupchat'><body>" + body + "</body></message>");
        auto got = a.wait_for(groupchat_from(occupant("stay", "bob")), "bob's message after " + after);
        require(stanza_content(stanza_child(got.get(), "body", nullptr)) == body,
                "after " + after + ": " + stanza_text(got.get()));
    };
    const std::string config = server.config_text();
    reload(config, "configuration reloaded");
    still_talking("a reload");
    // other.test claiming example.test's chat domain fails its load: the whole reload is undone.
    std::string clash = config;
    const std::string hosts = "hosts: [example.test, other.test]";
    require(clash.find(hosts) != std::string::npos, "the fixture's hosts line changed: " + clash);
    clash.replace(clash.find(hosts), hosts.size(),
                  "hosts:\n  - example.test\n  - other.test:\n      modules:\n        - muc: "
                  "{domain: conference.example.test}");
    reload(clash, "already served");
    still_talking("a failed reload");
    reload(config, "configuration reloaded");
    still_talking("another reload");
    strophe_client c(std::string(alice.jid) + "/laptop", alice.password, server.c2s_port());
    c.login();
    enter(c, "stay", "alice", "<history maxstanzas='10'/>");
    auto history = c.wait_for(groupchat_from(occupant("stay", "alice")), "the history after reloads");
    require(stanza_content(stanza_child(history.get(), "body", nullptr)) == "before",
            "the history after the reloads: " + stanza_text(history.get()));
    auto info = a.request("<iq type='get' id='n' to='" + room("stay") +
                              "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                          "n");
    require(form_value(stanza_child(stanza_child(info.get(), "query", ns::disco_info), "x",
                                    "jabber:x:data"),
                       "muc#roominfo_occupants") == "2",
            "the occupants after the reloads: " + stanza_text(info.get()));
}

STARLING_SCENARIO(muc_limits_per_user_and_occupant) {
    server_fixture server(options);
    server.modules =
        "[disco, ping, {muc: {max_rooms_per_user: 2, messages_per_minute: 3, "
        "presences_per_minute: 4}}]";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    create_room(a, "one", "alice");
    create_room(a, "two", "alice");
    auto third = enter(a, "three", "alice");
    require(stanza_error_condition(third.get()) == "resource-constraint",
            "a third room past max_rooms_per_user 2: " + stanza_text(third.get()));
    // Leaving one makes room for another.
    a.send("<presence type='unavailable' to='" + occupant("two", "alice") + "'/>");
    a.wait_for(leaving(occupant("two", "alice"), "110"), "leaving two");
    auto again = enter(a, "three", "alice");
    require(has_code(again.get(), "201"), "a room after leaving one: " + stanza_text(again.get()));

    // Three messages a minute: the fourth, sent at once, is refused; the three arrive.
    for (int i = 1; i <= 4; ++i)
        a.send("<message to='" + room("one") + "' type='groupchat' id='r" + std::to_string(i) +
               "'><body>n" + std::to_string(i) + "</body></message>");
    auto refused = a.wait_for(
        [](xmpp_stanza_t* s) { return stanza_named("message", "r4")(s) && stanza_attribute(s, "type") == "error"; },
        "the fourth message's error");
    require(stanza_error_condition(refused.get()) == "policy-violation",
            "the fourth message: " + stanza_text(refused.get()));
    require(a.take_all(groupchat_from(occupant("one", "alice"))).size() == 3,
            "not exactly the three allowed messages were reflected");
    // Presence changes: the entry counted one; three updates pass, the next is refused.
    for (int i = 1; i <= 4; ++i)
        a.send("<presence to='" + occupant("one", "alice") + "'><status>s" + std::to_string(i) +
               "</status></presence>");
    auto flood = a.wait_for(
        [](xmpp_stanza_t* s) {
            return presence_from(occupant("one", "alice"))(s) && stanza_attribute(s, "type") == "error";
        },
        "the refused presence change");
    require(stanza_error_condition(flood.get()) == "policy-violation",
            "a presence flood: " + stanza_text(flood.get()));
}

STARLING_SCENARIO(muc_occupant_whose_session_ends_leaves_the_room) {
    // §7.2.3's ghosts: an occupant whose client vanishes without leaving must not stay. Its
    // session's end sends its unavailable presence to the room (mod_presence undoes directed
    // presence); a session waiting to be resumed (XEP-0198) stays in the room until it expires.
    server_fixture server(options);
    server.modules = "[disco, ping, presence, {smacks: {resume_timeout: 2s}}, muc]";
    server.write_config();
    start_with_three(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    come_online(a);
    create_room(a, "ghosts", "alice");

    // Bob's phone loses its network while it waits to be resumed.
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.enable();
    b.stream().send("<presence/>");
    b.stream().send("<presence to='" + occupant("ghosts", "bob") + "'><x xmlns='" + ns_muc +
                    "'/></presence>");
    a.wait_for(presence_from(occupant("ghosts", "bob")), "bob entering");
    b.cut();
    const auto cut_at = std::chrono::steady_clock::now();
    // While hibernated he is still there: the room sends to him (queued for resumption).
    a.send("<message to='" + room("ghosts") + "' type='groupchat' id='g1'><body>still there?</body></message>");
    a.wait_for(groupchat_from(occupant("ghosts", "alice")), "alice's own reflection");
    require_nothing(a, leaving(occupant("ghosts", "bob")), "bob left while he could resume",
                    std::chrono::milliseconds(1000));
    auto gone = a.wait_for(leaving(occupant("ghosts", "bob")), "bob's ghost leaving",
                           std::chrono::seconds(8));
    require(std::chrono::steady_clock::now() - cut_at >= std::chrono::milliseconds(1500),
            "bob left before his session could have been resumed");
    require(item_attribute(gone.get(), "role") == "none", "the ghost's leave: " + stanza_text(gone.get()));

    // Carol closes her connection without a word (no stream management): she leaves at once.
    {
        strophe_client c(std::string(carol.jid) + "/laptop", carol.password, server.c2s_port());
        come_online(c);
        enter_and_settle(c, "ghosts", "carol");
        a.wait_for(presence_from(occupant("ghosts", "carol")), "carol entering");
    }
    a.wait_for(leaving(occupant("ghosts", "carol")), "carol's ghost leaving");

    // An error that says a session cannot be reached removes it with 333 (a bounced groupchat
    // message, say); an error that only refuses one stanza does not.
    strophe_client c2(std::string(carol.jid) + "/tablet", carol.password, server.c2s_port());
    c2.login();
    enter_and_settle(c2, "ghosts", "carol");
    a.wait_for(presence_from(occupant("ghosts", "carol")), "carol entering again");
    c2.send("<message type='error' to='" + room("ghosts") + "'><error type='cancel'>"
            "<feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
    require_nothing(a, leaving(occupant("ghosts", "carol")), "carol removed for a refusal");
    c2.send("<message type='error' to='" + room("ghosts") + "'><error type='cancel'>"
            "<recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
    auto kicked = a.wait_for(leaving(occupant("ghosts", "carol"), "333"), "carol removed with 333");
    require(item_attribute(kicked.get(), "role") == "none", "the 333 presence: " + stanza_text(kicked.get()));
    auto info = a.request("<iq type='get' id='n' to='" + room("ghosts") +
                              "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                          "n");
    xmpp_stanza_t* form =
        stanza_child(stanza_child(info.get(), "query", ns::disco_info), "x", "jabber:x:data");
    require(form_value(form, "muc#roominfo_occupants") == "1",
            "the ghosts are still counted: " + stanza_text(info.get()));
}

}  // namespace starling::scenarios
