// XEP-0086 legacy error codes on the stanza errors the server makes. Profanity 0.13 bootstraps
// its OMEMO device list only when fetching its own missing device-list node fails with
// code='404': without the code it never publishes one, and nobody can start a session with it.
#include "pep_steps.hpp"

namespace starling::scenarios {

STARLING_SCENARIO(pep_missing_devicelist_error_carries_legacy_code_404) {
    server_fixture server(options);
    server.modules = pep::pep_modules;
    server.write_config();
    start_with_accounts(server);
    const std::string a_bare = alice.jid;
    const std::string a_desk = a_bare + "/desk";
    strophe_client a(a_desk, alice.password, server.c2s_port());
    a.login();

    // What Profanity sends (omemo_devicelist_request): an items get to its own bare JID.
    const std::string node = "eu.siacs.conversations.axolotl.devicelist";
    auto reply = a.request("<iq type='get' id='devicelist' to='" + a_bare +
                               "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='" +
                               node + "'/></pubsub></iq>",
                           "devicelist");
    xmpp_stanza_t* error = xmpp_stanza_get_child_by_name(reply.get(), "error");
    require(error != nullptr && stanza_attribute(error, "type") == "cancel" &&
                stanza_attribute(error, "code") == "404",
            "Profanity's check, <error type='cancel' code='404'>: " + stanza_text(reply.get()));
    require(stanza_error_condition(reply.get()) == "item-not-found",
            "the condition: " + stanza_text(reply.get()));
    require_stanza(reply.get(),
                   "<iq from='" + a_bare + "' to='" + a_desk +
                       "' type='error'><error code='404' type='cancel'><item-not-found xmlns='" +
                       ns::stanza_errors + "'/></error></iq>",
                   "the whole error");

    // Other errors carry their codes too: a service the server does not offer (503), another
    // account's publish (403), a request that is not understood (400).
    auto unknown = a.request("<iq type='get' id='u1' to='example.test'><query "
                             "xmlns='urn:example:nothing'/></iq>",
                             "u1");
    require_stanza(unknown.get(),
                   "<iq from='example.test' to='" + a_desk +
                       "' type='error'><error code='503' type='cancel'><service-unavailable "
                       "xmlns='" +
                       ns::stanza_errors + "'/></error></iq>",
                   "an unknown namespace");
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    b.login();
    require_stanza(b.request(pep::publish_iq("x1", "urn:example:n", "i", "<n xmlns='urn:example:n'/>")
                                 .replace(0, 4, "<iq to='" + a_bare + "' "),
                             "x1")
                       .get(),
                   pep::iq_error(a_bare, b.bound_jid(), "auth", "forbidden"),
                   "a publish to another's node");
    require(pep::iq_error("", "x", "auth", "forbidden").find("code='403'") != std::string::npos,
            "the test's own table gives forbidden 403");
    require_stanza(a.request("<iq type='set' id='b1'><pubsub "
                             "xmlns='http://jabber.org/protocol/pubsub'/></iq>",
                             "b1")
                       .get(),
                   "<iq to='" + a_desk + "' type='error'><error code='400' type='modify'>"
                                         "<bad-request xmlns='" +
                       ns::stanza_errors + "'/></error></iq>",
                   "a pubsub set with no request");
}

}  // namespace starling::scenarios
