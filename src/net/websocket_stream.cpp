#include "net/websocket_stream.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/error.hpp>


namespace starling::net {

namespace websocket = boost::beast::websocket;

// What Beast first prepares for a message (its tcp_frame_size) and a little more.
constexpr std::size_t kept_message_capacity = 4096;

void teardown(boost::beast::role_type, TlsAsyncStream& stream, error_code& ec) {
    ec = {};
    stream.socket().shutdown();
}

void beast_close_socket(TlsAsyncStream& stream) {
    stream.socket().close();
}

WebSocketStream::WebSocketStream(std::unique_ptr<TcpTlsSocket> socket, std::string protocol,
                                 Settings settings)
    : socket_(std::move(socket)),
      ws_(*socket_),
      protocol_(std::move(protocol)),
      settings_(settings),
      keep_alive_(socket_->get_executor()) {
    // One frame per message: a message is one stanza, and clients expect it whole.
    ws_.auto_fragment(false);
    ws_.text(true);
    // The handshakes are Beast's to bound. Idleness is this stream's own (keep_alive_tick):
    // Beast's idle timeout resets its timer for every message read, which costs a timer
    // cancellation and the wake-up of its handler per message.
    ws_.set_option(websocket::stream_base::timeout{settings_.handshake,
                                                   websocket::stream_base::none(), false});
    // A stanza is a message of its own, written as soon as it is queued: Nagle would hold a
    // small one back until the previous one is acknowledged (40 ms with delayed ACKs).
    error_code ec;
    socket_->tcp().set_option(asio::ip::tcp::no_delay(true), ec);
}

void WebSocketStream::async_accept(Request request, std::function<void(std::string)> done) {
    ws_.set_option(websocket::stream_base::decorator(
        [protocol = protocol_](websocket::response_type& response) {
            response.set(boost::beast::http::field::sec_websocket_protocol, protocol);
            response.set(boost::beast::http::field::server, "Starling");
        }));
    auto held = std::make_shared<Request>(std::move(request));
    ws_.async_accept(*held, [self = shared_from_this(), held, done = std::move(done)](
                                const error_code& ec) {
        if (ec) {
            self->close_now();
            return done(ec.message());
        }
        // A ping, a pong or a close from the client is a sign of life too.
        self->ws_.control_callback(
            [raw = self.get()](websocket::frame_type, boost::beast::string_view) {
                raw->heard_ = true;
            });
        self->keep_alive_tick();
        done("");
    });
}

std::size_t WebSocketStream::read(char* data, std::size_t size, IoStatus& status) {
    if (!has_buffered_input()) {
        status = failure_ != IoStatus::ok ? failure_ : closed_ ? IoStatus::error : IoStatus::want_read;
        return 0;
    }
    status = IoStatus::ok;
    return input_.take(data, size);
}

std::size_t WebSocketStream::write(const char* data, std::size_t size, IoStatus& status) {
    if (closed_) {
        status = IoStatus::error;
        return 0;
    }
    if (writing_) {
        status = IoStatus::want_write;
        return 0;
    }
    // The element whose message is on the wire, asked again after the wait: done. Until then
    // the writer holds it as unwritten, as a TCP write's bytes in flight, so that a connection
    // that fails meanwhile leaves it to be bounced, stored or resent, never counted delivered.
    if (written_ == data && written_size_ == size) {
        written_ = nullptr;
        status = IoStatus::ok;
        return size;
    }
    const std::string_view element(data, size);
    output_ = framing_.outbound ? framing_.outbound(element) : std::string(element);
    writing_ = true;
    ws_.async_write(asio::buffer(output_),
                    [self = shared_from_this(), data, size](const error_code& ec, std::size_t) {
                        if (!ec) {
                            self->written_ = data;
                            self->written_size_ = size;
                        }
                        self->on_written(ec);
                    });
    status = IoStatus::want_write;
    return 0;
}

void WebSocketStream::async_wait(IoStatus status, std::function<void(const error_code&)> then) {
    const bool ready = status == IoStatus::want_write
                           ? !writing_
                           : has_buffered_input() || failure_ != IoStatus::ok || closed_;
    if (ready || closed_) {
        return asio::post(get_executor(), [then = std::move(then), closed = closed_] {
            then(closed ? error_code(asio::error::operation_aborted) : error_code());
        });
    }
    if (status == IoStatus::want_write) {
        write_waiter_ = std::move(then);
        return;
    }
    read_waiter_ = std::move(then);
    if (!reading_) read_message();
}

void WebSocketStream::read_message() {
    reading_ = true;
    ws_.async_read(message_, [self = shared_from_this()](const error_code& ec, std::size_t) {
        self->on_message(ec);
    });
}

void WebSocketStream::keep_alive_tick() {
    if (closed_) return;
    if (heard_) {
        heard_ = false;
        pinged_ = false;
    } else if (pinged_) {
        // Nothing at all for idle_timeout, not even a pong.
        return close_now();
    } else if (!pinging_ && !close_started_) {
        // Quiet for half of it: a ping, which browsers answer.
        pinged_ = true;
        pinging_ = true;
        ws_.async_ping({}, [self = shared_from_this()](const error_code&) {
            self->pinging_ = false;
        });
    }
    keep_alive_.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(settings_.idle) / 2);
    keep_alive_.async_wait([weak = weak_from_this()](const error_code& ec) {
        if (auto self = weak.lock(); self && !ec) self->keep_alive_tick();
    });
}

