// Logging in: STARTTLS and direct TLS with libstrophe, and every SASL mechanism forced one at a
// time through a raw session, plus the ways a login must be refused.
#include "raw_session.hpp"
#include "scram_client.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

namespace starling::scenarios {
namespace {

void require_bound_to(const std::string& bound, const std::string& full_jid) {
    require(bound == full_jid, "bound " + bound + ", expected " + full_jid);
}

void login_with(const std::string& mechanism, const std::string& binding_type,
                const runner_options& options) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    require(session.offers_mechanism(mechanism),
            mechanism + " not offered after STARTTLS: " + session.features().to_string());
    auto result = session.authenticate(mechanism, alice.localpart, alice.password, binding_type);
    require(result.name == "success" && result.ns == ns::sasl,
            mechanism + " login failed: " + result.to_string());
    require_bound_to(session.bind("laptop"), std::string(alice.jid) + "/laptop");
}

struct mechanism_case {
    const char* scenario_name;
    const char* mechanism;
    const char* binding_type;
};

constexpr mechanism_case mechanism_cases[] = {
    {"sasl_plain", "PLAIN", ""},
    {"sasl_scram_sha_1", "SCRAM-SHA-1", ""},
    {"sasl_scram_sha_256", "SCRAM-SHA-256", ""},
    {"sasl_scram_sha_512", "SCRAM-SHA-512", ""},
    {"sasl_scram_sha_1_plus_tls_exporter", "SCRAM-SHA-1-PLUS", "tls-exporter"},
    {"sasl_scram_sha_256_plus_tls_exporter", "SCRAM-SHA-256-PLUS", "tls-exporter"},
    {"sasl_scram_sha_512_plus_tls_exporter", "SCRAM-SHA-512-PLUS", "tls-exporter"},
    {"sasl_scram_sha_1_plus_tls_server_end_point", "SCRAM-SHA-1-PLUS", "tls-server-end-point"},
    {"sasl_scram_sha_256_plus_tls_server_end_point", "SCRAM-SHA-256-PLUS",
     "tls-server-end-point"},
    {"sasl_scram_sha_512_plus_tls_server_end_point", "SCRAM-SHA-512-PLUS",
     "tls-server-end-point"},
};

// One scenario per mechanism, so a report names the mechanism that broke.
[[maybe_unused]] const bool mechanism_scenarios_registered = [] {
    for (const auto& each : mechanism_cases) {
        scenario_registration{each.scenario_name, [each](const runner_options& options) {
                                  login_with(each.mechanism, each.binding_type, options);
                              }};
    }
    return true;
}();

void require_refused(const xml_element& result, const std::string& condition) {
    require(result.name == "failure" && result.ns == ns::sasl,
            "expected a SASL failure, got " + result.to_string());
    require(result.child(condition, ns::sasl) != nullptr,
            "expected <" + condition + "/>, got " + result.to_string());
}

}  // namespace

STARLING_SCENARIO(login_starttls_libstrophe) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client client(alice.jid, alice.password, server.c2s_port());
    client.login();
    require(client.bound_jid().rfind(std::string(alice.jid) + "/", 0) == 0,
            "bound JID " + client.bound_jid() + " is not a full JID of " + alice.jid);
}

STARLING_SCENARIO(login_direct_tls_libstrophe) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client client(std::string(alice.jid) + "/direct", alice.password,
                          server.c2s_tls_port(), strophe_client::transport::direct_tls);
    client.login();
    require_bound_to(client.bound_jid(), std::string(alice.jid) + "/direct");
}

STARLING_SCENARIO(sasl_wrong_password_scram) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    require_refused(session.authenticate("SCRAM-SHA-256", alice.localpart, "not-the-password"),
                    "not-authorized");
}

STARLING_SCENARIO(sasl_wrong_password_plain) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    require_refused(session.authenticate("PLAIN", alice.localpart, "not-the-password"),
                    "not-authorized");
}

STARLING_SCENARIO(sasl_unknown_user) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    require_refused(session.authenticate("SCRAM-SHA-256", "nobody", "whatever"),
                    "not-authorized");
}

STARLING_SCENARIO(login_wrong_password_libstrophe) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client client(alice.jid, "not-the-password", server.c2s_port());
    require(!client.try_login(), "login with a wrong password succeeded");
}

STARLING_SCENARIO(sasl_plain_before_starttls) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    const xml_element& features = session.open();
    const xml_element* starttls = features.child("starttls", ns::tls);
    require(starttls != nullptr && starttls->child("required", ns::tls) != nullptr,
            "STARTTLS is not offered as required: " + features.to_string());
    session.stream().send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                          base64_encode(std::string("\0a\0", 3) + alice.password) + "</auth>");
    auto answer = session.stream().next_element(std::chrono::seconds(5));
    require(answer.has_value(), "no answer to PLAIN before STARTTLS");
    // RFC 6120 allows either refusal: a SASL failure or closing the stream.
    if (answer->name == "failure" && answer->ns == ns::sasl) {
        require(answer->child("encryption-required", ns::sasl) != nullptr,
                "expected <encryption-required/>, got " + answer->to_string());
        return;
    }
    require(answer->name == "error" && answer->ns == ns::streams &&
                answer->child("policy-violation", ns::stream_errors) != nullptr,
            "expected <encryption-required/> or <policy-violation/>, got " + answer->to_string());
}

STARLING_SCENARIO(sasl_authzid_mismatch) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    session.stream().send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                          base64_encode(std::string(bob.jid) + std::string("\0a\0", 3) +
                                        alice.password) +
                          "</auth>");
    auto answer = session.stream().next_element(std::chrono::seconds(5));
    require(answer.has_value(), "no answer to PLAIN with a foreign authzid");
    require_refused(*answer, "invalid-authzid");
}

}  // namespace starling::scenarios
