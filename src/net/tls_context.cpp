#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace starling::net {
namespace {

std::string openssl_error() {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

// What every context has: TLS >= 1.2, no compression, no renegotiation, no idle buffers.
std::unique_ptr<asio::ssl::context> make_context(asio::ssl::context::method method) {
    auto ctx = std::make_unique<asio::ssl::context>(method);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    // Idle connections keep no read/write buffers: they are most of a server's connections.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

void use_certificate(SSL_CTX* native, const config::CertKey& files) {
    if (SSL_CTX_use_certificate_chain_file(native, files.certificate.c_str()) != 1)
        throw std::runtime_error("tls: cannot load certificate '" + files.certificate +
                                 "': " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("tls: cannot load key '" + files.key + "': " + openssl_error());
    if (SSL_CTX_check_private_key(native) != 1)
        throw std::runtime_error("tls: key '" + files.key + "' does not match certificate '" +
                                 files.certificate + "'");
}

// The certificates a peer's chain is verified against: `ca_file`, or the system's store.
void trust(SSL_CTX* native, const std::string& ca_file) {
    const int loaded = ca_file.empty()
                           ? SSL_CTX_set_default_verify_paths(native)
                           : SSL_CTX_load_verify_locations(native, ca_file.c_str(), nullptr);
    if (loaded != 1)
        throw std::runtime_error("tls: cannot load the trusted certificates '" +
                                 (ca_file.empty() ? std::string("(system store)") : ca_file) +
                                 "': " + openssl_error());
}

}  // namespace

std::unique_ptr<asio::ssl::context> TlsContexts::make(const config::CertKey& files,
                                                      const PeerCertificates& peers) {
    auto ctx = make_context(asio::ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
    use_certificate(native, files);
    if (peers.request) {
        trust(native, peers.ca_file);
        // Asked for, verified, recorded, never a reason to fail the handshake: the stream
        // decides (EXTERNAL, or dialback where the policy allows it).
        SSL_CTX_set_verify(native, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
        // A context that verifies peers needs one for its sessions (OpenSSL refuses to resume
        // without it).
        static constexpr unsigned char id[] = "starling-s2s";
        SSL_CTX_set_session_id_context(native, id, sizeof id - 1);
    }
    return ctx;
}

std::unique_ptr<asio::ssl::context> make_client_context(const config::CertKey* own,
                                                        const std::string& ca_file) {
    auto ctx = make_context(asio::ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    if (own) use_certificate(native, *own);
    trust(native, ca_file);
    // Verified during the handshake, judged after it (check_peer_identity).
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
    return ctx;
}

TlsContexts::TlsContexts(const config::TlsConfig& tls, PeerCertificates peers) {
    default_ = make(tls.defaults, peers);
    for (const auto& [host, files] : tls.hosts) by_host_[host] = make(files, peers);
    SSL_CTX_set_tlsext_servername_callback(default_->native_handle(), &TlsContexts::on_servername);
    SSL_CTX_set_tlsext_servername_arg(default_->native_handle(), this);
}

int TlsContexts::on_servername(SSL* ssl, int*, void* arg) {
    auto* self = static_cast<TlsContexts*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_OK;
    std::string host(name);
    for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = self->by_host_.find(host);
    if (it != self->by_host_.end()) SSL_set_SSL_CTX(ssl, it->second->native_handle());
    return SSL_TLSEXT_ERR_OK;
}

std::string tls_exporter(SSL* ssl) {
    // RFC 9266: 32 bytes of keying material, label "EXPORTER-Channel-Binding", empty context.
    // Defined for TLS 1.3 only; earlier versions lack the extended master secret guarantee.
    if (SSL_version(ssl) < TLS1_3_VERSION) return {};
    std::string out(32, '\0');
    static constexpr char label[] = "EXPORTER-Channel-Binding";
    if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                   label, sizeof label - 1, nullptr, 0, 0) != 1)
        return {};
    return out;
}

std::string tls_server_end_point(SSL* ssl) {
    // RFC 5929 §4.1: the certificate's signature hash, with MD5 and SHA-1 upgraded to SHA-256.
    X509* cert = SSL_get_certificate(ssl);
    if (!cert) return {};
    int md_nid = 0;
    if (!OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, nullptr)) return {};
    const EVP_MD* md = (md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_undef)
                           ? EVP_sha256()
                           : EVP_get_digestbynid(md_nid);
    if (!md) return {};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(cert, md, digest, &len) != 1) return {};
    return std::string(reinterpret_cast<char*>(digest), len);
}

}  // namespace starling::net