void WebSocketStream::on_message(const error_code& ec) {
    reading_ = false;
    heard_ = true;
    if (ec) {
        // The peer's close frame, or its end of the connection, is the stream's end of file.
        failure_ = ec == websocket::error::closed || ec == asio::error::eof ? IoStatus::eof
                                                                          : IoStatus::error;
    } else {
        const auto bytes = message_.cdata();
        const std::string_view text(static_cast<const char*>(bytes.data()), bytes.size());
        if (framing_.inbound)
            input_.append(framing_.inbound(text));
        else
            input_.append(std::string(text));
    }
    // Beast prepares room for the next message before it waits for it, so the buffer is kept
    // (freeing it cost a free and a malloc per message); one a large message grew is freed.
    message_.clear();
    if (message_.capacity() > kept_message_capacity) message_.shrink_to_fit();
    if (auto waiter = std::exchange(read_waiter_, nullptr)) waiter(error_code());
}

void WebSocketStream::on_written(const error_code& ec) {
    writing_ = false;
    std::string().swap(output_);
    if (ec) close_now();
    if (auto waiter = std::exchange(write_waiter_, nullptr)) waiter(ec);
    if (closing_ && !closed_) close_handshake();
}

void WebSocketStream::shutdown() {
    if (closing_ || closed_) return;
    closing_ = true;
    if (!writing_) close_handshake();
}

void WebSocketStream::close_handshake() {
    if (close_started_) return;
    close_started_ = true;
    // RFC 6455 §7.1.2: a close frame, the peer's in answer, then the connection ends; Beast
    // bounds the wait by the handshake timeout.
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](const error_code&) { self->close_now(); });
}

void WebSocketStream::close() {
    if (closed_) return;
    if (!closing_) return close_now();
    // A polite end is under way (the last messages, then the close handshake): it may finish,
    // within the handshake bound, whatever else it waits for. The operations under way keep
    // the stream; the timer does not, so that a stream whose end came in time goes at once.
    auto timer = std::make_shared<asio::steady_timer>(get_executor(), settings_.handshake);
    timer->async_wait([weak = weak_from_this(), timer](const error_code&) {
        if (auto self = weak.lock()) self->close_now();
    });
}

void WebSocketStream::close_now() {
    if (closed_) return;
    closed_ = true;
    keep_alive_.cancel();
    socket_->close();
}

}  // namespace starling::net
