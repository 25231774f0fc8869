#include "raw_stream.hpp"

#include "scenario.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace starling::scenarios {
namespace {

using clock = std::chrono::steady_clock;

std::chrono::milliseconds remaining(clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

}  // namespace

raw_stream::raw_stream(std::uint16_t port, int receive_buffer) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    require(fd_ >= 0, std::string("socket failed: ") + std::strerror(errno));
    if (receive_buffer > 0)
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    require(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0,
            "cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // A TLS record that never completes must not hang a scenario: bound every blocking read.
    timeval bound{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
}

raw_stream::raw_stream(accepted connection) : fd_(connection.fd) {
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval bound{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
}

raw_stream::~raw_stream() {
    if (ssl_) SSL_free(ssl_);
    if (tls_context_) SSL_CTX_free(tls_context_);
    if (fd_ >= 0) close(fd_);
}

void raw_stream::send(std::string_view bytes) {
    require(try_send(bytes), "send failed: the server closed the connection or it broke");
}

bool raw_stream::try_send(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t sent = ssl_ ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                            : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

void raw_stream::start_tls(const std::string& server_name, const certificate_files* own) {
    require(ssl_ == nullptr, "TLS already started");
    tls_context_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(tls_context_, TLS1_2_VERSION);
    SSL_CTX_set_verify(tls_context_, SSL_VERIFY_NONE, nullptr);
    if (own) {
        require(
            SSL_CTX_use_certificate_chain_file(tls_context_, own->certificate.c_str()) == 1 &&
                SSL_CTX_use_PrivateKey_file(tls_context_, own->key.c_str(), SSL_FILETYPE_PEM) == 1,
            "cannot load the client certificate " + own->certificate);
    }
    ssl_ = SSL_new(tls_context_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    int rc = SSL_connect(ssl_);
    if (rc != 1) {
        char reason[256];
        ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
        throw scenario_failure("TLS handshake with SNI " + server_name + " failed: " + reason);
    }
}

void raw_stream::accept_tls(const certificate_files& own) {
    require(ssl_ == nullptr, "TLS already started");
    tls_context_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(tls_context_, TLS1_2_VERSION);
    require(SSL_CTX_use_certificate_chain_file(tls_context_, own.certificate.c_str()) == 1 &&
                SSL_CTX_use_PrivateKey_file(tls_context_, own.key.c_str(), SSL_FILETYPE_PEM) == 1,
            "cannot load the server certificate " + own.certificate);
    ssl_ = SSL_new(tls_context_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_accept(ssl_) != 1) {
        char reason[256];
        ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
        throw scenario_failure(std::string("TLS handshake as the server failed: ") + reason);
    }
}

X509* raw_stream::peer_certificate() const {
    return ssl_ ? SSL_get0_peer_certificate(ssl_) : nullptr;
}

std::optional<std::string> raw_stream::read_bytes(std::chrono::milliseconds timeout) {
    if (eof_) return std::nullopt;
    if (!(ssl_ && SSL_pending(ssl_) > 0)) {
        pollfd waiting{fd_, POLLIN, 0};
        if (poll(&waiting, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    }
    char buffer[16384];
    ssize_t got =
        ssl_ ? SSL_read(ssl_, buffer, sizeof buffer) : recv(fd_, buffer, sizeof buffer, 0);
    if (got <= 0) {
        // A TLS read can consume a record that carries no application data.
        const int tls_error = ssl_ ? SSL_get_error(ssl_, static_cast<int>(got)) : SSL_ERROR_NONE;
        if (tls_error == SSL_ERROR_WANT_READ) return std::string();
        if (ssl_ && tls_error != SSL_ERROR_ZERO_RETURN && tls_error != SSL_ERROR_SYSCALL) {
            char reason[256];
            ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
            read_error_ = std::string("TLS error: ") + reason;
        } else if (got < 0) {
            read_error_ = std::string("read error: ") + std::strerror(errno);
        }
        eof_ = true;
        return std::nullopt;
    }
    return std::string(buffer, static_cast<std::size_t>(got));
}

bool raw_stream::read_some(std::chrono::milliseconds timeout) {
    const auto bytes = read_bytes(timeout);
    if (!bytes) return false;
    require(reader_.feed(*bytes),
            "the server sent malformed XML (" + reader_.error() + "): " + *bytes);
    return true;
}

std::optional<xml_element> raw_stream::next_element(std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (reader_.elements().empty() && !reader_.closed() && read_some(remaining(deadline))) {
    }
    if (reader_.elements().empty()) return std::nullopt;
    xml_element element = std::move(reader_.elements().front());
    reader_.elements().pop_front();
    return element;
}

xml_element raw_stream::expect_element(const std::string& name, const std::string& ns,
                                       std::chrono::milliseconds timeout) {
    auto element = next_element(timeout);
    require(element.has_value(),
            "expected <" + name + " xmlns='" + ns + "'/>, got " +
                (ended() ? "the end of the stream: " + end_reason() : std::string("nothing")));
    require(element->name == name && element->ns == ns,
            "expected <" + name + " xmlns='" + ns + "'/>, got " + element->to_string());
    return *element;
}

const xml_element& raw_stream::expect_header(std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (!reader_.header() && read_some(remaining(deadline))) {
    }
    require(reader_.header().has_value(), "the server sent no stream header");
    return *reader_.header();
}

void raw_stream::expect_silence(std::chrono::milliseconds quiet, const std::string& what) {
    auto element = next_element(quiet);
    require(!element.has_value(), what + ": got " + (element ? element->to_string() : ""));
    require(!ended(), what + ": the stream ended while nothing was to arrive (" + end_reason() +
                          "), so it proves nothing");
}

std::string raw_stream::end_reason() const {
    if (reader_.closed()) return "the server closed its stream";
    if (!eof_) return "";
    return read_error_.empty() ? "the server closed the connection" : read_error_;
}

bool raw_stream::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (!reader_.closed() && !eof_ && clock::now() < deadline) read_some(remaining(deadline));
    return reader_.closed() || eof_;
}

}  // namespace starling::scenarios
