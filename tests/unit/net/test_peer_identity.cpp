// The client side of TLS (TcpTlsSocket::async_client_handshake with make_client_context) over a
// loopback connection to the server side, and the RFC 9525 check of the server's certificate:
// a DNS-ID or an XMPP SRV-ID names the domain, the common name never does, and an untrusted,
// expired or self-signed chain fails with the reason. A server that asks for the client's
// certificate (an s2s listener) can judge it the same way.
#include "net/peer_identity.hpp"

#include "net/tcp_tls_socket.hpp"
#include "net/tls_context.hpp"

#include "test_certificates.hpp"
#include "tests/unit/storage/temp_dir.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <optional>
#include <string>

using namespace starling::net;
using namespace starling::net::test;
namespace asio = boost::asio;

namespace {

// The test's private CA, and the files a server certificate is written to.
struct Pki {
    starling::storage::test::TempDir dir;
    Key ca_key = make_key();
    Cert ca = make_certificate(ca_key.get(), {"Starling Test CA", "", -3600, 86400, true});
    std::string ca_file = (dir.path() / "ca.crt").string();

    Pki() { write_pem(ca_file, ca.get()); }

    /// A server certificate signed by the CA (or self-signed), written as `name`.crt/.key.
    starling::config::CertKey server(const std::string& name, CertOptions options,
                                     bool self_signed = false) {
        const Key key = make_key();
        const Cert cert = self_signed
                              ? make_certificate(key.get(), options)
                              : make_certificate(key.get(), options, ca.get(), ca_key.get());
        starling::config::CertKey files;
        files.certificate = (dir.path() / (name + ".crt")).string();
        files.key = (dir.path() / (name + ".key")).string();
        write_pem(files.certificate, cert.get());
        write_pem(files.key, key.get());
        return files;
    }
};

// A TLS connection on loopback from a client trusting the test CA to a server with `files`.
struct Handshake {
    asio::io_context io;
    std::unique_ptr<TcpTlsSocket> server;
    std::unique_ptr<TcpTlsSocket> client;
    std::optional<std::string> server_result;
    std::optional<std::string> client_result;

    /// `client_files`: the certificate the client offers, when the server asks for one.
    Handshake(const starling::config::CertKey& files, const std::string& ca_file,
              const std::string& server_name,
              const starling::config::CertKey* client_files = nullptr,
              bool request_client_certificate = false) {
        starling::config::TlsConfig tls;
        tls.defaults = files;
        TlsContexts server_contexts(tls, {request_client_certificate, ca_file});
        const auto client_context = make_client_context(client_files, ca_file);
        asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
        asio::ip::tcp::socket connecting(io);
        connecting.connect(acceptor.local_endpoint());
        server = std::make_unique<TcpTlsSocket>(acceptor.accept());
        client = std::make_unique<TcpTlsSocket>(std::move(connecting));
        server->async_handshake(server_contexts.default_context().native_handle(),
                                [this](std::string error) { server_result = error; });
        client->async_client_handshake(client_context->native_handle(), server_name,
                                       [this](std::string error) { client_result = error; });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while ((!server_result || !client_result) && std::chrono::steady_clock::now() < deadline) {
            io.run_for(std::chrono::milliseconds(50));
            io.restart();
        }
        CPPUNIT_ASSERT_EQUAL(std::string(), client_result.value_or("timed out"));
        CPPUNIT_ASSERT_EQUAL(std::string(), server_result.value_or("timed out"));
    }

    PeerIdentity check(const std::string& domain) {
        return check_peer_identity(client->ssl(), domain);
    }
};

}  // namespace

class PeerIdentityTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PeerIdentityTest);
    CPPUNIT_TEST(dns_id_names_the_domain_and_no_other);
    CPPUNIT_TEST(srv_id_names_the_domain);
    CPPUNIT_TEST(common_name_alone_does_not_count);
    CPPUNIT_TEST(expired_certificate_is_not_trusted);
    CPPUNIT_TEST(self_signed_certificate_is_not_trusted);
    CPPUNIT_TEST(wildcard_covers_one_label);
    CPPUNIT_TEST(server_name_indication_is_sent);
    CPPUNIT_TEST(a_server_that_asks_gets_the_peers_certificate);
    CPPUNIT_TEST_SUITE_END();

