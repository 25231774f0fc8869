#pragma once
// One HTTP/1.1 connection of an http, https or metrics listener (Boost.Beast over TcpTlsSocket):
// requests one after another on a kept-alive connection, each looked up in an HttpRoutes and
// answered by its handler. Lives on one I/O thread; a handler may answer from any thread.
//
// Anyone can connect, so every stage is bounded: the request line and headers by
// http.header_bytes (431), a body by http.body_bytes (413), a request from its first byte to its
// last by http.request_timeout (408), a handler's answer and the writing of it by the same time,
// and the wait for the next request on a kept-alive connection by http.idle_timeout. A streamed
// body (an upload) or response (a download) is bounded per chunk instead: each must move within
// http.request_timeout, and only one chunk is held at a time.

#include "core/config.hpp"
#include "core/http_routes.hpp"
#include "net/asio.hpp"
#include "net/tcp_tls_socket.hpp"
#include "net/tls_async_stream.hpp"
#include "net/tls_context.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace starling::net {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    /// `tls` null: plain HTTP. `slot` counts the connection against the connection limits
    /// until it closes.
    HttpSession(asio::ip::tcp::socket socket, const HttpRoutes& routes, config::HttpConfig limits,
                std::shared_ptr<TlsContexts> tls, std::shared_ptr<void> slot);

    void start();

private:
    // streaming: reading a body chunk for a sink; storing: waiting for the sink to take it.
    enum class State {
        handshake, idle, reading, handling, streaming, storing, writing, lingering, closed
    };
    using Response = boost::beast::http::response<boost::beast::http::string_body>;
    using HeaderResponse = boost::beast::http::response<boost::beast::http::empty_body>;

    void read_next();
    void read_request();
    void on_header(const error_code& ec);
    /// Refuses the request for a failed read; false when `ec` is no failure.
    bool refuse_failed_read(const error_code& ec);
    void read_body(std::shared_ptr<const HttpRoute> route);
    void dispatch(const std::shared_ptr<const HttpRoute>& route);
    void dispatch_streamed(const HttpRoute& route);
    /// Hands the connection to a WebSocket route once the handshake is answered.
    void upgrade(std::shared_ptr<const HttpRoute> route);
    HttpRespond responder(std::uint64_t request);
    void answer(HttpResponse response, std::uint64_t request);
    // A streamed request body: handed to `sink` a chunk at a time.
    void stream_body(std::shared_ptr<HttpBodySink> sink, std::uint64_t request);
    void read_chunk();
    void on_chunk(const error_code& ec);
    // A streamed response body: header first, then the source's chunks.
    void write_streamed(HttpResponse response, bool close_after);
    void send_chunk(std::shared_ptr<HttpBodySource> source, std::uint64_t remaining,
                    bool close_after);
    void finish_write(const error_code& ec, bool close_after);
    /// Answers `status` with `text` and closes the connection once it is written.
    void refuse(int status, std::string_view text);
    /// Writes `response` (without its body for HEAD); then the next request, or the close.
    void write(HttpResponse response, bool close_after);
    void arm(std::chrono::seconds timeout);
    void on_timeout();
    /// Ends the connection after the last response without losing it: the sending side is
    /// shut first and what the client still sends is read and dropped for a while, since
    /// closing with unread bytes makes the kernel reset the connection, and a reset can reach
    /// the client before the response it has not read yet.
    void linger();
    void drain();
    void close();

    // On the heap, so that a WebSocket can take it over where it is (TLS points at it).
    std::unique_ptr<TcpTlsSocket> socket_;
    TlsAsyncStream stream_{*socket_};
    const HttpRoutes& routes_;
    const config::HttpConfig limits_;
    std::shared_ptr<TlsContexts> tls_;
    std::shared_ptr<void> slot_;
    std::string peer_;
    asio::steady_timer timer_;
    std::uint64_t timer_generation_ = 0;
    State state_ = State::idle;
    bool timed_out_ = false;

    boost::beast::flat_buffer buffer_;
    // A request's line and headers are read first; the parser then becomes one for its body,
    // whole (string) or a chunk at a time (buffer) for a streamed route.
    std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> header_parser_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::buffer_body>> chunk_parser_;
    std::uint64_t request_number_ = 0;  // an answer for an earlier request is dropped
    HttpRequest request_;
    bool keep_alive_ = false;
    bool head_ = false;
    bool body_unread_ = false;  // answered before its body was read: the connection must end
    std::chrono::steady_clock::time_point request_started_;
    std::shared_ptr<HttpBodySink> sink_;
    std::string chunk_;
    std::optional<Response> response_;
    std::optional<HeaderResponse> header_response_;
    std::optional<boost::beast::http::response_serializer<boost::beast::http::empty_body>>
        header_serializer_;
    std::size_t lingered_ = 0;  // bytes read and dropped while lingering
};

}  // namespace starling::net
