// An outgoing server-to-server stream made bidirectional (XEP-0288), against a scripted
// receiving server: it offers <bidi/> after TLS, our server asks for it before SASL EXTERNAL,
// and from then on the peer's users' stanzas come back on our stream, checked as an incoming
// stream's are: one from a domain the stream did not authenticate ends it with <invalid-from/>.
#include "client_steps.hpp"
#include "free_port.hpp"
#include "raw_session.hpp"
#include "raw_stream.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <string>

namespace starling::scenarios {
namespace {

// The receiving server's answer to a header from example.test: its own header, then `features`.
std::string answer(const std::string& id, const std::string& features) {
    return "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' "
           "id='" +
           id + "' from='remote.test' to='example.test' version='1.0'><stream:features>" +
           features + "</stream:features>";
}

void expect_header_from_us(raw_stream& peer) {
    const auto& header = peer.expect_header();
    require(header.attribute("from") == "example.test" && header.attribute("to") == "remote.test",
            "wrong s2s header: " + header.to_string());
}

}  // namespace

STARLING_SCENARIO(s2s_out_bidirectional_stream_takes_the_peers_stanzas) {
    temp_dir pki;
    const auto ca = make_test_ca(pki.path());
    const auto remote = make_signed_certificate(pki.path(), ca, "remote.test");
    loopback_listener remote_server;
    server_fixture home(options, {main_host, other_host, &ca});
    home.extra_listen +=
        "  - {type: s2s, address: 127.0.0.1, port: " + std::to_string(free_loopback_port()) + "}\n";
    home.extra_config += "s2s:\n  ca_file: \"" + ca.certificate +
                         "\"\n  hosts: {remote.test: \"127.0.0.1:" +
                         std::to_string(remote_server.port()) + "\"}\n";
    home.write_config();
    home.add_account(alice.jid, alice.password);
    home.start();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, home.c2s_port());
    a.login();

    a.send("<message to='bob@remote.test' id='out-1' type='chat'><body>first</body></message>");
    run_strophe_for(std::chrono::milliseconds(100));  // libstrophe writes from its event loop
    raw_stream peer(remote_server, std::chrono::seconds(10));
    expect_header_from_us(peer);
    peer.send(answer("s1", "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"));
    peer.expect_element("starttls", ns::tls);
    peer.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    peer.accept_tls(remote);
    peer.restart_stream();
    expect_header_from_us(peer);
    peer.send(answer("s2",
                     "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL"
                     "</mechanism></mechanisms><bidi xmlns='urn:xmpp:features:bidi'/>"));
    // XEP-0288 §2.2: asked for before authentication.
    peer.expect_element("bidi", "urn:xmpp:bidi");
    const auto auth = peer.expect_element("auth", ns::sasl);
    require(auth.attribute("mechanism") == "EXTERNAL", "not EXTERNAL: " + auth.to_string());
    peer.send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    peer.restart_stream();
    expect_header_from_us(peer);
    peer.send(answer("s3", ""));
    const auto first = peer.expect_element("message", "jabber:server");
    require(first.attribute("id") == "out-1" && first.attribute("from") == a.bound_jid(),
            "alice's message did not arrive as sent: " + first.to_string());

    // bob answers on our stream: it reaches alice, from bob.
    peer.send("<message from='bob@remote.test/pc' to='" + a.bound_jid() +
              "' id='back-1' type='chat'><body>back on your stream</body></message>");
    const auto back = a.wait_for(stanza_named("message", "back-1"), "bob's answer");
    require(stanza_attribute(back.get(), "from") == "bob@remote.test/pc" &&
                stanza_text(back.get()).find("back on your stream") != std::string::npos,
            "bob's answer is not as he sent it: " + stanza_text(back.get()));
    const auto listed = home.ctl({"s2s"});
    require(listed.out.find("out\texample.test -> remote.test\t127.0.0.1:") != std::string::npos &&
                listed.out.find("\tready\tEXTERNAL\tTLSv1.") != std::string::npos &&
                listed.out.find("\tbidi\tqueued 0") != std::string::npos,
            "starlingctl s2s does not show the bidirectional stream:\n" + listed.out);

    // The peer may only speak for remote.test (RFC 6120 §4.9.3.9), to example.test.
    peer.send("<message from='eve@evil.test' to='" + a.bound_jid() +
              "' id='forged' type='chat'><body>spoofed</body></message>");
    const auto error = peer.expect_element("error", ns::streams);
    require(error_condition(error) == "invalid-from",
            "a forged 'from' on our stream was not refused: " + error.to_string());
    require(peer.wait_closed(), "the stream did not close after its error");
    require_nothing(a, stanza_named("message", "forged"), "the forged message arrived");
}

}  // namespace starling::scenarios
