// Incoming server-to-server streams on an `s2s` listener, with a scripted peer server on a raw
// stream: STARTTLS is required, SASL EXTERNAL is offered only to a certificate that a private
// test CA signed for the domain the peer names, and once authenticated its stanzas reach our
// users; a stanza from another domain or to a domain not served here ends the stream with the
// RFC 6120 condition. Server Dialback (XEP-0220) is offered instead where the certificate does
// not prove the domain: a forged key is refused once the domain's own server disowns it, and
// answers nobody asked for are refused outright. A peer that asks for a bidirectional stream
// (XEP-0288) gets our stanzas for its domain on it, with no stream of our own.
#include "client_steps.hpp"
#include "free_port.hpp"
#include "raw_session.hpp"
#include "scripted_s2s_peer.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <string>

namespace starling::scenarios {

STARLING_SCENARIO(s2s_in_certificate_authenticates_and_delivers) {
    server_fixture server(options);
    s2s_setup setup(server);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();

    scripted_server peer(setup.port);
    const auto plain = peer.open();
    const auto* starttls = plain.child("starttls", ns::tls);
    require(starttls && starttls->child("required", ns::tls) && !offers_external(plain),
            "STARTTLS is not required first: " + plain.to_string());
    const auto secured = peer.starttls(&setup.remote);
    require(offers_external(secured), "EXTERNAL not offered to a CA-signed certificate for " +
                                          std::string(remote_domain) + ": " + secured.to_string());
    const auto success = peer.external();
    require(success.name == "success", "EXTERNAL failed: " + success.to_string());
    peer.stream().restart_stream();
    const auto ready = peer.open();
    require(ready.children.size() == 1 && ready.child("sm", "urn:xmpp:sm:3"),
            "features after authentication, other than stream management: " + ready.to_string());

    // A stanza from the peer's user reaches ours, from that user.
    peer.stream().send("<message from='bob@remote.test/phone' to='" + a.bound_jid() +
                       "' id='s2s-1' type='chat'><body>across domains</body></message>");
    auto message = a.wait_for(stanza_named("message", "s2s-1"), "the message from remote.test");
    require(stanza_attribute(message.get(), "from") == "bob@remote.test/phone",
            "wrong sender: " + stanza_text(message.get()));
    require(stanza_text(message.get()).find("across domains") != std::string::npos,
            "the body did not arrive: " + stanza_text(message.get()));

    // A stanza from a domain the stream did not authenticate ends it (RFC 6120 §4.9.3.9).
    peer.stream().send("<message from='eve@evil.test' to='" + a.bound_jid() +
                       "' id='s2s-2' type='chat'><body>spoofed</body></message>");
    require(peer.expect_stream_error() == "invalid-from", "a spoofed 'from' was not refused");
    require_nothing(a, stanza_named("message", "s2s-2"), "the spoofed message arrived");
}

STARLING_SCENARIO(s2s_in_bidirectional_stream_carries_our_stanzas_to_the_peer) {
    server_fixture server(options);
    // remote.test's server, were it ever asked for, listens nowhere: only the peer's own stream
    // can carry alice's message.
    s2s_setup setup(server, ", hosts: {remote.test: \"127.0.0.1:" +
                                std::to_string(free_loopback_port()) + "\"}");
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();

    scripted_server peer(setup.port);
    const auto plain = peer.open();
    require(!plain.child("bidi", "urn:xmpp:features:bidi"),
            "bidi offered before TLS: " + plain.to_string());
    const auto secured = peer.starttls(&setup.remote);
    require(secured.child("bidi", "urn:xmpp:features:bidi") != nullptr,
            "bidi not offered after TLS: " + secured.to_string());
    // XEP-0288 §2.2: the request comes before authentication.
    peer.stream().send("<bidi xmlns='urn:xmpp:bidi'/>");
    const auto success = peer.external();
    require(success.name == "success", "EXTERNAL failed: " + success.to_string());
    peer.stream().restart_stream();
    peer.open();

    a.send("<message to='bob@remote.test/phone' id='bidi-1' type='chat'>"
           "<body>on your own stream</body></message>");
    run_strophe_for(std::chrono::milliseconds(100));  // libstrophe writes from its event loop
    const auto message = peer.stream().expect_element("message", "jabber:server");
    require(message.attribute("from") == a.bound_jid() &&
                message.attribute("to") == "bob@remote.test/phone" &&
                message.attribute("id") == "bidi-1" && message.child("body") &&
                message.child("body")->text == "on your own stream",
            "alice's message did not come on the peer's stream as sent: " + message.to_string());
    // The peer's user answers on the same stream, as on any incoming one.
    peer.stream().send("<message from='bob@remote.test/phone' to='" + a.bound_jid() +
                       "' id='bidi-2' type='chat'><body>and back</body></message>");
    a.wait_for(stanza_named("message", "bidi-2"), "bob's answer");
    const auto listed = server.ctl({"s2s"});
    require(listed.out.find("in\tremote.test -> example.test\t127.0.0.1:") != std::string::npos &&
                listed.out.find("\tqueued 0\tsm off\tbidi") != std::string::npos &&
                listed.out.find("out\t") == std::string::npos,
            "starlingctl s2s does not show one bidirectional stream:\n" + listed.out);

    // Once the peer closes the stream, a message for its domain needs a stream of ours, to a
    // server that is not there: it comes back to alice, nothing is lost.
    peer.stream().send("</stream:stream>");
    require(peer.stream().wait_closed(), "the stream did not close");
    a.send("<message to='bob@remote.test/phone' id='bidi-3' type='chat'><body>?</body></message>");
    const auto bounce = a.wait_for(stanza_named("message", "bidi-3"), "the bounce",
                                   std::chrono::seconds(15));
    require(stanza_attribute(bounce.get(), "type") == "error" &&
                stanza_error_condition(bounce.get()) == "remote-server-not-found",
            "no remote-server-not-found once the stream closed: " + stanza_text(bounce.get()));
}

STARLING_SCENARIO(s2s_in_refusals_have_the_conditions_of_the_rfc) {
    server_fixture server(options);
    s2s_setup setup(server);
    temp_dir elsewhere;  // the same file names as the CA-signed pair, so not beside it
    const auto stranger = make_self_signed_certificate(elsewhere.path(), remote_domain);
    start_with_accounts(server);

    {  // A domain not served here (RFC 6120 §4.9.3.6).
        raw_stream stream(setup.port);
        stream.send(server_header("elsewhere.test", remote_domain));
        stream.expect_header();
        auto error = stream.next_element(std::chrono::seconds(5));
        require(error && error_condition(*error) == "host-unknown",
                "no host-unknown for elsewhere.test: " + (error ? error->to_string() : "nothing"));
    }
    {  // No 'from': the certificate could not be checked against anything.
        raw_stream stream(setup.port);
        stream.send(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
            "xmlns:stream='http://etherx.jabber.org/streams' to='example.test' "
            "version='1.0'>");
        stream.expect_header();
        auto error = stream.next_element(std::chrono::seconds(5));
        require(error && error_condition(*error) == "invalid-from",
                "no invalid-from without 'from': " + (error ? error->to_string() : "nothing"));
    }
    {  // Authentication before TLS.
        scripted_server peer(setup.port);
        peer.open();
        peer.stream().send(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>");
        require(peer.expect_stream_error() == "policy-violation", "SASL before TLS was accepted");
    }
    {  // A self-signed certificate: nothing is offered, and EXTERNAL is refused.
        scripted_server peer(setup.port);
        peer.open();
        const auto features = peer.starttls(&stranger);
        require(!offers_external(features),
                "EXTERNAL offered to a self-signed certificate: " + features.to_string());
        const auto failure = peer.external();
        require(failure.name == "failure" && error_condition(failure) == "not-authorized",
                "EXTERNAL with a self-signed certificate: " + failure.to_string());
    }
    {  // No certificate at all.
        scripted_server peer(setup.port);
        peer.open();
        require(!offers_external(peer.starttls(nullptr)), "EXTERNAL offered without a certificate");
        // A stanza before authenticating ends the stream.
        peer.stream().send("<message from='bob@remote.test' to='a@example.test'/>");
        require(peer.expect_stream_error() == "not-authorized",
                "a stanza before authentication was not refused");
    }
    {  // Another domain as the authorization identity; then a stanza to a domain not served.
        scripted_server peer(setup.port);
        peer.open();
        peer.starttls(&setup.remote);
        const auto failure = peer.external("b3RoZXIudGVzdA==");  // "other.test"
        require(failure.name == "failure" && error_condition(failure) == "invalid-authzid",
                "EXTERNAL for another domain: " + failure.to_string());
        require(peer.external("cmVtb3RlLnRlc3Q=").name == "success",  // "remote.test"
                "EXTERNAL naming its own domain failed");
        peer.stream().restart_stream();
        peer.open();
        peer.stream().send("<message from='bob@remote.test' to='x@elsewhere.test'/>");
        require(peer.expect_stream_error() == "host-unknown",
                "a stanza for a domain not served here was not refused");
    }
}

STARLING_SCENARIO(s2s_in_expired_and_misnamed_certificates_prove_nothing) {
    // Both signed by the CA the server trusts: one expired, one for another name.
    server_fixture server(options);
    s2s_setup setup(server);
    temp_dir expired_dir, misnamed_dir;
    const auto expired = make_signed_certificate(expired_dir.path(), setup.ca, remote_domain, -1);
    const auto misnamed = make_signed_certificate(misnamed_dir.path(), setup.ca, "other.test");
    server.extra_config =
        "s2s:\n  ca_file: \"" + setup.ca.certificate + "\"\n  require_certificates: true\n";
    server.write_config();
    start_with_accounts(server);
    for (const auto* certificate : {&expired, &misnamed}) {
        const bool is_expired = certificate == &expired;
        const std::string which = is_expired ? "an expired" : "a misnamed";
        const auto mark = server.log_mark();
        scripted_server peer(setup.port);
        peer.open();
        const auto features = peer.starttls(certificate);
        // Neither EXTERNAL nor, with require_certificates, dialback is offered.
        require(!offers_external(features) &&
                    features.child("dialback", "urn:xmpp:features:dialback") == nullptr,
                "something offered to " + which + " certificate: " + features.to_string());
        const auto failure = peer.external();
        require(failure.name == "failure" && error_condition(failure) == "not-authorized",
                "EXTERNAL with " + which + " certificate: " + failure.to_string());
        peer.stream().send("<db:result from='remote.test' to='example.test'>00</db:result>");
        const auto refused = peer.stream().expect_element("result", "jabber:server:dialback");
        const auto* error = refused.child("error", "jabber:server");
        require(refused.attribute("type") == "error" && error &&
                    error_condition(*error) == "not-authorized",
                "dialback under require_certificates with " + which +
                    " certificate: " + refused.to_string());
        // The log says why, for the operator.
        server.wait_for_log(is_expired ? "certificate refused for remote.test: certificate not "
                                         "trusted: certificate has expired"
                                       : "certificate refused for remote.test: the certificate "
                                         "does not name remote.test",
                            mark);
    }
}

STARLING_SCENARIO(s2s_in_dialback_refuses_forged_keys_and_unsolicited_answers) {
    // remote.test's real server (authority), which the server under test asks about keys.
    temp_dir pki;
    const auto ca = make_test_ca(pki.path());
    server_fixture server(options);
    server_fixture authority(options, {remote_domain, "other-remote.test", &ca});
    const auto port = free_loopback_port();
    auto authority_port = free_loopback_port();
    while (authority_port == port) authority_port = free_loopback_port();
    server.extra_listen += listen_entry("s2s", port);
    server.extra_config +=
        "s2s:\n  ca_file: \"" + ca.certificate +
        "\"\n  hosts:\n    remote.test: \"127.0.0.1:" + std::to_string(authority_port) + "\"\n";
    server.write_config();
    authority.extra_listen += listen_entry("s2s", authority_port);
    authority.write_config();
    start_with_accounts(server);
    authority.start();
    const std::string db = "jabber:server:dialback";

    {  // A "valid" result nobody asked for (XEP-0220 §4.1) does not authenticate anything.
        scripted_server peer(port);
        peer.open();
        const auto features = peer.starttls(nullptr);
        require(features.child("dialback", "urn:xmpp:features:dialback") != nullptr,
                "dialback not offered to a peer without a certificate: " + features.to_string());
        peer.stream().send("<db:result from='remote.test' to='example.test' type='valid'/>");
        require(peer.expect_stream_error() == "policy-violation",
                "an unsolicited dialback result was not refused");
    }
    {  // A peer that ends its stream with an error gets the stream closed, not an error back.
        scripted_server peer(port);
        peer.open();
        peer.starttls(nullptr);
        peer.stream().send(
            "<stream:error><system-shutdown "
            "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
        auto answer = peer.stream().next_element(std::chrono::seconds(5));
        require(!answer, "the server answered a peer's stream error: " +
                             (answer ? answer->to_string() : std::string()));
        require(peer.stream().wait_closed(), "the server did not close after the peer's error");
    }
    {  // Nor does a verification answer on a stream we did not open.
        scripted_server peer(port);
        peer.open();
        peer.starttls(nullptr);
        peer.stream().send("<db:verify from='remote.test' to='example.test' id='x' type='valid'/>");
        require(peer.expect_stream_error() == "policy-violation",
                "an unsolicited dialback verification was not refused");
    }
    {  // As the Authoritative Server for example.test: a key it did not make is invalid; a
       // domain it does not serve, or a result for one, is a dialback error and the stream
       // goes on (XEP-0220 §2.4).
        scripted_server peer(port);
        peer.open();
        peer.starttls(nullptr);
        peer.stream().send(
            "<db:verify from='remote.test' to='example.test' id='abc'>0123abcd</db:verify>");
        const auto invalid = peer.stream().expect_element("verify", db);
        require(invalid.attribute("type") == "invalid" &&
                    invalid.attribute("from") == "example.test" &&
                    invalid.attribute("to") == "remote.test" && invalid.attribute("id") == "abc",
                "a key this server never made was not invalid: " + invalid.to_string());
        peer.stream().send(
            "<db:verify from='remote.test' to='nowhere.test' id='abc'>0123abcd</db:verify>");
        const auto unknown = peer.stream().expect_element("verify", db);
        const auto* error = unknown.child("error", "jabber:server");
        require(unknown.attribute("type") == "error" && error &&
                    error_condition(*error) == "item-not-found",
                "no item-not-found for a domain not served: " + unknown.to_string());
        peer.stream().send("<db:result from='remote.test' to='nowhere.test'>0123</db:result>");
        const auto result = peer.stream().expect_element("result", db);
        const auto* result_error = result.child("error", "jabber:server");
        require(result.attribute("type") == "error" && result_error &&
                    error_condition(*result_error) == "item-not-found",
                "no item-not-found for a result to a domain not served: " + result.to_string());
    }
    {  // A forged key for remote.test: its own server disowns it, so the answer is invalid
       // and the stream ends; nothing from remote.test gets in.
        strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
        a.login();
        scripted_server peer(port);
        peer.open();
        peer.starttls(nullptr);
        peer.stream().send("<db:result from='remote.test' to='example.test'>" +
                           std::string(64, 'a') + "</db:result>");
        const auto result = peer.stream().expect_element("result", db, std::chrono::seconds(15));
        require(result.attribute("type") == "invalid" &&
                    result.attribute("from") == "example.test" &&
                    result.attribute("to") == "remote.test",
                "a forged dialback key was not refused: " + result.to_string());
        require(peer.expect_stream_error() == "not-authorized",
                "the stream with a forged key did not end with not-authorized");
        peer.stream().try_send("<message from='mallory@remote.test' to='" + a.bound_jid() +
                               "' id='forged'><body>x</body></message>");
        require_nothing(a, stanza_named("message", "forged"), "a forged message arrived");
    }
}

}  // namespace starling::scenarios
