// Stream behaviour over time and under misuse: version negotiation, the pre-authentication
// timeout, whitespace keepalives, a quiet stream's released parser, legacy session
// establishment, idle pings from the server, SASL throttling, and the errors the router returns
// for stanzas it cannot deliver.
#include "raw_session.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <thread>

namespace starling::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

void require_condition(const std::string& got, const std::string& expected) {
    require(got == expected, "expected stream error <" + expected + "/>, got <" + got + "/>");
}

// Opens a stream with `header` and expects the server's header followed by `condition`.
void header_refused(const runner_options& options, const std::string& header,
                    const std::string& condition) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.stream().send(header);
    session.stream().expect_header();
    require_condition(session.expect_stream_error(), condition);
}

std::string header_with_version(const std::string& version_attribute) {
    return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams' to='example.test'" +
           version_attribute + " xml:lang='en'>";
}

// A ping iq to the server on a raw stream; requires its result.
void require_raw_ping(raw_stream& stream, const std::string& id) {
    stream.send("<iq type='get' id='" + id +
                "' to='example.test'><ping xmlns='urn:xmpp:ping'/></iq>");
    auto reply = stream.expect_element("iq", ns::client);
    require(reply.attribute("id") == id && reply.attribute("type") == "result",
            "expected the result of ping " + id + ", got " + reply.to_string());
}

bool is_server_ping(const xml_element& element, const std::string& full_jid) {
    return element.name == "iq" && element.ns == ns::client &&
           element.attribute("type") == "get" && element.attribute("from") == "example.test" &&
           element.attribute("to") == full_jid && !element.attribute("id").empty() &&
           element.children.size() == 1 && element.child("ping", ns::ping) != nullptr;
}

xml_element plain_attempt(const server_fixture& server, const std::string& username,
                          const std::string& password) {
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    return session.authenticate("PLAIN", username, password);
}

void require_sasl_failure(const xml_element& result, const std::string& condition) {
    require(result.name == "failure" && result.ns == ns::sasl &&
                result.child(condition, ns::sasl) != nullptr,
            "expected a SASL failure <" + condition + "/>, got " + result.to_string());
}

// Sends `stanza` from a logged-in alice and expects an error reply with `id` and `condition`.
void bounced(const runner_options& options, const std::string& stanza, const std::string& name,
             const std::string& id, const std::string& condition, const std::string& from) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    a.send(stanza);
    auto reply = a.wait_for(stanza_named(name, id), "the error reply to " + id);
    require(stanza_attribute(reply.get(), "type") == "error",
            "expected an error reply: " + stanza_text(reply.get()));
    require(stanza_error_condition(reply.get()) == condition,
            "expected <" + condition + "/>: " + stanza_text(reply.get()));
    require(stanza_attribute(reply.get(), "from") == from,
            "the error is not from " + from + ": " + stanza_text(reply.get()));
    require(stanza_attribute(reply.get(), "to") == a.bound_jid(),
            "the error is not addressed to the sender: " + stanza_text(reply.get()));
    require(a.connected(), "the bounce ended the stream");
}

}  // namespace

STARLING_SCENARIO(stream_version_2_unsupported) {
    header_refused(options, header_with_version(" version='2.0'"), "unsupported-version");
}

STARLING_SCENARIO(stream_version_missing_unsupported) {
    header_refused(options, header_with_version(""), "unsupported-version");
}

STARLING_SCENARIO(preauth_timeout_connection_timeout) {
    server_fixture server(options);
    server.extra_config = "limits: {preauth_timeout: 2s}\n";
    server.write_config();
    start_with_accounts(server);
    const auto began = clock_type::now();
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    require_condition(session.expect_stream_error(seconds(8)), "connection-timeout");
    const auto waited = clock_type::now() - began;
    require(waited >= milliseconds(1500),
            "closed after " +
                std::to_string(std::chrono::duration_cast<milliseconds>(waited).count()) +
                " ms, before the 2 s timeout");
    // An authenticated stream is not subject to it. The pause is the test: longer than the
    // timeout, with the stream idle.
    raw_session bound(server.c2s_port());
    bound.login("PLAIN", alice.localpart, alice.password, "late");
    std::this_thread::sleep_for(milliseconds(3000));
    require_raw_ping(bound.stream(), "after-preauth-timeout");
}

STARLING_SCENARIO(whitespace_keepalives_between_stanzas) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.login("SCRAM-SHA-256", alice.localpart, alice.password, "ws");
    require_raw_ping(session.stream(), "before-ws");
    // Keepalives come apart in time, each in a read of its own: the pauses are the test.
    for (int i = 0; i < 3; ++i) {
        session.stream().send(" ");
        std::this_thread::sleep_for(milliseconds(300));
    }
    session.stream().send("\n \t ");
    require_raw_ping(session.stream(), "after-ws");
    session.stream().expect_silence(milliseconds(300), "the server answered whitespace");
}

