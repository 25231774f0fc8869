// An outgoing server-to-server stream made bidirectional (XEP-0288), against a scripted
// receiving server: it offers <bidi/> after TLS, our server asks for it before SASL EXTERNAL,
// and from then on the peer's users' stanzas come back on our stream, checked as an incoming
// stream's are: one from a domain the stream did not authenticate ends it with <invalid-from/>.
#include "client_steps.hpp"
#include "scripted_s2s_peer.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <string>

namespace starling::scenarios {

STARLING_SCENARIO(s2s_out_bidirectional_stream_takes_the_peers_stanzas) {
    home_with_scripted_remote setup(options);
    auto& remote = setup.peer;
    auto& home = setup.home;
    auto& a = *setup.alice_client;

    a.send("<message to='bob@remote.test' id='out-1' type='chat'><body>first</body></message>");
    run_strophe_for(std::chrono::milliseconds(100));  // libstrophe writes from its event loop
    remote.accept(false, true);
    auto& peer = remote.stream();
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
                listed.out.find("\tsm off\tbidi\n") != std::string::npos,
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
