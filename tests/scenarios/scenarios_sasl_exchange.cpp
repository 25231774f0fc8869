// A stored-secret lookup completes only the SASL exchange that started it. Reproduced before the
// fix: over TLS, in one write, <auth> for mallory with mallory's password, <abort/>, then <auth>
// for alice with mallory's password; the lookup of mallory's secret completed alice's exchange
// and the stream was bound as alice. Every mechanism is tried, each pipelined in one TLS record,
// with an <abort/> between the two <auth>s and without one.
#include "raw_session.hpp"
#include "scram_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <string>

namespace starling::scenarios {
namespace {

using std::chrono::seconds;

constexpr test_account mallory{"m", "m@example.test", "mallory-secret-3"};

struct mechanism_case {
    const char* mechanism;
    const char* binding_type;  // "" unless -PLUS
};

constexpr mechanism_case mechanisms[] = {
    {"PLAIN", ""},
    {"SCRAM-SHA-1", ""},
    {"SCRAM-SHA-256", ""},
    {"SCRAM-SHA-512", ""},
    {"SCRAM-SHA-1-PLUS", "tls-exporter"},
    {"SCRAM-SHA-256-PLUS", "tls-exporter"},
    {"SCRAM-SHA-512-PLUS", "tls-server-end-point"},
};

// Alice and mallory, and failures that do not lock the test out of its own accounts.
void start_server(server_fixture& server) {
    server.extra_config = "limits: {auth_failures: 1000}\n";
    server.write_config();
    server.add_account(mallory.jid, mallory.password);
    start_with_accounts(server);
}

// A STARTTLS session, negotiated up to the SASL step.
std::unique_ptr<raw_session> tls_session(server_fixture& server) {
    auto session = std::make_unique<raw_session>(server.c2s_port());
    session->open();
    session->starttls();
    return session;
}

std::string hash_of(const std::string& mechanism) {
    std::string hash = mechanism.substr(6);  // after "SCRAM-"
    if (hash.size() > 5 && hash.substr(hash.size() - 5) == "-PLUS") hash.resize(hash.size() - 5);
    return hash;
}

std::unique_ptr<scram_client> scram_for(raw_session& session, const mechanism_case& m,
                                        const test_account& user, const std::string& password) {
    const std::string binding = m.binding_type;
    return std::make_unique<scram_client>(
        hash_of(m.mechanism), user.localpart, password, binding,
        binding.empty() ? "" : session.channel_binding_data(binding));
}

std::string auth_element(const std::string& mechanism, const std::string& initial) {
    return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mechanism + "'>" +
           base64_encode(initial) + "</auth>";
}

std::string plain_response(const test_account& user, const std::string& password) {
    return std::string("\0", 1) + user.localpart + std::string("\0", 1) + password;
}

xml_element next_sasl(raw_session& session, const std::string& what) {
    auto e = session.stream().next_element(seconds(10));
    require(e.has_value(), "no answer where " + what + " was expected");
    require(e->ns == ns::sasl, "expected " + what + ", got " + e->to_string());
    return *e;
}

void require_failure(const xml_element& e, const std::string& condition, const std::string& m) {
    require(e.name == "failure" && e.child(condition, ns::sasl) != nullptr,
            m + ": expected <failure><" + condition + "/></failure>, got " + e.to_string());
}

// The value of attribute `key` (s, r, i) in a SCRAM server-first-message.
std::string scram_field(const std::string& message, char key) {
    const std::string prefix = std::string(1, key) + "=";
    std::size_t start = 0;
    while (start < message.size()) {
        std::size_t end = message.find(',', start);
        if (end == std::string::npos) end = message.size();
        if (message.compare(start, 2, prefix) == 0)
            return message.substr(start + 2, end - start - 2);
        start = end + 1;
    }
    return "";
}

// Alice's salt for this mechanism's hash, from an honest exchange that is then aborted.
std::string salt_of_alice(server_fixture& server, const mechanism_case& m) {
    auto session = tls_session(server);
    auto scram = scram_for(*session, m, alice, alice.password);
    session->stream().send(auth_element(m.mechanism, scram->first_message()));
    auto challenge = next_sasl(*session, "alice's server-first-message");
    require(challenge.name == "challenge", "alice's exchange: " + challenge.to_string());
    return scram_field(base64_decode(challenge.text), 's');
}

// <auth> as mallory, <abort/>, <auth> as alice with mallory's password: one write.
void abort_then_auth_as_alice(server_fixture& server, const mechanism_case& m) {
    const std::string name = m.mechanism;
    auto session = tls_session(server);
    if (name == "PLAIN") {
        session->stream().send(auth_element(name, plain_response(mallory, mallory.password)) +
                               "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" +
                               auth_element(name, plain_response(alice, mallory.password)));
        require_failure(next_sasl(*session, "the abort's failure"), "aborted", name);
        require_failure(next_sasl(*session, "alice's failure"), "not-authorized", name);
        return;
    }
    const std::string alice_salt = salt_of_alice(server, m);
    auto as_mallory = scram_for(*session, m, mallory, mallory.password);
    auto as_alice = scram_for(*session, m, alice, mallory.password);
    session->stream().send(auth_element(name, as_mallory->first_message()) +
                           "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" +
                           auth_element(name, as_alice->first_message()));
    require_failure(next_sasl(*session, "the abort's failure"), "aborted", name);
    auto challenge = next_sasl(*session, "alice's server-first-message");
    require(challenge.name == "challenge",
            name + ": expected a challenge, got " + challenge.to_string());
    const std::string server_first = base64_decode(challenge.text);
    require(scram_field(server_first, 's') == alice_salt,
            name + ": alice's exchange was answered with another account's salt: " + server_first);
    session->stream().send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
                           base64_encode(as_alice->final_message(server_first)) + "</response>");
    require_failure(next_sasl(*session, "the outcome of alice's exchange"), "not-authorized", name);
}

// <auth> as mallory and <auth> as alice (mallory's password), one write, no abort: the second
// is refused or waits; it never completes with mallory's secret.
void second_auth_while_pending(server_fixture& server, const mechanism_case& m) {
    const std::string name = m.mechanism;
    auto session = tls_session(server);
    if (name == "PLAIN") {
        session->stream().send(auth_element(name, plain_response(mallory, mallory.password)) +
                               auth_element(name, plain_response(alice, mallory.password)));
        auto outcome = next_sasl(*session, "mallory's outcome");
        require(outcome.name == "success", name + ": mallory's login: " + outcome.to_string());
        session->stream().restart_stream();
        session->open();
        const std::string bound = session->bind("desk");
        require(bound == std::string(mallory.jid) + "/desk",
                name + ": the stream was bound as " + bound + ", not as mallory");
        return;
    }
    auto as_mallory = scram_for(*session, m, mallory, mallory.password);
    auto as_alice = scram_for(*session, m, alice, mallory.password);
    const std::string mallory_first = as_mallory->first_message();
    session->stream().send(auth_element(name, mallory_first) +
                           auth_element(name, as_alice->first_message()));
    auto challenge = next_sasl(*session, "mallory's server-first-message");
    require(challenge.name == "challenge", name + ": " + challenge.to_string());
    const std::string mallory_nonce = scram_field(mallory_first, 'r');
    require(scram_field(base64_decode(challenge.text), 'r').rfind(mallory_nonce, 0) == 0,
            name + ": the challenge does not answer mallory's exchange: " +
                base64_decode(challenge.text));
    require_failure(next_sasl(*session, "the refusal of the second <auth>"), "malformed-request",
                    name);
    // The refusal ended mallory's exchange too: even its correct final message completes
    // nothing now.
    session->stream().send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
                           base64_encode(as_mallory->final_message(base64_decode(challenge.text))) +
                           "</response>");
    auto last = next_sasl(*session, "the answer to a response with no exchange");
    require(last.name == "failure", name + ": expected a failure, got " + last.to_string());
}

}  // namespace

STARLING_SCENARIO(sasl_abort_then_auth_does_not_inherit_the_pending_lookup) {
    server_fixture server(options);
    start_server(server);
    for (const auto& m : mechanisms) abort_then_auth_as_alice(server, m);
    // Alice's own password still works, on a fresh stream.
    auto session = tls_session(server);
    require(session->login("SCRAM-SHA-256", alice.localpart, alice.password, "laptop") ==
                std::string(alice.jid) + "/laptop",
            "alice cannot log in afterwards");
}

STARLING_SCENARIO(sasl_second_auth_while_lookup_pending_never_completes_as_another_account) {
    server_fixture server(options);
    start_server(server);
    for (const auto& m : mechanisms) second_auth_while_pending(server, m);
}

}  // namespace starling::scenarios
