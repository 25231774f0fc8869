// XEP-0049 private XML storage through mod_private: set and get by namespace, nothing for anyone
// but the owner, and the reserved namespaces refused.
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"

namespace starling::scenarios {

STARLING_SCENARIO(private_storage_set_get_and_forbidden) {
    server_fixture server(options);
    server.modules = "[disco, ping, private]";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();

    auto set = a.request("<iq type='set' id='p1'><query xmlns='jabber:iq:private'>"
                         "<exodus xmlns='exodus:prefs'><defaultnick>Hamlet</defaultnick>"
                         "</exodus></query></iq>",
                         "p1");
    require(stanza_attribute(set.get(), "type") == "result", "set: " + stanza_text(set.get()));

    auto got = a.request("<iq type='get' id='p2'><query xmlns='jabber:iq:private'>"
                         "<exodus xmlns='exodus:prefs'/></query></iq>",
                         "p2");
    const std::string text = stanza_text(got.get());
    require(stanza_attribute(got.get(), "type") == "result", "get: " + text);
    xmpp_stanza_t* query = stanza_child(got.get(), "query", "jabber:iq:private");
    xmpp_stanza_t* exodus = query ? stanza_child(query, "exodus", "exodus:prefs") : nullptr;
    xmpp_stanza_t* nick = exodus ? stanza_child(exodus, "defaultnick", "exodus:prefs") : nullptr;
    require(nick && stanza_content(nick) == "Hamlet", "stored element: " + text);

    // Another namespace is another document: nothing stored there yet, so it comes back empty.
    auto other = a.request("<iq type='get' id='p3'><query xmlns='jabber:iq:private'>"
                           "<storage xmlns='storage:bookmarks'/></query></iq>",
                           "p3");
    xmpp_stanza_t* other_query = stanza_child(other.get(), "query", "jabber:iq:private");
    xmpp_stanza_t* storage =
        other_query ? stanza_child(other_query, "storage", "storage:bookmarks") : nullptr;
    require(storage && xmpp_stanza_get_children(storage) == nullptr,
            "expected an empty element: " + stanza_text(other.get()));

    for (const char* type : {"get", "set"}) {
        auto forbidden = b.request(std::string("<iq type='") + type + "' id='p4' to='" +
                                       alice.jid +
                                       "'><query xmlns='jabber:iq:private'>"
                                       "<exodus xmlns='exodus:prefs'/></query></iq>",
                                   "p4");
        require(stanza_error_condition(forbidden.get()) == "forbidden",
                std::string(type) + " of another's: " + stanza_text(forbidden.get()));
    }

    for (const char* ns : {"jabber:client", "jabber:server", "jabber:iq:private"}) {
        auto refused = a.request(std::string("<iq type='set' id='p5'><query "
                                             "xmlns='jabber:iq:private'><x xmlns='") +
                                     ns + "'/></query></iq>",
                                 "p5");
        require(stanza_error_condition(refused.get()) == "not-acceptable",
                std::string(ns) + " accepted: " + stanza_text(refused.get()));
    }
}

}  // namespace starling::scenarios
