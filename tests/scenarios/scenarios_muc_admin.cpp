// XEP-0045 moderation and administration through mod_muc: voice, kick, ban, membership, admins
// and owners with their status codes, the lists, who may do what, destroying a room, mediated
// invitations and declines, and self-ping (XEP-0410).
#include "muc_steps.hpp"
#include "test_accounts.hpp"

namespace starling::scenarios {
namespace {

using namespace muc;
constexpr test_account carol{"c", "c@example.test", "carol-secret-3"};

std::string admin_set(const std::string& room_name, const std::string& id, const std::string& item) {
    return "<iq type='set' id='" + id + "' to='" + room(room_name) + "'><query xmlns='" + ns_admin +
           "'>" + item + "</query></iq>";
}

std::vector<std::string> listed_jids(xmpp_stanza_t* iq) {
    std::vector<std::string> out;
    xmpp_stanza_t* query = stanza_child(iq, "query", ns_admin);
    for (xmpp_stanza_t* c = query ? xmpp_stanza_get_children(query) : nullptr; c;
         c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c)) out.push_back(stanza_attribute(c, "jid"));
    return out;
}

}  // namespace

STARLING_SCENARIO(muc_voice_kick_ban_and_lists) {
    server_fixture server(options);
    server.modules = modules;
    server.write_config();
    server.add_account(carol.jid, carol.password);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/laptop", carol.password, server.c2s_port());
    a.login();
    b.login();
    c.login();
    create_room(a, "court", "alice", {{"muc#roomconfig_moderatedroom", "1"}});
    enter_and_settle(b, "court", "bob");
    auto carol_self = enter_and_settle(c, "court", "carol");
    require(item_attribute(carol_self.get(), "role") == "visitor",
            "a newcomer in a moderated room: " + stanza_text(carol_self.get()));
    // A visitor has no voice (§7.4).
    c.send("<message to='" + room("court") + "' type='groupchat' id='v0'><body>hi</body></message>");
    auto mute = c.wait_for(stanza_named("message", "v0"), "the voiceless message's error");
    require(stanza_error_condition(mute.get()) == "forbidden", "a visitor's message: " + stanza_text(mute.get()));

    // A voice request (§7.13): the moderator gets the approval form, approves (§8.6), and the
    // visitor becomes a participant.
    c.send("<message to='" + room("court") + "'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>"
           "<field var='muc#role'><value>participant</value></field></x></message>");
    auto request = a.wait_for(
        [](xmpp_stanza_t* s) {
            return std::string(xmpp_stanza_get_name(s)) == "message" &&
                   stanza_child(s, "x", "jabber:x:data") != nullptr;
        },
        "the voice request at the moderator");
    require(stanza_attribute(request.get(), "from") == room("court") &&
                stanza_text(request.get()).find("http://jabber.org/protocol/muc#request") !=
                    std::string::npos &&
                stanza_text(request.get()).find(c.bound_jid()) != std::string::npos,
            "the approval form: " + stanza_text(request.get()));
    require_nothing(b, [](xmpp_stanza_t* s) { return stanza_child(s, "x", "jabber:x:data") != nullptr; },
                    "the voice request reached a participant");
    a.send("<message to='" + room("court") + "'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>"
           "<field var='muc#role'><value>participant</value></field>"
           "<field var='muc#roomnick'><value>carol</value></field>"
           "<field var='muc#request_allow'><value>true</value></field></x></message>");
    auto voiced = c.wait_for(presence_from(occupant("court", "carol"), true), "carol's new role");
    require(item_attribute(voiced.get(), "role") == "participant", "voiced: " + stanza_text(voiced.get()));
    // Voice through muc#admin (§8.4, §8.3): taken, then given back.
    for (const char* role : {"visitor", "participant"}) {
        auto set = a.request(admin_set("court", std::string("v-") + role,
                                       "<item nick='carol' role='" + std::string(role) + "'/>"),
                             std::string("v-") + role);
        require(stanza_attribute(set.get(), "type") == "result", "role set: " + stanza_text(set.get()));
        auto changed = c.wait_for(presence_from(occupant("court", "carol"), true), "carol's role");
        require(item_attribute(changed.get(), "role") == role, "carol's role: " + stanza_text(changed.get()));
    }
    auto not_moderator = c.request(admin_set("court", "k0", "<item nick='bob' role='none'/>"), "k0");
    require(stanza_error_condition(not_moderator.get()) == "forbidden",
            "a participant kicking: " + stanza_text(not_moderator.get()));
    // Nobody acts on someone of higher affiliation: an admin (bob, made so) may not kick the owner.
    auto make_admin = a.request(admin_set("court", "a1", "<item affiliation='admin' jid='" +
                                                             std::string(bob.jid) + "'/>"),
                                "a1");
    require(stanza_attribute(make_admin.get(), "type") == "result", "admin: " + stanza_text(make_admin.get()));
    auto bob_moderator = b.wait_for(presence_from(occupant("court", "bob"), true), "bob as admin");
    require(item_attribute(bob_moderator.get(), "affiliation") == "admin" &&
                item_attribute(bob_moderator.get(), "role") == "moderator",
            "bob's new affiliation: " + stanza_text(bob_moderator.get()));
    auto upward = b.request(admin_set("court", "k1", "<item nick='alice' role='none'/>"), "k1");
    require(stanza_error_condition(upward.get()) == "not-allowed",
            "an admin kicking the owner: " + stanza_text(upward.get()));

    // Kick (§8.2): 307, the actor and the reason, to the kicked occupant and to everyone.
    auto kick = b.request(admin_set("court", "k2", "<item nick='carol' role='none'><reason>off "
                                                   "topic</reason></item>"),
                          "k2");
    require(stanza_attribute(kick.get(), "type") == "result", "kick: " + stanza_text(kick.get()));
    auto kicked = c.wait_for(presence_from(occupant("court", "carol"), true), "carol kicked");
    require(stanza_attribute(kicked.get(), "type") == "unavailable" && has_code(kicked.get(), "307"),
            "the kicked one's presence: " + stanza_text(kicked.get()));
    auto kicked_at_alice = a.wait_for(
        [](xmpp_stanza_t* s) { return presence_from(occupant("court", "carol"))(s) && has_code(s, "307"); },
        "carol kicked, at alice");
    xmpp_stanza_t* item = stanza_child(user_x(kicked_at_alice.get()), "item", ns_user);
    require(item && stanza_attribute(stanza_child(item, "actor", ns_user), "nick") == "bob" &&
                stanza_content(stanza_child(item, "reason", ns_user)) == "off topic",
            "the kick's actor and reason: " + stanza_text(kicked_at_alice.get()));

    // Ban (§9.1): 301, then the ban list has her; she cannot come back.
    enter_and_settle(c, "court", "carol");
    auto ban = b.request(admin_set("court", "b1", "<item affiliation='outcast' jid='" +
                                                      std::string(carol.jid) + "'/>"),
                         "b1");
    require(stanza_attribute(ban.get(), "type") == "result", "ban: " + stanza_text(ban.get()));
    auto banned = c.wait_for(presence_from(occupant("court", "carol"), true), "carol banned");
    require(has_code(banned.get(), "301") && item_attribute(banned.get(), "affiliation") == "outcast",
            "the banned one's presence: " + stanza_text(banned.get()));
    auto outcasts = a.request("<iq type='get' id='l1' to='" + room("court") + "'><query xmlns='" +
                                  ns_admin + "'><item affiliation='outcast'/></query></iq>",
                              "l1");
    require(listed_jids(outcasts.get()) == std::vector<std::string>{carol.jid},
            "the ban list: " + stanza_text(outcasts.get()));
    auto owners = b.request("<iq type='get' id='l2' to='" + room("court") + "'><query xmlns='" +
                                ns_admin + "'><item affiliation='owner'/></query></iq>",
                            "l2");
    require(listed_jids(owners.get()) == std::vector<std::string>{alice.jid},
            "the owner list: " + stanza_text(owners.get()));
    auto not_theirs = c.request("<iq type='get' id='l3' to='" + room("court") + "'><query xmlns='" +
                                    ns_admin + "'><item affiliation='outcast'/></query></iq>",
                                "l3");
    require(stanza_error_condition(not_theirs.get()) == "forbidden",
            "the ban list to an outcast: " + stanza_text(not_theirs.get()));
    // An admin may not make owners, and the last owner may not go (§10.6).
    auto owner_by_admin = b.request(admin_set("court", "o1", "<item affiliation='owner' jid='" +
                                                                 std::string(bob.jid) + "'/>"),
                                    "o1");
    require(stanza_error_condition(owner_by_admin.get()) == "not-allowed",
            "an admin making an owner: " + stanza_text(owner_by_admin.get()));
    auto last_owner = a.request(admin_set("court", "o2", "<item affiliation='member' jid='" +
                                                             std::string(alice.jid) + "'/>"),
                                "o2");
    require(stanza_error_condition(last_owner.get()) == "conflict",
            "removing the last owner: " + stanza_text(last_owner.get()));
}

