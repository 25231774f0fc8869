#include "net/tcp_tls_socket.hpp"

#include <openssl/err.h>

namespace starling::net {
namespace {

// SSL_get_error reads this thread's error queue, which another connection may have left
// entries in; peeking first keeps the usual, empty case to one look.
void clear_errors() {
    if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

TcpTlsSocket::TcpTlsSocket(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
    error_code ec;
    // Reads and writes below return would_block instead of waiting: readiness is awaited with
    // async_wait, so nothing is read into a buffer before there is something to read.
    socket_.non_blocking(true, ec);
}

std::string TcpTlsSocket::peer(std::string* ip) {
    error_code ec;
    const auto endpoint = socket_.remote_endpoint(ec);
    const std::string address = ec ? "?" : endpoint.address().to_string();
    if (ip) *ip = address;
    return ec ? "?" : address + ":" + std::to_string(endpoint.port());
}

bool TcpTlsSocket::begin_tls(SSL_CTX* context) {
    ssl_.reset(SSL_new(context));
    if (!ssl_ || SSL_set_fd(ssl_.get(), socket_.native_handle()) != 1) return false;
    // Writes may be cut short (and resumed from a moved buffer) like plain TCP writes.
    SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // One read system call takes whatever records have arrived, instead of two a record
    // (header, then body).
    SSL_set_read_ahead(ssl_.get(), 1);
    // Watching TLS's reads from the socket tells drained() whether the kernel was emptied.
    BIO* bio = SSL_get_rbio(ssl_.get());
    BIO_set_callback_arg(bio, reinterpret_cast<char*>(this));
    BIO_set_callback_ex(bio, &TcpTlsSocket::on_bio);
    return true;
}

void TcpTlsSocket::async_handshake(SSL_CTX* context, std::function<void(std::string)> done) {
    if (!begin_tls(context)) return done("cannot create the TLS connection");
    SSL_set_accept_state(ssl_.get());
    continue_handshake(std::move(done));
}

void TcpTlsSocket::async_client_handshake(SSL_CTX* context, const std::string& server_name,
                                          std::function<void(std::string)> done) {
    if (!begin_tls(context) || SSL_set_tlsext_host_name(ssl_.get(), server_name.c_str()) != 1)
        return done("cannot create the TLS connection");
    SSL_set_connect_state(ssl_.get());
    continue_handshake(std::move(done));
}

void TcpTlsSocket::continue_handshake(std::function<void(std::string)> done) {
    clear_errors();
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) return done("");
    const auto status = ssl_status(result);
    if (status != IoStatus::want_read && status != IoStatus::want_write) {
        char reason[256] = "the peer closed the connection";
        if (const auto code = ERR_get_error()) ERR_error_string_n(code, reason, sizeof reason);
        ERR_clear_error();
        return done(reason);
    }
    async_wait(status, [this, done = std::move(done)](const error_code& ec) mutable {
        if (ec) return done(ec.message());
        continue_handshake(std::move(done));
    });
}

long TcpTlsSocket::on_bio(BIO* bio, int operation, const char*, std::size_t size, int, long,
                          int result, std::size_t* processed) {
    if (operation == (BIO_CB_READ | BIO_CB_RETURN)) {
        auto* self = reinterpret_cast<TcpTlsSocket*>(BIO_get_callback_arg(bio));
        self->socket_drained_ = result <= 0 || processed == nullptr || *processed < size;
    }
    return result;
}

IoStatus TcpTlsSocket::ssl_status(int result) const {
    switch (SSL_get_error(ssl_.get(), result)) {
        case SSL_ERROR_WANT_READ:
            return IoStatus::want_read;
        case SSL_ERROR_WANT_WRITE:
            return IoStatus::want_write;
        case SSL_ERROR_ZERO_RETURN:
            return IoStatus::eof;
        case SSL_ERROR_SYSCALL:
            // An end of file without close_notify: the peer went away.
            ERR_clear_error();
            return errno == 0 ? IoStatus::eof : IoStatus::error;
        default:
            ERR_clear_error();
            return IoStatus::error;
    }
}

std::size_t TcpTlsSocket::read(char* data, std::size_t size, IoStatus& status) {
    if (ssl_) {
        errno = 0;
        clear_errors();
        const int n = SSL_read(ssl_.get(), data, static_cast<int>(size));
        status = n > 0 ? IoStatus::ok : ssl_status(n);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    error_code ec;
    const auto n = socket_.read_some(asio::buffer(data, size), ec);
    socket_drained_ = ec || n < size;
    status = !ec                              ? IoStatus::ok
             : ec == asio::error::would_block ? IoStatus::want_read
             : ec == asio::error::eof         ? IoStatus::eof
                                              : IoStatus::error;
    return n;
}

std::size_t TcpTlsSocket::write(const char* data, std::size_t size, IoStatus& status) {
    if (ssl_) {
        errno = 0;
        clear_errors();
        const int n = SSL_write(ssl_.get(), data, static_cast<int>(size));
        status = n > 0 ? IoStatus::ok : ssl_status(n);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    error_code ec;
    const auto n = socket_.write_some(asio::buffer(data, size), ec);
    status = !ec                              ? IoStatus::ok
             : ec == asio::error::would_block ? IoStatus::want_write
                                              : IoStatus::error;
    return n;
}

void TcpTlsSocket::async_wait(IoStatus status, std::function<void(const error_code&)> then) {
    socket_.async_wait(status == IoStatus::want_write ? asio::socket_base::wait_write
                                                      : asio::socket_base::wait_read,
                       std::move(then));
}

void TcpTlsSocket::notify_close() {
    if (!ssl_) return;
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
}

void TcpTlsSocket::shutdown() {
    notify_close();
    error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

void TcpTlsSocket::shutdown_sending() {
    notify_close();
    error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

void TcpTlsSocket::close() {
    error_code ec;
    socket_.close(ec);
}

}  // namespace starling::net
