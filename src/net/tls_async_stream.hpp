#pragma once
// A TcpTlsSocket seen as an Asio AsyncReadStream and AsyncWriteStream, so that Beast's HTTP
// and WebSocket code runs over the same TLS as the XMPP streams (the same contexts, SNI and
// pooled record buffers) instead of asio::ssl::stream's second copy of it. Every operation
// first tries the socket at once and waits for readiness only when it must; a read right after
// one that emptied the socket waits first, as the XMPP streams' reader does.

#include "net/asio.hpp"
#include "net/tcp_tls_socket.hpp"

#include <boost/beast/core/bind_handler.hpp>

#include <algorithm>
#include <string>

namespace starling::net {

class TlsAsyncStream {
public:
    using executor_type = asio::ip::tcp::socket::executor_type;

    explicit TlsAsyncStream(TcpTlsSocket& socket) : socket_(socket) {}

    executor_type get_executor() { return socket_.tcp().get_executor(); }
    TcpTlsSocket& socket() { return socket_; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& buffers) {
                read_some(std::move(handler), first_of<asio::mutable_buffer>(buffers));
            },
            token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& buffers) {
                write_some(std::move(handler), gather(buffers));
            },
            token, buffers);
    }

private:
    // Beast hands a response over as several buffers (status line, headers, body): written one
    // by one, each would be a TLS record and a system call of its own. Up to a record's worth
    // is copied together first.
    static constexpr std::size_t gather_limit = 16 * 1024;

    template <class Buffer, class Buffers>
    static Buffer first_of(const Buffers& buffers) {
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
             ++it) {
            Buffer b(*it);
            if (b.size() > 0) return b;
        }
        return Buffer();
    }

    template <class ConstBuffers>
    asio::const_buffer gather(const ConstBuffers& buffers) {
        const auto first = first_of<asio::const_buffer>(buffers);
        const std::size_t total = asio::buffer_size(buffers);
        if (first.size() == total || first.size() >= gather_limit) return first;
        gathered_.resize(std::min(total, gather_limit));
        asio::buffer_copy(asio::buffer(gathered_), buffers);
        return asio::buffer(gathered_);
    }

    // Never from inside the initiating call (Asio's rule, which composed operations rely on):
    // posted then, and called at once from a readiness wait's completion, which is already a
    // handler of this stream's own thread. (A post more per read was a wake-up more per
    // WebSocket message.)
    template <class Handler>
    void complete(Handler handler, error_code ec, std::size_t n, bool initiating) {
        if (!initiating) return std::move(handler)(ec, n);
        asio::post(get_executor(), boost::beast::bind_front_handler(std::move(handler), ec, n));
    }

    static error_code error_of(IoStatus status) {
        return status == IoStatus::eof ? error_code(asio::error::eof)
                                       : error_code(asio::error::connection_reset);
    }

    template <class Handler>
    void read_some(Handler handler, asio::mutable_buffer buffer) {
        auto io = [this](asio::mutable_buffer b, IoStatus& status) {
            return socket_.read(static_cast<char*>(b.data()), b.size(), status);
        };
        // The last read emptied the socket: trying now would only say so again (a system call
        // per WebSocket message); anything new raises a readiness event of its own.
        if (buffer.size() > 0 && socket_.drained()) return wait(std::move(handler), buffer, io, IoStatus::want_read);
        attempt(std::move(handler), buffer, io, true);
    }

    template <class Handler>
    void write_some(Handler handler, asio::const_buffer buffer) {
        // TLS must be given the same bytes again after it would block: `buffer` (possibly
        // gathered_, which stays as it is until this write completes) is what is retried.
        attempt(
            std::move(handler), buffer,
            [this](asio::const_buffer b, IoStatus& status) {
                return socket_.write(static_cast<const char*>(b.data()), b.size(), status);
            },
            true);
    }

    // Tries `io` on `buffer` now, and again each time the socket is ready for what TLS or the
    // kernel said it needs (a TLS read may need to write, and a write to read).
    template <class Handler, class Buffer, class Io>
    void attempt(Handler handler, Buffer buffer, Io io, bool initiating) {
        if (buffer.size() == 0) return complete(std::move(handler), {}, 0, initiating);
        IoStatus status;
        const auto n = io(buffer, status);
        if (status == IoStatus::ok) return complete(std::move(handler), {}, n, initiating);
        if (status != IoStatus::want_read && status != IoStatus::want_write)
            return complete(std::move(handler), error_of(status), 0, initiating);
        wait(std::move(handler), buffer, io, status);
    }

    template <class Handler, class Buffer, class Io>
    void wait(Handler handler, Buffer buffer, Io io, IoStatus status) {
        socket_.tcp().async_wait(
            status == IoStatus::want_write ? asio::socket_base::wait_write
                                           : asio::socket_base::wait_read,
            [this, handler = std::move(handler), buffer, io](const error_code& ec) mutable {
                if (ec) return complete(std::move(handler), ec, 0, false);
                attempt(std::move(handler), buffer, io, false);
            });
    }

    TcpTlsSocket& socket_;
    std::string gathered_;
};

}  // namespace starling::net
