#pragma once
// A TCP connection that may turn into TLS, read and written without blocking once the kernel
// says it is ready. OpenSSL works on the file descriptor itself, so an idle connection holds no
// buffer of ours or of Asio's (asio::ssl::stream keeps 34 KiB per connection); OpenSSL releases
// its own record buffers while idle (SSL_MODE_RELEASE_BUFFERS on the contexts).

#include "net/asio.hpp"
#include "net/byte_stream.hpp"

#include <openssl/ssl.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace starling::net {

// Final, so that the streams holding one by its own type (s2s, components) call it directly.
// TLS keeps a pointer to the object (to see its reads), so it stays where it was made.
class TcpTlsSocket final : public ByteStream {
public:
    explicit TcpTlsSocket(asio::ip::tcp::socket socket);

    asio::ip::tcp::socket& tcp() { return socket_; }
    asio::any_io_executor get_executor() override { return socket_.get_executor(); }
    std::string peer(std::string* ip = nullptr) override;
    bool confidential() const override { return ssl_ != nullptr; }
    /// The TLS connection once a handshake began, else null.
    SSL* ssl() const override { return ssl_.get(); }

    /// The server side of a TLS handshake with `context` (its SNI callback may switch it);
    /// `done` gets "" on success or what went wrong.
    void async_handshake(SSL_CTX* context, std::function<void(std::string error)> done);
    /// The client side (a stream this server opens), naming `server_name` by SNI. The peer's
    /// certificate is not judged here: check_peer_identity (net/peer_identity.hpp) does that
    /// once the handshake is done, so that a stream can still fall back when it fails.
    void async_client_handshake(SSL_CTX* context, const std::string& server_name,
                                std::function<void(std::string error)> done);

    /// Reads up to `size` bytes: how many (status ok), or 0 and why not.
    std::size_t read(char* data, std::size_t size, IoStatus& status) override;
    /// Writes up to `size` bytes: how many (status ok), or 0 and why not.
    std::size_t write(const char* data, std::size_t size, IoStatus& status) override;
    /// True when TLS holds bytes read ahead from the socket, which no readiness event will
    /// announce. (A partial record counts too: one read then says it needs more.)
    bool has_buffered_input() const override { return ssl_ && SSL_has_pending(ssl_.get()) == 1; }
    /// True when the last read from the socket took less than it asked for (so the kernel had
    /// nothing more at that moment) and TLS holds nothing either: another read would only find
    /// nothing, and a new arrival will raise a readiness event of its own.
    bool drained() const override { return socket_drained_ && !has_buffered_input(); }

    /// Calls `then(ec)` once the socket can go on after `status` (want_read or want_write).
    void async_wait(IoStatus status, std::function<void(const error_code&)> then) override;

    /// A TLS close_notify (best effort), then the TCP shutdown.
    void shutdown() override;
    /// A TLS close_notify (best effort), then the TCP shutdown of the sending side only: the
    /// peer sees the end while what it still sends can be read.
    void shutdown_sending();
    void close() override;

private:
    struct SslFree {
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };
    IoStatus ssl_status(int result) const;
    void notify_close();
    static long on_bio(BIO* bio, int operation, const char* data, std::size_t size, int argi,
                       long argl, int result, std::size_t* processed);
    bool begin_tls(SSL_CTX* context);
    void continue_handshake(std::function<void(std::string)> done);

    asio::ip::tcp::socket socket_;
    std::unique_ptr<SSL, SslFree> ssl_;
    bool socket_drained_ = false;
};

}  // namespace starling::net
