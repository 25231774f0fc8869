#include "net/peer_identity.hpp"

#include <openssl/x509v3.h>

#include <memory>

namespace starling::net {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// RFC 9525 §6.3 (RFC 4985): an SRVName is "_service.domain"; XMPP servers are reached as
// xmpp-server (STARTTLS) and xmpps-server (direct TLS, XEP-0368).
bool has_srv_id(X509* cert, std::string_view domain) {
    using Names = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;
    Names names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)),
        GENERAL_NAMES_free);
    if (!names) return false;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type != GEN_OTHERNAME) continue;
        const OTHERNAME* other = name->d.otherName;
        if (OBJ_obj2nid(other->type_id) != NID_SRVName) continue;
        if (!other->value || other->value->type != V_ASN1_IA5STRING) continue;
        const ASN1_IA5STRING* value = other->value->value.ia5string;
        const std::string_view srv(reinterpret_cast<const char*>(value->data),
                                   static_cast<std::size_t>(value->length));
        for (std::string_view service : {"_xmpp-server.", "_xmpps-server."}) {
            if (srv.size() > service.size() &&
                equal_ignoring_case(srv.substr(0, service.size()), service) &&
                equal_ignoring_case(srv.substr(service.size()), domain))
                return true;
        }
    }
    return false;
}

}  // namespace

bool certificate_names(X509* cert, std::string_view domain) {
    // OpenSSL's host check: subjectAltName dNSName only (never the common name), and a wildcard
    // only as a whole label of its own.
    const unsigned flags =
        X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
    if (X509_check_host(cert, domain.data(), domain.size(), flags, nullptr) == 1) return true;
    return has_srv_id(cert, domain);
}

PeerIdentity check_peer_identity(SSL* ssl, std::string_view domain) {
    using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
    Cert cert(SSL_get1_peer_certificate(ssl), X509_free);
    if (!cert) return {false, "the peer sent no certificate"};
    const long verified = SSL_get_verify_result(ssl);
    if (verified != X509_V_OK)
        return {false,
                std::string("certificate not trusted: ") + X509_verify_cert_error_string(verified)};
    if (!certificate_names(cert.get(), domain))
        return {false, "the certificate does not name " + std::string(domain) +
                           " (no DNS-ID or SRV-ID for it)"};
    return {true, {}};
}

}  // namespace starling::net
