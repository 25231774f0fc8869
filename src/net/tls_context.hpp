#pragma once
// Server TLS contexts: one per certificate, chosen by SNI; TLS >= 1.2, no compression, no
// renegotiation, small idle buffers. Built whole and swapped in whole on reload.

#include "core/config.hpp"
#include "net/asio.hpp"

#include <map>
#include <memory>
#include <string>

namespace starling::net {

class TlsContexts {
public:
    /// Loads every certificate and key; throws std::runtime_error naming the file on failure.
    explicit TlsContexts(const config::TlsConfig& tls);

    /// The context a new connection starts with; its SNI callback switches to a host's context.
    asio::ssl::context& default_context() { return *default_; }

private:
    static int on_servername(SSL* ssl, int* alert, void* arg);
    std::unique_ptr<asio::ssl::context> make(const config::CertKey& files);

    std::unique_ptr<asio::ssl::context> default_;
    std::map<std::string, std::unique_ptr<asio::ssl::context>> by_host_;
};

/// Channel-binding data of an established TLS connection (RFC 9266, RFC 5929).
std::string tls_exporter(SSL* ssl);
std::string tls_server_end_point(SSL* ssl);

}  // namespace starling::net