// A stream quiet for 2 s gives back its parser (and TLS its buffers); the next bytes rebuild it
// from the stream's own start tag. A stanza then arriving in two pieces must parse as one.
STARLING_SCENARIO(quiet_stream_works_after_its_parser_is_released) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.login("SCRAM-SHA-256", alice.localpart, alice.password, "quiet");
    require_raw_ping(session.stream(), "before-quiet");
    // Released at the first check (every 2 s) once quiet for 2 s: by 4 s at the latest. The
    // quiet spells are the test, and so is the pause that splits the stanza into two reads.
    std::this_thread::sleep_for(milliseconds(4500));
    session.stream().send("<iq type='get' id='after-quiet' to='exam");
    std::this_thread::sleep_for(milliseconds(200));
    session.stream().send("ple.test'><ping xmlns='urn:xmpp:ping'/></iq>");
    auto reply = session.stream().expect_element("iq", ns::client);
    require(reply.attribute("id") == "after-quiet" && reply.attribute("type") == "result",
            "expected the result of the ping sent after the quiet spell, got " + reply.to_string());
    std::this_thread::sleep_for(milliseconds(4500));
    require_raw_ping(session.stream(), "after-second-quiet");
}

STARLING_SCENARIO(legacy_session_iq_after_bind) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.login("PLAIN", alice.localpart, alice.password, "legacy");
    session.stream().send(
        "<iq type='set' id='sess-1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
    auto reply = session.stream().expect_element("iq", ns::client);
    require(reply.attribute("type") == "result" && reply.attribute("id") == "sess-1" &&
                reply.children.empty(),
            "expected an empty result for the session iq, got " + reply.to_string());
    require_raw_ping(session.stream(), "after-session");
}

STARLING_SCENARIO(idle_ping_answered_stays_unanswered_times_out) {
    server_fixture server(options);
    server.modules = "\n  - disco\n  - ping: {idle_interval: 2s, timeout: 2s}\n  - version";
    server.write_config();
    start_with_accounts(server);
    raw_session answering(server.c2s_port());
    raw_session silent(server.c2s_port());
    const std::string answering_jid =
        answering.login("PLAIN", alice.localpart, alice.password, "answers");
    const std::string silent_jid = silent.login("PLAIN", bob.localpart, bob.password, "silent");

    int answered = 0;
    bool silent_pinged = false;
    std::string silent_condition;
    const auto deadline = clock_type::now() + seconds(12);
    while (clock_type::now() < deadline && (silent_condition.empty() || answered < 2)) {
        if (auto element = answering.stream().next_element(milliseconds(100))) {
            require(is_server_ping(*element, answering_jid),
                    "expected an idle ping to " + answering_jid + ", got " +
                        element->to_string());
            answering.stream().send("<iq type='result' id='" + element->attribute("id") +
                                    "' to='example.test'/>");
            ++answered;
        }
        require(!answering.stream().reader().closed(), "the answering session was closed");
        if (!silent_condition.empty()) continue;
        if (auto element = silent.stream().next_element(milliseconds(100))) {
            if (!silent_pinged) {
                require(is_server_ping(*element, silent_jid),
                        "expected an idle ping to " + silent_jid + ", got " +
                            element->to_string());
                silent_pinged = true;
                continue;
            }
            require(element->name == "error" && element->ns == ns::streams,
                    "expected a stream error on the silent session, got " +
                        element->to_string());
            silent_condition = error_condition(*element);
        }
    }
    require(silent_pinged, "the silent session was never pinged");
    require_condition(silent_condition, "connection-timeout");
    require(silent.stream().wait_closed(), "the silent session was not closed");
    require(answered >= 2, "the answering session got " + std::to_string(answered) +
                               " idle pings in 12 s, expected at least 2");
    require_raw_ping(answering.stream(), "still-alive");
}

STARLING_SCENARIO(auth_throttle_per_ip) {
    server_fixture server(options);
    server.extra_config = "limits: {auth_failures: 3}\n";
    server.write_config();
    start_with_accounts(server);
    // Wrong passwords for bob, one stream each, so only the per-IP count can block alice.
    for (int i = 0; i < 3; ++i)
        require_sasl_failure(plain_attempt(server, bob.localpart, "wrong-" + std::to_string(i)),
                             "not-authorized");
    require_sasl_failure(plain_attempt(server, alice.localpart, alice.password),
                         "temporary-auth-failure");
    raw_session scram(server.c2s_port());
    scram.open();
    scram.starttls();
    require_sasl_failure(scram.authenticate("SCRAM-SHA-256", alice.localpart, alice.password),
                         "temporary-auth-failure");
}

STARLING_SCENARIO(sasl_three_failures_policy_violation) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    for (int i = 0; i < 3; ++i)
        require_sasl_failure(session.authenticate("PLAIN", alice.localpart, "nope"),
                             "not-authorized");
    require_condition(session.expect_stream_error(), "policy-violation");
}

STARLING_SCENARIO(message_to_missing_local_account) {
    bounced(options,
            "<message type='chat' to='nobody@example.test' id='m-missing'><body>hi</body>"
            "</message>",
            "message", "m-missing", "service-unavailable", "nobody@example.test");
}

STARLING_SCENARIO(message_to_offline_account) {
    bounced(options,
            "<message type='chat' to='b@example.test' id='m-offline'><body>hi</body></message>",
            "message", "m-offline", "service-unavailable", "b@example.test");
}

STARLING_SCENARIO(message_to_remote_domain) {
    bounced(options,
            "<message type='chat' to='someone@elsewhere.test' id='m-remote'><body>hi</body>"
            "</message>",
            "message", "m-remote", "remote-server-not-found", "someone@elsewhere.test");
}

STARLING_SCENARIO(iq_with_two_payloads_bad_request) {
    bounced(options,
            "<iq type='get' to='example.test' id='iq-two'><ping xmlns='urn:xmpp:ping'/>"
            "<query xmlns='jabber:iq:version'/></iq>",
            "iq", "iq-two", "bad-request", "example.test");
}

}  // namespace starling::scenarios
