// XEP-0050 Ad-Hoc Commands with the XEP-0133 administration nodes: listing them, running each
// flow as an admin (alice), and refusing everyone else.
#include "scenario.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"

#include <set>
#include <vector>

namespace starling::scenarios {
namespace {

constexpr const char* ns_commands = "http://jabber.org/protocol/commands";
constexpr const char* admin = "http://jabber.org/protocol/admin#";

void start_with_admin(server_fixture& server) {
    server.modules = "[disco, ping, admin_adhoc]";
    server.extra_config = "admins: [a@example.test]\n";
    server.write_config();
    start_with_accounts(server);
}

struct form_field {
    std::string var;
    std::vector<std::string> values;
};

std::string fields_xml(const std::vector<form_field>& fields) {
    std::string xml = "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
                      "<value>http://jabber.org/protocol/admin</value></field>";
    for (const auto& f : fields) {
        xml += "<field var='" + f.var + "'>";
        for (const auto& v : f.values) xml += "<value>" + v + "</value>";
        xml += "</field>";
    }
    return xml + "</x>";
}

stanza_ptr command(strophe_client& c, const std::string& id, const std::string& node,
                   const std::string& attrs = "", const std::string& payload = "") {
    const std::string open = "<command xmlns='http://jabber.org/protocol/commands' node='" +
                             std::string(admin) + node + "' " + attrs;
    return c.request("<iq type='set' id='" + id + "' to='example.test'>" + open +
                         (payload.empty() ? "/>" : ">" + payload + "</command>") + "</iq>",
                     id);
}

xmpp_stanza_t* command_of(xmpp_stanza_t* reply) {
    auto* cmd = stanza_child(reply, "command", ns_commands);
    require(stanza_attribute(reply, "type") == "result" && cmd != nullptr,
            "expected a command result: " + stanza_text(reply));
    return cmd;
}

/// Executes `node` and returns the sessionid of the form it answers with.
std::string open_form(strophe_client& c, const std::string& node) {
    auto reply = command(c, "open-" + node, node, "action='execute'");
    auto* cmd = command_of(reply.get());
    require(stanza_attribute(cmd, "status") == "executing" &&
                !stanza_attribute(cmd, "sessionid").empty(),
            "expected an executing command with a sessionid: " + stanza_text(reply.get()));
    auto* x = stanza_child(cmd, "x", "jabber:x:data");
    require(x && stanza_attribute(x, "type") == "form", "no form: " + stanza_text(reply.get()));
    return stanza_attribute(cmd, "sessionid");
}

/// Submits a form and requires a completed command.
stanza_ptr submit(strophe_client& c, const std::string& node, const std::vector<form_field>& fields) {
    const auto sessionid = open_form(c, node);
    auto reply = command(c, "submit-" + node, node, "sessionid='" + sessionid + "'",
                         fields_xml(fields));
    auto* cmd = command_of(reply.get());
    require(stanza_attribute(cmd, "status") == "completed",
            "expected a completed command: " + stanza_text(reply.get()));
    auto* note = stanza_child(cmd, "note", ns_commands);
    require(note == nullptr || stanza_attribute(note, "type") != "error",
            "the command failed: " + stanza_text(reply.get()));
    return reply;
}

/// The values of a result form's field.
std::vector<std::string> result_values(xmpp_stanza_t* reply, const std::string& var) {
    auto* x = stanza_child(command_of(reply), "x", "jabber:x:data");
    require(x && stanza_attribute(x, "type") == "result", "no result form: " + stanza_text(reply));
    for (auto* f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        if (!xmpp_stanza_is_tag(f) || stanza_attribute(f, "var") != var) continue;
        std::vector<std::string> values;
        for (auto* v = xmpp_stanza_get_children(f); v; v = xmpp_stanza_get_next(v))
            if (xmpp_stanza_is_tag(v)) values.push_back(stanza_content(v));
        return values;
    }
    require(false, "no field " + var + ": " + stanza_text(reply));
    return {};
}

bool logs_in(server_fixture& server, const std::string& jid, const std::string& password) {
    strophe_client c(jid, password, server.c2s_port());
    return c.try_login();
}

void require_error(xmpp_stanza_t* reply, const std::string& condition, const char* app = nullptr) {
    require(stanza_attribute(reply, "type") == "error" && stanza_error_condition(reply) == condition,
            "expected <" + condition + "/>: " + stanza_text(reply));
    if (app)
        require(stanza_child(xmpp_stanza_get_child_by_name(reply, "error"), app, ns_commands),
                std::string("expected <") + app + "/>: " + stanza_text(reply));
}

}  // namespace

STARLING_SCENARIO(adhoc_admin_lists_commands) {
    server_fixture server(options);
    start_with_admin(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    auto reply = a.request("<iq type='get' id='l' to='example.test'><query xmlns="
                           "'http://jabber.org/protocol/disco#items' node='"
                           "http://jabber.org/protocol/commands'/></iq>", "l");
    auto* query = stanza_child(reply.get(), "query", "http://jabber.org/protocol/disco#items");
    require(query != nullptr, "no items: " + stanza_text(reply.get()));
    std::set<std::string> nodes;
    for (auto* i = xmpp_stanza_get_children(query); i; i = xmpp_stanza_get_next(i)) {
        if (!xmpp_stanza_is_tag(i)) continue;
        require(stanza_attribute(i, "jid") == "example.test" && !stanza_attribute(i, "name").empty(),
                "bad item: " + stanza_text(reply.get()));
        nodes.insert(stanza_attribute(i, "node"));
    }
    std::set<std::string> expected;
    for (const char* n : {"add-user", "delete-user", "change-user-password", "get-online-users-list",
                          "get-registered-users-num", "announce"})
        expected.insert(std::string(admin) + n);
    require(nodes == expected, "unexpected command list: " + stanza_text(reply.get()));
    auto info = a.request("<iq type='get' id='i' to='example.test'><query xmlns="
                          "'http://jabber.org/protocol/disco#info'/></iq>", "i");
    require(stanza_text(info.get()).find("var=\"http://jabber.org/protocol/commands\"") !=
                std::string::npos,
            "no commands feature: " + stanza_text(info.get()));
}

STARLING_SCENARIO(adhoc_non_admin_forbidden) {
    server_fixture server(options);
    start_with_admin(server);
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    auto items = b.request("<iq type='get' id='l' to='example.test'><query xmlns="
                           "'http://jabber.org/protocol/disco#items' node='"
                           "http://jabber.org/protocol/commands'/></iq>", "l");
    auto* query = stanza_child(items.get(), "query", "http://jabber.org/protocol/disco#items");
    require(query && xmpp_stanza_get_children(query) == nullptr,
            "a non-admin must see no commands: " + stanza_text(items.get()));
    auto reply = command(b, "x", "add-user", "action='execute'");
    require_error(reply.get(), "forbidden");
}

STARLING_SCENARIO(adhoc_add_user_then_log_in) {
    server_fixture server(options);
    start_with_admin(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    submit(a, "add-user", {{"accountjid", {"carol@example.test"}},
                           {"password", {"carol-secret-3"}},
                           {"password-verify", {"carol-secret-3"}}});
    require(logs_in(server, "carol@example.test", "carol-secret-3"), "carol cannot log in");
    const auto sessionid = open_form(a, "add-user");
    auto missing = command(a, "m", "add-user", "sessionid='" + sessionid + "'",
                           fields_xml({{"accountjid", {"dave@example.test"}}}));
    require_error(missing.get(), "bad-request", "bad-payload");
}

STARLING_SCENARIO(adhoc_delete_user) {
    server_fixture server(options);
    start_with_admin(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    submit(a, "delete-user", {{"accountjids", {bob.jid}}});
    require(!logs_in(server, bob.jid, bob.password), "bob still logs in after deletion");
    require(server.ctl({"users", "example.test"}).out == "a@example.test\n",
            "bob is still listed");
}

STARLING_SCENARIO(adhoc_change_user_password) {
    server_fixture server(options);
    start_with_admin(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    submit(a, "change-user-password", {{"accountjid", {bob.jid}}, {"password", {"bob-new-4"}}});
    require(!logs_in(server, bob.jid, bob.password), "the old password still works");
    require(logs_in(server, bob.jid, "bob-new-4"), "the new password does not work");
}

STARLING_SCENARIO(adhoc_online_users_and_count) {
    server_fixture server(options);
    start_with_admin(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    auto online = command(a, "o", "get-online-users-list", "action='execute'");
    auto jids = result_values(online.get(), "onlineuserjids");
    std::set<std::string> got(jids.begin(), jids.end());
    require(got == std::set<std::string>{a.bound_jid(), b.bound_jid()},
            "wrong online list: " + stanza_text(online.get()));
    auto count = command(a, "n", "get-registered-users-num", "action='execute'");
    require(result_values(count.get(), "registeredusersnum") == std::vector<std::string>{"2"},
            "wrong user count: " + stanza_text(count.get()));
}

STARLING_SCENARIO(adhoc_announce_reaches_online_users) {
    server_fixture server(options);
    start_with_admin(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    submit(a, "announce", {{"subject", {"Maintenance"}}, {"body", {"Down at noon"}}});
    auto message = b.wait_for([](xmpp_stanza_t* s) {
        return stanza_named("message")(s) && stanza_attribute(s, "from") == "example.test";
    }, "the announcement");
    auto* body = xmpp_stanza_get_child_by_name(message.get(), "body");
    auto* subject = xmpp_stanza_get_child_by_name(message.get(), "subject");
    require(body && stanza_content(body) == "Down at noon" && subject &&
                stanza_content(subject) == "Maintenance",
            "wrong announcement: " + stanza_text(message.get()));
}

STARLING_SCENARIO(adhoc_cancel_and_bad_sessionid) {
    server_fixture server(options);
    start_with_admin(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    const auto sessionid = open_form(a, "add-user");
    auto canceled = command(a, "c", "add-user", "sessionid='" + sessionid + "' action='cancel'");
    require(stanza_attribute(command_of(canceled.get()), "status") == "canceled",
            "expected canceled: " + stanza_text(canceled.get()));
    // The canceled session is gone: submitting to it is a bad sessionid.
    auto stale = command(a, "s", "add-user", "sessionid='" + sessionid + "'",
                         fields_xml({{"accountjid", {"carol@example.test"}},
                                     {"password", {"x-secret-5"}}, {"password-verify", {"x-secret-5"}}}));
    require_error(stale.get(), "bad-request", "bad-sessionid");
    require(!logs_in(server, "carol@example.test", "x-secret-5"), "a canceled command ran");
}

}  // namespace starling::scenarios
