// Direct TLS (XEP-0368) and SNI: each virtual host presents its own certificate.
#include "raw_session.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <openssl/x509v3.h>

namespace starling::scenarios {
namespace {

void require_certificate_for(raw_stream& stream, const std::string& host) {
    X509* certificate = stream.peer_certificate();
    require(certificate != nullptr, "no server certificate");
    require(X509_check_host(certificate, host.c_str(), host.size(), X509_CHECK_FLAG_NO_WILDCARDS,
                            nullptr) == 1,
            "the certificate presented is not for " + host);
}

void direct_tls_with_sni(const runner_options& options, const std::string& host) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_tls_port(), raw_session::transport::direct_tls, host);
    require_certificate_for(session.stream(), host);
    const xml_element& features = session.open(host);
    require(features.child("mechanisms", ns::sasl) != nullptr,
            "no SASL offered over direct TLS: " + features.to_string());
    require(features.child("starttls", ns::tls) == nullptr,
            "STARTTLS offered inside TLS: " + features.to_string());
}

}  // namespace

STARLING_SCENARIO(direct_tls_sni_main_host) { direct_tls_with_sni(options, main_host); }

STARLING_SCENARIO(direct_tls_sni_other_host) { direct_tls_with_sni(options, other_host); }

STARLING_SCENARIO(starttls_sni_other_host) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_port());
    session.open(other_host);
    session.starttls();
    require_certificate_for(session.stream(), other_host);
}

STARLING_SCENARIO(direct_tls_login_scram_sha_256) {
    server_fixture server(options);
    start_with_accounts(server);
    raw_session session(server.c2s_tls_port(), raw_session::transport::direct_tls, main_host);
    std::string bound = session.login("SCRAM-SHA-256", alice.localpart, alice.password, "tls");
    require(bound == std::string(alice.jid) + "/tls", "bound " + bound);
}

}  // namespace starling::scenarios