public:
    void dns_id_names_the_domain_and_no_other() {
        Pki pki;
        Handshake tls(pki.server("a", {"a.test", "DNS:a.test"}), pki.ca_file, "a.test");
        const auto ok = tls.check("a.test");
        CPPUNIT_ASSERT_EQUAL(std::string(), ok.reason);
        CPPUNIT_ASSERT(ok.ok);
        const auto other = tls.check("b.test");
        CPPUNIT_ASSERT(!other.ok);
        CPPUNIT_ASSERT_EQUAL(
            std::string("the certificate does not name b.test (no DNS-ID or SRV-ID for it)"),
            other.reason);
    }

    void srv_id_names_the_domain() {
        Pki pki;
        Handshake tls(
            pki.server("srv", {"Some Server",
                               "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.a.test,"
                               "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpps-server.b.test,"
                               "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_imap.c.test"}),
            pki.ca_file, "a.test");
        CPPUNIT_ASSERT(tls.check("a.test").ok);
        CPPUNIT_ASSERT(tls.check("B.test").ok);
        // An SRV-ID for another service does not name an XMPP server.
        CPPUNIT_ASSERT(!tls.check("c.test").ok);
    }

    void common_name_alone_does_not_count() {
        Pki pki;
        Handshake tls(pki.server("cn", {"a.test", "DNS:elsewhere.test"}), pki.ca_file, "a.test");
        CPPUNIT_ASSERT(!tls.check("a.test").ok);
        Handshake none(pki.server("cn-only", {"a.test", ""}), pki.ca_file, "a.test");
        CPPUNIT_ASSERT(!none.check("a.test").ok);
    }

    void expired_certificate_is_not_trusted() {
        Pki pki;
        Handshake tls(pki.server("old", {"a.test", "DNS:a.test", -7200, -3600}), pki.ca_file,
                      "a.test");
        const auto result = tls.check("a.test");
        CPPUNIT_ASSERT(!result.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("certificate not trusted: certificate has expired"),
                             result.reason);
    }

    void self_signed_certificate_is_not_trusted() {
        Pki pki;
        Handshake tls(pki.server("self", {"a.test", "DNS:a.test"}, true), pki.ca_file, "a.test");
        const auto result = tls.check("a.test");
        CPPUNIT_ASSERT(!result.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("certificate not trusted: self-signed certificate"),
                             result.reason);
    }

    void wildcard_covers_one_label() {
        const Key key = make_key();
        const Cert cert = make_certificate(key.get(), {"w", "DNS:*.a.test"});
        CPPUNIT_ASSERT(certificate_names(cert.get(), "x.a.test"));
        CPPUNIT_ASSERT(!certificate_names(cert.get(), "a.test"));
        CPPUNIT_ASSERT(!certificate_names(cert.get(), "y.x.a.test"));
        const Cert partial = make_certificate(key.get(), {"p", "DNS:x*.a.test"});
        CPPUNIT_ASSERT(!certificate_names(partial.get(), "xy.a.test"));
    }

    void server_name_indication_is_sent() {
        Pki pki;
        Handshake tls(pki.server("a", {"a.test", "DNS:a.test"}), pki.ca_file, "a.test");
        const char* name = SSL_get_servername(tls.server->ssl(), TLSEXT_NAMETYPE_host_name);
        CPPUNIT_ASSERT(name != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("a.test"), std::string(name));
    }

    void a_server_that_asks_gets_the_peers_certificate() {
        // As an s2s listener does, for the connecting server's SASL EXTERNAL.
        Pki pki;
        const auto server = pki.server("a", {"a.test", "DNS:a.test"});
        const auto client = pki.server("b", {"b.test", "DNS:b.test"});
        Handshake tls(server, pki.ca_file, "a.test", &client, true);
        const auto ok = check_peer_identity(tls.server->ssl(), "b.test");
        CPPUNIT_ASSERT_EQUAL(std::string(), ok.reason);
        CPPUNIT_ASSERT(!check_peer_identity(tls.server->ssl(), "c.test").ok);

        const auto stranger = pki.server("self-b", {"b.test", "DNS:b.test"}, true);
        Handshake untrusted(server, pki.ca_file, "a.test", &stranger, true);
        CPPUNIT_ASSERT_EQUAL(std::string("certificate not trusted: self-signed certificate"),
                             check_peer_identity(untrusted.server->ssl(), "b.test").reason);

        Handshake without(server, pki.ca_file, "a.test", nullptr, true);
        CPPUNIT_ASSERT_EQUAL(std::string("the peer sent no certificate"),
                             check_peer_identity(without.server->ssl(), "b.test").reason);
        // A server that does not ask gets none, even from a client that has one.
        Handshake unasked(server, pki.ca_file, "a.test", &client, false);
        CPPUNIT_ASSERT(!check_peer_identity(unasked.server->ssl(), "b.test").ok);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PeerIdentityTest);
