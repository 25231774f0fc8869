// Federation policy between two Starlings: whom a server federates with (s2s.allow and
// s2s.deny, both directions, a domain covering its subdomains), how fast another domain may
// send (s2s.stanza_rate: its stream pauses, nothing is dropped), and how many outgoing streams
// may be open (s2s.max_outgoing_streams). What policy refuses comes back to its sender.
#include "client_steps.hpp"
#include "federation_fixture.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"

#include <set>
#include <string>

namespace starling::scenarios {
namespace {

// Sends `id` from `from` to `to`'s JID and returns the error that comes back.
stanza_ptr refused(strophe_client& from, const std::string& to, const std::string& id) {
    from.send("<message to='" + to + "' id='" + id + "' type='chat'><body>?</body></message>");
    auto bounce =
        from.wait_for(stanza_named("message", id), "the bounce of " + id, std::chrono::seconds(15));
    require(stanza_attribute(bounce.get(), "type") == "error",
            id + " was not refused: " + stanza_text(bounce.get()));
    return bounce;
}

}  // namespace

STARLING_SCENARIO(s2s_allow_and_deny_lists_refuse_both_ways) {
    for (const char* policy : {"  deny: [remote.test]\n", "  allow: [elsewhere.test]\n"}) {
        // home's policy excludes remote.test (away allows everyone).
        federation servers(options, "[disco, ping]", policy, federation::trust::certificates, "");
        strophe_client a(std::string(alice.jid) + "/desk", alice.password, servers.home.c2s_port());
        a.login();
        strophe_client c(std::string(carol_jid) + "/phone", carol_password,
                         servers.away.c2s_port());
        c.login();
        auto out = refused(a, c.bound_jid(), "out");
        require(stanza_error_condition(out.get()) == "policy-violation" &&
                    stanza_text(out.get()).find("does not federate with remote.test") !=
                        std::string::npos,
                std::string("no policy-violation going out (") + policy +
                    "): " + stanza_text(out.get()));
        // Incoming: home ends away's stream with <policy-violation/>, which away reports.
        auto in = refused(c, a.bound_jid(), "in");
        require(stanza_error_condition(in.get()) == "remote-server-not-found" &&
                    stanza_text(in.get()).find("policy-violation") != std::string::npos,
                std::string("no policy-violation coming in (") + policy +
                    "): " + stanza_text(in.get()));
        // The subdomain is covered too.
        auto room = refused(a, "room@conference.remote.test/alice", "sub");
        require(stanza_error_condition(room.get()) == "policy-violation",
                "a subdomain was not covered: " + stanza_text(room.get()));
    }
}

STARLING_SCENARIO(s2s_stanza_rate_pauses_the_stream_and_the_outgoing_cap_bounces) {
    // home takes 5 stanzas a second from remote.test, and opens one outgoing stream at most;
    // it offers no bidirectional streams, so its messages to remote.test need that one.
    federation servers(options, "[disco, ping]",
                       "  stanza_rate: 5\n  max_outgoing_streams: 1\n  bidi: false\n",
                       federation::trust::certificates, "");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, servers.home.c2s_port());
    a.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, servers.away.c2s_port());
    c.login();
    const auto mark = servers.home.log_mark();
    constexpr int count = 30;
    for (int i = 0; i < count; ++i)
        c.send("<message to='" + a.bound_jid() + "' id='r" + std::to_string(i) +
               "' type='chat'><body>" + std::to_string(i) + "</body></message>");
    // All arrive, in order, paced: the stream paused rather than dropping any.
    for (int i = 0; i < count; ++i)
        a.wait_for(stanza_named("message", "r" + std::to_string(i)),
                   "paced message " + std::to_string(i), std::chrono::seconds(20));
    servers.home.wait_for_log("over s2s.stanza_rate, reading paused", mark);

    // One outgoing stream (to remote.test) is open: a second domain has to wait.
    a.send("<message to='" + c.bound_jid() + "' id='first' type='chat'><body>1</body></message>");
    c.wait_for(stanza_named("message", "first"), "the message on the one stream");
    auto capped = refused(a, "x@unreachable.test", "capped");
    require(stanza_error_condition(capped.get()) == "resource-constraint" &&
                stanza_text(capped.get()).find("too many server-to-server streams") !=
                    std::string::npos,
            "the cap on outgoing streams did not bounce: " + stanza_text(capped.get()));
}

}  // namespace starling::scenarios
