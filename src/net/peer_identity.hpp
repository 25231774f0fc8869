#pragma once
// Whether a TLS peer's certificate proves it is an XMPP domain (RFC 9525, RFC 7590 §3.3):
// the chain verified against the trust store, and a DNS-ID (subjectAltName dNSName, a wildcard
// only as the whole leftmost label) or an SRV-ID (subjectAltName otherName SRVName,
// `_xmpp-server.<domain>` or `_xmpps-server.<domain>`) naming the domain. The subject's common
// name never counts. Used by server-to-server streams before they offer or accept SASL EXTERNAL.

#include <openssl/ssl.h>

#include <string>
#include <string_view>

namespace starling::net {

struct PeerIdentity {
    bool ok = false;
    std::string reason;  // why not, for the log: "certificate has expired", "names no …"
};

/// Checks the certificate of the established connection `ssl` for `domain` (lowercase ASCII,
/// A-labels). The handshake must have verified the chain (the verify result is read here, so a
/// connection can be made with SSL_VERIFY_NONE and judged afterwards).
PeerIdentity check_peer_identity(SSL* ssl, std::string_view domain);

/// Only the name part: whether `cert` carries a DNS-ID or an XMPP SRV-ID for `domain`.
bool certificate_names(X509* cert, std::string_view domain);

}  // namespace starling::net
