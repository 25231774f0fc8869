#pragma once
// Server TLS contexts: one per certificate, chosen by SNI; TLS >= 1.2, no compression, no
// renegotiation, small idle buffers. Built whole and swapped in whole on reload.

#include "core/config.hpp"
#include "net/asio.hpp"

#include <map>
#include <memory>
#include <string>

namespace starling::net {

/// Whether the peer is asked for a certificate of its own (a server connecting to us, for SASL
/// EXTERNAL), and what its chain is verified against: `ca_file`, or the system's trust store
/// when empty. A peer without one, or with one that does not verify, still connects;
/// check_peer_identity (net/peer_identity.hpp) judges it afterwards.
struct PeerCertificates {
    bool request = false;
    std::string ca_file;
};

class TlsContexts {
public:
    /// Loads every certificate and key; throws std::runtime_error naming the file on failure.
    explicit TlsContexts(const config::TlsConfig& tls, PeerCertificates peers = {});

    /// The context a new connection starts with; its SNI callback switches to a host's context.
    asio::ssl::context& default_context() { return *default_; }

private:
    static int on_servername(SSL* ssl, int* alert, void* arg);
    std::unique_ptr<asio::ssl::context> make(const config::CertKey& files,
                                             const PeerCertificates& peers);

    std::unique_ptr<asio::ssl::context> default_;
    std::map<std::string, std::unique_ptr<asio::ssl::context>> by_host_;
};

/// A context for the TLS connections this server opens (s2s out): TLS >= 1.2, no compression or
/// renegotiation; `own` (when given) is the certificate offered to the peer, for its SASL
/// EXTERNAL; the chain is verified against `ca_file`, or the system's trust store when empty.
/// The handshake does not fail on a bad chain: check_peer_identity judges it afterwards.
/// Throws std::runtime_error naming the file that cannot be loaded.
std::unique_ptr<asio::ssl::context> make_client_context(const config::CertKey* own,
                                                        const std::string& ca_file);

/// Channel-binding data of an established TLS connection (RFC 9266, RFC 5929).
std::string tls_exporter(SSL* ssl);
std::string tls_server_end_point(SSL* ssl);

}  // namespace starling::net
