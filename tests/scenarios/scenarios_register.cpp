// XEP-0077 In-Band Registration: creating an account before logging in, changing its password
// and removing it afterwards.
#include "raw_session.hpp"
#include "scenario.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

namespace starling::scenarios {
namespace {

constexpr const char* ns_register = "jabber:iq:register";
constexpr const char* open_registration =
    "\n  - disco\n  - ping\n  - register: {allow_registration: true, registrations_per_ip: 2}";

std::string register_iq(const std::string& id, const std::string& user, const std::string& password) {
    return "<iq type='set' id='" + id + "'><query xmlns='jabber:iq:register'><username>" + user +
           "</username><password>" + password + "</password></query></iq>";
}

/// The condition of an iq error reply, "" for a result.
std::string iq_outcome(const xml_element& reply) {
    if (reply.attribute("type") == "result") return "";
    const auto* error = reply.child("error", "");
    return error ? error_condition(*error) : "no error element";
}

/// Opens a stream, does STARTTLS, and sends one registration request; returns the reply.
xml_element try_register(const server_fixture& server, const std::string& id, const std::string& user,
                         const std::string& password) {
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    session.stream().send(register_iq(id, user, password));
    auto reply = session.stream().expect_element("iq", ns::client);
    require(reply.attribute("id") == id, "reply to another iq: " + reply.to_string());
    return reply;
}

}  // namespace

STARLING_SCENARIO(register_new_account_then_log_in) {
    server_fixture server(options);
    server.modules = open_registration;
    server.write_config();
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    require(session.features().child("register", "http://jabber.org/features/iq-register") != nullptr,
            "no register stream feature: " + session.features().to_string());
    session.stream().send("<iq type='get' id='form'><query xmlns='jabber:iq:register'/></iq>");
    auto form = session.stream().expect_element("iq", ns::client);
    const auto* query = form.child("query", ns_register);
    require(form.attribute("type") == "result" && query && query->child("username", ns_register) &&
                query->child("password", ns_register) && query->child("instructions", ns_register),
            "expected a form with instructions, username and password: " + form.to_string());
    session.stream().send(register_iq("reg", "carol", "carol-secret-3"));
    auto done = session.stream().expect_element("iq", ns::client);
    require(iq_outcome(done).empty() && done.attribute("id") == "reg", "registration failed: " + done.to_string());

    strophe_client carol("carol@example.test", "carol-secret-3", server.c2s_port());
    carol.login();
    require(carol.bound_jid().rfind("carol@example.test/", 0) == 0, "carol bound " + carol.bound_jid());
}

STARLING_SCENARIO(register_taken_username_is_conflict) {
    server_fixture server(options);
    server.modules = open_registration;
    server.write_config();
    start_with_accounts(server);
    auto reply = try_register(server, "dup", alice.localpart, "another-password");
    require(iq_outcome(reply) == "conflict", "expected conflict, got " + reply.to_string());
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();  // the existing account keeps its password
}

STARLING_SCENARIO(register_without_password_is_not_acceptable) {
    server_fixture server(options);
    server.modules = open_registration;
    server.write_config();
    start_with_accounts(server);
    auto reply = try_register(server, "nopw", "dave", "");
    require(iq_outcome(reply) == "not-acceptable", "expected not-acceptable, got " + reply.to_string());
}

STARLING_SCENARIO(register_closed_by_default_is_not_allowed) {
    server_fixture server(options);
    server.modules = "[disco, ping, register]";
    server.write_config();
    start_with_accounts(server);
    auto reply = try_register(server, "closed", "erin", "erin-secret");
    require(iq_outcome(reply) == "not-allowed", "expected not-allowed, got " + reply.to_string());
    const auto users = server.ctl({"users", "example.test"});
    require(users.out == "a@example.test\nb@example.test\n", "accounts changed: " + users.out);
}

STARLING_SCENARIO(register_without_module_needs_authentication) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    require(session.features().child("register", "http://jabber.org/features/iq-register") == nullptr,
            "register feature offered without the module: " + session.features().to_string());
    session.stream().send(register_iq("nomod", "frank", "frank-secret"));
    const auto condition = session.expect_stream_error();
    require(condition == "not-authorized", "expected not-authorized, got " + condition);
}

STARLING_SCENARIO(register_rate_limited_per_ip) {
    server_fixture server(options);
    server.modules = open_registration;
    server.write_config();
    start_with_accounts(server);
    require(iq_outcome(try_register(server, "r1", "user1", "secret-1")).empty(), "first registration failed");
    require(iq_outcome(try_register(server, "r2", "user2", "secret-2")).empty(), "second registration failed");
    auto third = try_register(server, "r3", "user3", "secret-3");
    require(iq_outcome(third) == "resource-constraint", "expected resource-constraint, got " + third.to_string());
}

STARLING_SCENARIO(register_password_change_and_account_removal) {
    server_fixture server(options);
    server.modules = open_registration;
    server.write_config();
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.login("SCRAM-SHA-256", alice.localpart, alice.password, "reg");
    session.stream().send(register_iq("pw", alice.localpart, "alice-new-secret"));
    auto changed = session.stream().expect_element("iq", ns::client);
    require(iq_outcome(changed).empty(), "password change failed: " + changed.to_string());
    // Changing someone else's password is refused.
    session.stream().send(register_iq("pw-other", bob.localpart, "stolen"));
    auto other = session.stream().expect_element("iq", ns::client);
    require(iq_outcome(other) == "bad-request", "expected bad-request, got " + other.to_string());

    strophe_client fresh(alice.jid, "alice-new-secret", server.c2s_port());
    fresh.login();
    strophe_client old(alice.jid, alice.password, server.c2s_port());
    require(!old.try_login(), "the old password still works");

    session.stream().send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>");
    auto removed = session.stream().expect_element("iq", ns::client);
    require(iq_outcome(removed).empty() && removed.attribute("id") == "rm", "removal failed: " + removed.to_string());
    const auto condition = session.expect_stream_error();
    require(condition == "not-authorized", "the removed account's stream got " + condition);
    require(fresh.wait_disconnected(), "the removed account's other session is still connected");
    const auto users = server.ctl({"users", "example.test"});
    require(users.out == "b@example.test\n", "accounts after removal: " + users.out);
}

}  // namespace starling::scenarios
