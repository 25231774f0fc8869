// Who may act on an account (issue 14, item 2): a request that changes an account is honoured
// only for that account's own authenticated session on its own host, or an admin's, never for a
// user of another host of the same server, nor for a component that writes its own 'from'.
#include "raw_session.hpp"
#include "scenario.hpp"
#include "scripted_component.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

namespace starling::scenarios {
namespace {

constexpr const char* component_domain = "gateway.example.test";
constexpr const char* component_secret = "gateway-secret";
// alice's namesake on the other host of the same server.
constexpr test_account other_alice{"a", "a@other.test", "other-alice-secret"};

/// The condition of an iq error reply, "" for a result.
std::string outcome_of(const xml_element& reply) {
    if (reply.attribute("type") == "result") return "";
    const auto* error = reply.child("error");
    return error ? error_condition(*error) : "no error element";
}

/// alice@example.test still logs in with her own password and no other.
void require_alice_untouched(const server_fixture& server, const std::string& tried_password) {
    strophe_client still(alice.jid, alice.password, server.c2s_port());
    still.login();
    strophe_client taken(alice.jid, tried_password, server.c2s_port());
    require(!taken.try_login(), "alice@example.test now logs in with " + tried_password);
    const auto users = server.ctl({"users", "example.test"});
    require(users.out == "a@example.test\nb@example.test\n", "accounts changed: " + users.out);
}

}  // namespace

// alice@other.test, logged in on the same server, addressed example.test's in-band
// registration: her username is example.test's alice's too, and the password change and the
// removal acted on a@example.test.
STARLING_SCENARIO(register_from_another_host_cannot_reset_a_password_or_remove_an_account) {
    server_fixture server(options);
    server.modules = "[disco, ping, register]";
    server.write_config();
    server.add_account(other_alice.jid, other_alice.password);
    start_with_accounts(server);

    raw_session other(server.c2s_port(), raw_session::transport::plain, other_host);
    other.open(other_host);
    other.login("SCRAM-SHA-256", other_alice.localpart, other_alice.password, "r");
    other.stream().send(
        "<iq type='set' to='example.test' id='pw'><query xmlns='jabber:iq:register'>"
        "<username>a</username><password>x</password></query></iq>");
    auto changed = other.stream().expect_element("iq", ns::client);
    require(changed.attribute("id") == "pw" && outcome_of(changed) == "not-authorized" &&
                changed.child("error")->attribute("type") == "modify",
            "a password change for another host's account: " + changed.to_string());
    other.stream().send(
        "<iq type='set' to='example.test' id='rm'>"
        "<query xmlns='jabber:iq:register'><remove/></query></iq>");
    auto removed = other.stream().expect_element("iq", ns::client);
    require(removed.attribute("id") == "rm" && outcome_of(removed) == "forbidden" &&
                removed.child("error")->attribute("type") == "cancel",
            "a removal of another host's account: " + removed.to_string());
    // To the account's bare JID instead of its server: the same answers.
    other.stream().send(
        "<iq type='set' to='a@example.test' id='pw2'><query xmlns='jabber:iq:register'>"
        "<username>a</username><password>x</password></query></iq>");
    auto bare = other.stream().expect_element("iq", ns::client);
    require(bare.attribute("id") == "pw2" && outcome_of(bare) == "not-authorized",
            "a password change sent to the account's bare JID: " + bare.to_string());

    require_alice_untouched(server, "x");
    // The one who asked keeps her own account on her own host.
    strophe_client herself(other_alice.jid, other_alice.password, server.c2s_port());
    herself.login();
}

// A component writes its own 'from' (any JID at its domain): a register set from
// a@gateway.example.test to example.test changed a@example.test's password.
STARLING_SCENARIO(register_set_from_a_component_is_refused) {
    server_fixture server(options);
    server.modules = "[disco, ping, register]";
    const auto port = add_component_listener(server, component_domain, component_secret);
    start_with_accounts(server);
    scripted_component component(port);
    component.connect(component_domain, component_secret);

    component.send(
        "<iq type='set' from='a@gateway.example.test' to='example.test' id='c1'>"
        "<query xmlns='jabber:iq:register'><username>a</username>"
        "<password>y</password></query></iq>");
    auto changed = component.expect("iq");
    require(changed.attribute("id") == "c1" && outcome_of(changed) == "not-authorized",
            "a component's password change: " + changed.to_string());
    component.send(
        "<iq type='set' from='a@gateway.example.test' to='example.test' id='c2'>"
        "<query xmlns='jabber:iq:register'><remove/></query></iq>");
    auto removed = component.expect("iq");
    require(removed.attribute("id") == "c2" && outcome_of(removed) == "forbidden",
            "a component's account removal: " + removed.to_string());
    require_alice_untouched(server, "y");
}

// The admins list is checked against 'from', which a component writes itself: with an admin
// named at a component's domain (a gateway's operator account, say), the component ran XEP-0133
// commands, such as changing a user's password, as that admin.
STARLING_SCENARIO(admin_commands_from_a_component_are_forbidden) {
    server_fixture server(options);
    server.modules = "[disco, ping, admin_adhoc]";
    const auto port = add_component_listener(server, component_domain, component_secret);
    server.extra_config += "admins: [boss@gateway.example.test]\n";
    server.write_config();
    start_with_accounts(server);
    scripted_component component(port);
    component.connect(component_domain, component_secret);

    component.send(
        "<iq type='set' from='boss@gateway.example.test/x' to='example.test' id='ad1'>"
        "<command xmlns='http://jabber.org/protocol/commands' "
        "node='http://jabber.org/protocol/admin#change-user-password' action='execute'/></iq>");
    auto reply = component.expect("iq");
    require(reply.attribute("id") == "ad1" && outcome_of(reply) == "forbidden",
            "an admin command from a component: " + reply.to_string());
    require_alice_untouched(server, "anything");
}

}  // namespace starling::scenarios