STARLING_SCENARIO(muc_members_only_invitations_destroy_and_self_ping) {
    server_fixture server(options);
    server.modules = modules;
    server.write_config();
    server.add_account(carol.jid, carol.password);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/laptop", carol.password, server.c2s_port());
    a.login();
    come_online(b);  // invitations go to the bare JID: an available resource takes them
    come_online(c);
    // The room OMEMO clients make: members only, real JIDs shown to everyone.
    create_room(a, "circle", "alice", {{"muc#roomconfig_membersonly", "1"},
                                       {"muc#roomconfig_whois", "anyone"},
                                       {"muc#roomconfig_publicroom", "0"}});
    // A mediated invitation (§7.8.2) makes bob a member and reaches him from the room.
    a.send("<message to='" + room("circle") + "'><x xmlns='" + ns_user + "'><invite to='" +
           std::string(bob.jid) + "'><reason>join us</reason></invite></x></message>");
    auto invitation = b.wait_for(
        [](xmpp_stanza_t* s) {
            return std::string(xmpp_stanza_get_name(s)) == "message" && user_x(s) &&
                   stanza_child(user_x(s), "invite", ns_user);
        },
        "the invitation");
    xmpp_stanza_t* invite = stanza_child(user_x(invitation.get()), "invite", ns_user);
    require(stanza_attribute(invitation.get(), "from") == room("circle") &&
                stanza_attribute(invite, "from") == a.bound_jid() &&
                stanza_content(stanza_child(invite, "reason", ns_user)) == "join us",
            "the invitation: " + stanza_text(invitation.get()));
    auto bob_self = enter_and_settle(b, "circle", "bob");
    require(item_attribute(bob_self.get(), "affiliation") == "member" && has_code(bob_self.get(), "100"),
            "bob, invited, in a non-anonymous room: " + stanza_text(bob_self.get()));
    // Members see the member list with real JIDs (what OMEMO needs), but may not invite here.
    auto members = b.request("<iq type='get' id='m1' to='" + room("circle") + "'><query xmlns='" +
                                 ns_admin + "'><item affiliation='member'/></query></iq>",
                             "m1");
    require(listed_jids(members.get()) == std::vector<std::string>{bob.jid},
            "the member list to a member: " + stanza_text(members.get()));
    b.send("<message to='" + room("circle") + "' id='i2'><x xmlns='" + ns_user + "'><invite to='" +
           std::string(carol.jid) + "'/></x></message>");
    auto no_invite = b.wait_for(stanza_named("message", "i2"), "the refused invitation");
    require(stanza_error_condition(no_invite.get()) == "forbidden",
            "a member inviting: " + stanza_text(no_invite.get()));
    // Carol declines an invitation; the inviter hears it from the room.
    c.send("<message to='" + room("circle") + "'><x xmlns='" + ns_user + "'><decline to='" +
           a.bound_jid() + "'><reason>busy</reason></decline></x></message>");
    auto declined = a.wait_for(
        [](xmpp_stanza_t* s) { return user_x(s) && stanza_child(user_x(s), "decline", ns_user); },
        "the decline");
    xmpp_stanza_t* decline = stanza_child(user_x(declined.get()), "decline", ns_user);
    require(stanza_attribute(decline, "from") == carol.jid &&
                stanza_content(stanza_child(decline, "reason", ns_user)) == "busy",
            "the decline: " + stanza_text(declined.get()));

    // Self-ping (XEP-0410): an occupant's own nick answers; anyone else is told it is not in.
    auto pong = b.request("<iq type='get' id='p1' to='" + occupant("circle", "bob") +
                              "'><ping xmlns='urn:xmpp:ping'/></iq>",
                          "p1");
    require(stanza_attribute(pong.get(), "type") == "result", "self-ping: " + stanza_text(pong.get()));
    auto not_in = c.request("<iq type='get' id='p2' to='" + occupant("circle", "carol") +
                                "'><ping xmlns='urn:xmpp:ping'/></iq>",
                            "p2");
    require(stanza_error_condition(not_in.get()) == "not-acceptable",
            "a self-ping from outside: " + stanza_text(not_in.get()));

    // Destroy (§10.9): only the owner; every occupant leaves with the alternate venue.
    auto not_owner = b.request("<iq type='set' id='d0' to='" + room("circle") + "'><query xmlns='" +
                                   ns_owner + "'><destroy/></query></iq>",
                               "d0");
    require(stanza_error_condition(not_owner.get()) == "forbidden",
            "a member destroying: " + stanza_text(not_owner.get()));
    auto destroyed = a.request("<iq type='set' id='d1' to='" + room("circle") + "'><query xmlns='" +
                                   ns_owner + "'><destroy jid='" + room("square") +
                                   "'><reason>moved</reason></destroy></query></iq>",
                               "d1");
    require(stanza_attribute(destroyed.get(), "type") == "result", "destroy: " + stanza_text(destroyed.get()));
    auto told = b.wait_for(
        [](xmpp_stanza_t* s) {
            return presence_from(occupant("circle", "bob"))(s) && user_x(s) &&
                   stanza_child(user_x(s), "destroy", ns_user);
        },
        "the destroy at bob");
    xmpp_stanza_t* destroy = stanza_child(user_x(told.get()), "destroy", ns_user);
    require(stanza_attribute(told.get(), "type") == "unavailable" &&
                stanza_attribute(destroy, "jid") == room("square") &&
                stanza_content(stanza_child(destroy, "reason", ns_user)) == "moved",
            "the destroy presence: " + stanza_text(told.get()));
    auto gone = a.request("<iq type='get' id='d2' to='" + room("circle") +
                              "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                          "d2");
    require(stanza_error_condition(gone.get()) == "item-not-found",
            "the destroyed room: " + stanza_text(gone.get()));
}

}  // namespace starling::scenarios
