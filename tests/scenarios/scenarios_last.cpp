// mod_last (XEP-0012): uptime of the server, idle time of an online user and the time since an
// offline user's logout with its status, only for the user and the user's presence subscribers.
#include "presence_checks.hpp"
#include "test_accounts.hpp"

namespace starling::scenarios {
namespace {

std::string last_get(const std::string& to, const std::string& id) {
    return "<iq type='get' to='" + to + "' id='" + id + "'><query xmlns='jabber:iq:last'/></iq>";
}

// The seconds of a result, which must be a small whole number.
int seconds_of(xmpp_stanza_t* reply, const std::string& what) {
    require(stanza_attribute(reply, "type") == "result", what + ": " + stanza_text(reply));
    xmpp_stanza_t* query = stanza_child(reply, "query", "jabber:iq:last");
    require(query != nullptr, what + ": no query: " + stanza_text(reply));
    const std::string seconds = stanza_attribute(query, "seconds");
    require(!seconds.empty() && seconds.find_first_not_of("0123456789") == std::string::npos,
            what + ": seconds '" + seconds + "'");
    return std::stoi(seconds);
}

}  // namespace

STARLING_SCENARIO(last_activity_allowed_and_forbidden) {
    server_fixture server(options);
    server.modules = "[disco, ping, roster, presence, last]";
    server.write_config();
    start_with_accounts(server);
    const std::string b_phone = std::string(bob.jid) + "/phone";
    strophe_client b(b_phone, bob.password, server.c2s_port());
    b.login();
    go_online(b);

    const int uptime = seconds_of(b.request(last_get("example.test", "up"), "up").get(), "uptime");
    require(uptime < 120, "uptime of a server started just now: " + std::to_string(uptime));

    {
        strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
        a.login();
        go_online(a);
        auto refused = b.request(last_get(alice.jid, "no"), "no");
        require(stanza_error_condition(refused.get()) == "forbidden",
                "a non-subscriber asked: " + stanza_text(refused.get()));

        b.send("<presence to='a@example.test' type='subscribe'/>");
        a.wait_for(presence_from(bob.jid, "subscribe"), "b's request");
        a.send("<presence to='b@example.test' type='subscribed'/>");
        b.wait_for(presence_from(alice.jid, "subscribed"), "a's approval");
        const int idle = seconds_of(b.request(last_get(alice.jid, "on"), "on").get(), "online");
        require(idle <= 5, "idle seconds of an active session: " + std::to_string(idle));
        const int own = seconds_of(a.request(last_get(alice.jid, "me"), "me").get(), "own");
        require(own <= 5, "own idle seconds: " + std::to_string(own));
        a.send("<presence type='unavailable'><status>gone fishing</status></presence>");
    }
    b.wait_for(presence_from(std::string(alice.jid) + "/desk", "unavailable"), "a's logout");
    auto offline = b.request(last_get(alice.jid, "off"), "off");
    const int since = seconds_of(offline.get(), "offline");
    require(since <= 5, "seconds since logout: " + std::to_string(since));
    require_stanza(offline.get(),
                   "<iq from='a@example.test' to='b@example.test/phone' type='result'>"
                   "<query seconds='" +
                       std::to_string(since) + "' xmlns='jabber:iq:last'>gone fishing</query></iq>",
                   "the offline answer carries the logout status");
}

}  // namespace starling::scenarios
