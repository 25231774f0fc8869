#pragma once
// A WebSocket connection (RFC 6455, server side, over Beast) seen as a ByteStream, so that an
// XMPP stream runs over it unchanged (RFC 7395). Each message read is turned by the framing
// into the bytes the stream's parser reads; each write is one element, which the framing turns
// into one message. One message is read at a time, and only when the stream asks for more, so
// a stream that stops reading (the ingress gate, a storage lookup) stops the client, as over TCP.
//
// Beast answers pings; the stream sends its own when the connection is quiet (half of
// idle_timeout), and closes a connection whose peer answers nothing. Touched only on its
// connection's thread.

#include "net/byte_stream.hpp"
#include "net/input_buffer.hpp"
#include "net/tcp_tls_socket.hpp"
#include "net/tls_async_stream.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace starling::net {

// What Beast needs of a stream it closes (RFC 6455 §7.1.1: after the close handshake, the
// server ends the TCP connection) or times out, found by argument-dependent lookup.
void teardown(boost::beast::role_type role, TlsAsyncStream& stream, error_code& ec);
template <class Handler>
void async_teardown(boost::beast::role_type role, TlsAsyncStream& stream, Handler&& handler) {
    error_code ec;
    teardown(role, stream, ec);
    asio::post(stream.get_executor(), boost::beast::bind_front_handler(std::move(handler), ec));
}
void beast_close_socket(TlsAsyncStream& stream);

/// How the stream's bytes and the messages translate: `inbound` turns a message into bytes for
/// the parser; `outbound` turns one element the stream wrote into a message.
struct MessageFraming {
    std::function<std::string(std::string_view message)> inbound;
    std::function<std::string(std::string_view element)> outbound;
};

class WebSocketStream final : public ByteStream,
                              public std::enable_shared_from_this<WebSocketStream> {
public:
    using Request = boost::beast::http::request<boost::beast::http::empty_body>;
    struct Settings {
        std::chrono::seconds handshake;  // the opening and closing handshakes
        std::chrono::seconds idle;       // quiet half this long: a ping; all of it: closed
    };

    /// `protocol` is the subprotocol the request offered and the answer names.
    WebSocketStream(std::unique_ptr<TcpTlsSocket> socket, std::string protocol, Settings settings);

    /// Answers the opening handshake `request` began; `done` gets "" once the connection is a
    /// WebSocket, or what went wrong.
    void async_accept(Request request, std::function<void(std::string error)> done);
    /// Set before the first read or write.
    void set_framing(MessageFraming framing) { framing_ = std::move(framing); }
    /// The largest message read; a larger one ends the connection (close code 1009).
    void set_message_limit(std::size_t bytes) { ws_.read_message_max(bytes); }

    // ByteStream
    asio::any_io_executor get_executor() override { return socket_->get_executor(); }
    std::string peer(std::string* ip = nullptr) override { return socket_->peer(ip); }
    bool confidential() const override { return socket_->confidential(); }
    SSL* ssl() const override { return socket_->ssl(); }
    const char* transport() const override { return "WebSocket"; }
    bool framed() const override { return true; }
    std::size_t read(char* data, std::size_t size, IoStatus& status) override;
    std::size_t write(const char* data, std::size_t size, IoStatus& status) override;
    bool has_buffered_input() const override { return !input_.empty(); }
    bool drained() const override { return !has_buffered_input(); }
    void async_wait(IoStatus status, std::function<void(const error_code&)> then) override;
    void shutdown() override;
    void close() override;

private:
    void read_message();
    void on_message(const error_code& ec);
    void on_written(const error_code& ec);
    void close_handshake();
    void close_now();
    /// Every half of the idle time: a ping when nothing was heard, the end when nothing was
    /// heard since the last ping either.
    void keep_alive_tick();

    std::unique_ptr<TcpTlsSocket> socket_;  // on the heap: TLS points at it, and it moved here
    boost::beast::websocket::stream<TlsAsyncStream> ws_;
    std::string protocol_;
    Settings settings_;
    MessageFraming framing_;
    boost::beast::flat_buffer message_;  // the message being read; freed once translated
    InputBuffer input_;                  // the last message, translated, for read()
    std::string output_;  // the message being written
    // The element whose message was written last, until the writer asks for it again.
    const char* written_ = nullptr;
    std::size_t written_size_ = 0;
    std::function<void(const error_code&)> read_waiter_;
    std::function<void(const error_code&)> write_waiter_;
    bool reading_ = false;
    bool writing_ = false;
    bool closing_ = false;  // shutdown(): a close handshake after the last write
    bool close_started_ = false;
    bool closed_ = false;
    IoStatus failure_ = IoStatus::ok;  // eof or error once reading ended
    asio::steady_timer keep_alive_;
    bool heard_ = false;    // a message or control frame arrived since the last tick
    bool pinged_ = false;   // a ping went out, and nothing was heard since
    bool pinging_ = false;  // Beast's one ping at a time

};

}  // namespace starling::net
