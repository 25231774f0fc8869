#include "net/http_session.hpp"

#include "net/websocket_stream.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

namespace starling::net {

namespace http = boost::beast::http;

namespace {

// True when the comma-separated list `offered` names `protocol` (RFC 6455 §4.1).
bool offers_protocol(std::string_view offered, std::string_view protocol) {
    while (!offered.empty()) {
        const auto comma = offered.find(',');
        auto item = offered.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item == protocol) return true;
        if (comma == std::string_view::npos) break;
        offered.remove_prefix(comma + 1);
    }
    return false;
}

std::string lowercase(boost::beast::string_view text) {
    std::string out(text.data(), text.size());
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Bytes of a streamed body read and handed over at a time, and of a streamed response sent.
constexpr std::size_t chunk_bytes = 64 * 1024;

// No limit: not boost::none, which Beast 1.81 compares as smaller than any Content-Length.
constexpr std::uint64_t no_body_limit = std::numeric_limits<std::uint64_t>::max();

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, const HttpRoutes& routes,
                         config::HttpConfig limits, std::shared_ptr<TlsContexts> tls,
                         std::shared_ptr<void> slot)
    : socket_(std::make_unique<TcpTlsSocket>(std::move(socket))),
      routes_(routes),
      limits_(limits),
      tls_(std::move(tls)),
      slot_(std::move(slot)),
      timer_(socket_->tcp().get_executor()) {
    error_code ec;
    const auto endpoint = socket_->tcp().remote_endpoint(ec);
    if (!ec) peer_ = endpoint.address().to_string();
}

void HttpSession::start() {
    if (!tls_) return read_next();
    state_ = State::handshake;
    arm(std::chrono::seconds(limits_.request_timeout));
    socket_->async_handshake(
        tls_->default_context().native_handle(),
        [self = shared_from_this()](const std::string& error) {
            if (self->state_ == State::closed) return;
            if (!error.empty()) {
                spdlog::debug("http {}: TLS handshake failed: {}", self->peer_, error);
                return self->close();
            }
            self->tls_.reset();  // the connection holds its context from here on
            self->read_next();
        });
}

void HttpSession::read_next() {
    state_ = State::idle;
    header_parser_.emplace();
    header_parser_->header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
    // The body's size is judged once the route is known (http.body_bytes, or a streamed
    // route's handler), not by the parser's default.
    header_parser_->body_limit(no_body_limit);
    // Pipelined bytes, or a record TLS has already read, announce no readiness of their own.
    if (buffer_.size() > 0 || socket_->has_buffered_input()) return read_request();
    arm(std::chrono::seconds(limits_.idle_timeout));
    socket_->tcp().async_wait(asio::socket_base::wait_read,
                             [self = shared_from_this()](const error_code& ec) {
                                 if (ec || self->state_ != State::idle) return self->close();
                                 self->read_request();
                             });
}

void HttpSession::read_request() {
    state_ = State::reading;
    request_started_ = std::chrono::steady_clock::now();
    arm(std::chrono::seconds(limits_.request_timeout));
    http::async_read_header(stream_, buffer_, *header_parser_,
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                                self->on_header(ec);
                            });
}

bool HttpSession::refuse_failed_read(const error_code& ec) {
    if (timed_out_) {
        refuse(408, "the request did not arrive within http.request_timeout (" +
                        std::to_string(limits_.request_timeout) + " s)");
        return true;
    }
    if (!ec) return false;
    if (ec == http::error::header_limit)
        refuse(431, "the request line and headers exceed http.header_bytes (" +
                        std::to_string(limits_.header_bytes) + " bytes)");
    else if (ec == http::error::body_limit)
        refuse(413, "the body exceeds http.body_bytes (" + std::to_string(limits_.body_bytes) +
                        " bytes)");
    else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
             ec != http::error::end_of_stream)
        refuse(400, "malformed request: " + ec.message());
    else
        close();
    return true;
}

void HttpSession::on_header(const error_code& ec) {
    if (state_ == State::closed || refuse_failed_read(ec)) return;
    const auto& message = header_parser_->get();
    request_ = HttpRequest{};
    request_.method = std::string(message.method_string().data(), message.method_string().size());
    request_.target = std::string(message.target().data(), message.target().size());
    const auto question = request_.target.find('?');
    request_.path = request_.target.substr(0, question);
    if (question != std::string::npos) request_.query = request_.target.substr(question + 1);
    for (const auto& field : message)
        request_.headers.emplace_back(lowercase(field.name_string()),
                                      std::string(field.value().data(), field.value().size()));
    if (const auto length = header_parser_->content_length()) request_.content_length = *length;
    request_.peer = peer_;
    request_.secure = socket_->ssl() != nullptr;
    keep_alive_ = message.keep_alive();
    head_ = message.method() == http::verb::head;
    body_unread_ = !header_parser_->is_done();

    const auto route = routes_.find(request_.path);
    if (route && route->websocket) return upgrade(route);
    if (route && route->streamed) return dispatch_streamed(*route);
    read_body(std::move(route));
}

void HttpSession::read_body(std::shared_ptr<const HttpRoute> route) {
    parser_.emplace(std::move(*header_parser_));
    header_parser_.reset();
    if (request_.content_length && *request_.content_length > limits_.body_bytes) {
        refuse_failed_read(http::error::body_limit);
        return;
    }
    parser_->body_limit(limits_.body_bytes);
    if (parser_->is_done()) return dispatch(route);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this(), route = std::move(route)](const error_code& ec,
                                                                           std::size_t) {
                         if (self->state_ == State::closed || self->refuse_failed_read(ec)) return;
                         self->dispatch(route);
                     });
}

void HttpSession::dispatch(const std::shared_ptr<const HttpRoute>& route) {
    request_.body = std::move(parser_->get().body());
    parser_.reset();
    body_unread_ = false;
    state_ = State::handling;
    const auto number = ++request_number_;
    if (!route) return answer(HttpResponse::text(404, "nothing is served at this path"), number);
    if (route->answer_within.count() > 0) arm(route->answer_within);
    route->handler(request_, responder(number));
}

void HttpSession::dispatch_streamed(const HttpRoute& route) {
    state_ = State::handling;
    const auto number = ++request_number_;
    auto executor = socket_->tcp().get_executor();
    route.streamed(request_, responder(number),
                   [self = shared_from_this(), executor, number](std::shared_ptr<HttpBodySink> sink) {
                       asio::post(executor, [self, number, sink = std::move(sink)]() mutable {
                           self->stream_body(std::move(sink), number);
                       });
                   });
}

void HttpSession::upgrade(std::shared_ptr<const HttpRoute> route) {
    const auto& protocol = route->websocket_protocol;
    if (!boost::beast::websocket::is_upgrade(header_parser_->get())) {
        head_ = false;
        return write(HttpResponse{426,
                                  {{"Upgrade", "websocket"}, {"Content-Type", "text/plain"}},
                                  "this is a WebSocket endpoint (RFC 6455), subprotocol '" +
                                      protocol + "'\n",
                                  nullptr},
                     true);
    }
    if (!offers_protocol(request_.header("sec-websocket-protocol"), protocol))
        return refuse(400, "the WebSocket subprotocol '" + protocol +
                               "' is required (Sec-WebSocket-Protocol)");
    // The connection is the WebSocket's from here: this session lets go of it. (Bytes the
    // client sent after the request are not frames: RFC 6455 §4.1 has it wait for the 101.)
    spdlog::debug("http {} {} {} -> WebSocket", peer_, request_.method, request_.target);
    ++timer_generation_;
    timer_.cancel();
    state_ = State::closed;
    auto stream = std::make_shared<WebSocketStream>(
        std::move(socket_), protocol,
        WebSocketStream::Settings{std::chrono::seconds(limits_.request_timeout),
                                  std::chrono::seconds(limits_.idle_timeout)});
    stream->async_accept(header_parser_->release(),
                         [stream, route = std::move(route), request = std::move(request_),
                          slot = std::move(slot_), peer = peer_](const std::string& error) mutable {
                             if (!error.empty())
                                 return spdlog::debug("http {}: WebSocket handshake failed: {}",
                                                      peer, error);
                             route->websocket(request, std::move(stream), std::move(slot));
                         });
    header_parser_.reset();
}

HttpRespond HttpSession::responder(std::uint64_t request) {
    // The answer may come from any thread, and after the connection closed: it goes to this
    // connection's thread, and only while this request is still the one waiting. Until then it
    // is what keeps the connection alive.
    auto executor = socket_->tcp().get_executor();
    return [self = shared_from_this(), executor, request](HttpResponse response) {
        asio::post(executor, [self, request, response = std::move(response)]() mutable {
            self->answer(std::move(response), request);
        });
    };
}

void HttpSession::answer(HttpResponse response, std::uint64_t request) {
    if (state_ != State::handling || request != request_number_) return;
    spdlog::debug("http {} {} {} -> {} ({} bytes of body, {} ms)", peer_, request_.method,
                  request_.target, response.status,
                  response.source ? response.source->size() : response.body.size(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - request_started_)
                      .count());
    // A body left unread cannot be skipped safely: the connection ends after the answer.
    write(std::move(response), !keep_alive_ || body_unread_);
}

void HttpSession::stream_body(std::shared_ptr<HttpBodySink> sink, std::uint64_t request) {
    if (state_ != State::handling || request != request_number_) return sink->abort();
    sink_ = std::move(sink);
    // Beast reads as much as the buffer has room for (at least 512 bytes): the room the
    // headers left would make a body a thousand small reads.
    buffer_.reserve(chunk_bytes);
    chunk_parser_.emplace(std::move(*header_parser_));
    header_parser_.reset();
    chunk_parser_->body_limit(no_body_limit);  // the handler judged the size; conversion resets it
    // RFC 9110 §10.1.1: a client waiting for 100 Continue sends the body only after it.
    if (!chunk_parser_->is_done() &&
        boost::beast::iequals(chunk_parser_->get()[http::field::expect], "100-continue")) {
        static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
        state_ = State::streaming;
        arm(std::chrono::seconds(limits_.request_timeout));
        return asio::async_write(stream_, asio::buffer(interim.data(), interim.size()),
                                 [self = shared_from_this()](const error_code& ec, std::size_t) {
                                     if (self->state_ == State::closed) return;
                                     if (ec) return self->close();
                                     self->read_chunk();
                                 });
    }
    read_chunk();
}

void HttpSession::read_chunk() {
    if (chunk_parser_->is_done()) {
        body_unread_ = false;
        chunk_parser_.reset();
        chunk_.clear();
        chunk_.shrink_to_fit();
        buffer_.shrink_to_fit();
        state_ = State::handling;
        arm(std::chrono::seconds(limits_.request_timeout));
        auto sink = std::move(sink_);
        return sink->finish(responder(request_number_));
    }
    state_ = State::streaming;
    timed_out_ = false;  // a timer that fired as the last chunk arrived has been answered
    chunk_.resize(chunk_bytes);
    auto& body = chunk_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    arm(std::chrono::seconds(limits_.request_timeout));
    http::async_read(stream_, buffer_, *chunk_parser_,
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                         self->on_chunk(ec);
                     });
}

void HttpSession::on_chunk(const error_code& ec) {
    if (state_ == State::closed) return;
    if (ec != http::error::need_buffer && (timed_out_ || ec)) {
        sink_->abort();
        sink_.reset();
        refuse_failed_read(ec);
        return;
    }
    const auto n = chunk_.size() - chunk_parser_->get().body().size;
    if (n == 0) return read_chunk();
    state_ = State::storing;
    arm(std::chrono::seconds(limits_.request_timeout));
    auto executor = socket_->tcp().get_executor();
    sink_->write(std::string_view(chunk_.data(), n),
                 [self = shared_from_this(), executor](std::optional<HttpResponse> failure) {
                     asio::post(executor, [self, failure = std::move(failure)]() mutable {
                         if (self->state_ != State::storing) return;
                         if (!failure) return self->read_chunk();
                         self->sink_.reset();
                         self->write(std::move(*failure), true);
                     });
                 });
}

void HttpSession::refuse(int status, std::string_view text) {
    spdlog::debug("http {}: {} {}", peer_, status, text);
    head_ = false;
    write(HttpResponse::text(status, text), true);
}

void HttpSession::write(HttpResponse response, bool close_after) {
    state_ = State::writing;
    timed_out_ = false;
    arm(std::chrono::seconds(limits_.request_timeout));
    if (response.source) return write_streamed(std::move(response), close_after);
    response_.emplace(static_cast<http::status>(response.status), 11);
    for (auto& [name, value] : response.headers) response_->set(name, value);
    response_->body() = std::move(response.body);
    response_->prepare_payload();
    // HEAD: the same headers, Content-Length included, and no body.
    if (head_) response_->body().clear();
    response_->keep_alive(!close_after);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), close_after](const error_code& ec, std::size_t) {
                          self->finish_write(ec, close_after);
                      });
}

void HttpSession::write_streamed(HttpResponse response, bool close_after) {
    header_response_.emplace(static_cast<http::status>(response.status), 11);
    for (auto& [name, value] : response.headers) header_response_->set(name, value);
    const auto size = response.source->size();
    header_response_->content_length(size);
    header_response_->keep_alive(!close_after);
    header_serializer_.emplace(*header_response_);
    http::async_write_header(
        stream_, *header_serializer_,
        [self = shared_from_this(), source = std::move(response.source), size,
         close_after](const error_code& ec, std::size_t) mutable {
            if (self->state_ == State::closed) return;
            if (ec || self->head_ || size == 0) return self->finish_write(ec, close_after);
            self->send_chunk(std::move(source), size, close_after);
        });
}

void HttpSession::send_chunk(std::shared_ptr<HttpBodySource> source, std::uint64_t remaining,
                             bool close_after) {
    arm(std::chrono::seconds(limits_.request_timeout));
    auto executor = socket_->tcp().get_executor();
    auto* reader = source.get();
    reader->read(
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk_bytes)),
        [self = shared_from_this(), executor, source = std::move(source), remaining,
         close_after](bool ok, std::string_view bytes) mutable {
            // `bytes` stays valid until the source's next read, which only this chain asks for.
            asio::post(executor, [self, source = std::move(source), remaining, close_after, ok,
                                  bytes]() mutable {
                if (self->state_ != State::writing) return;
                if (!ok || bytes.empty() || bytes.size() > remaining) {
                    // The header promised more than there is: only a close can say so.
                    spdlog::warn("http {} {}: the response body ended early", self->peer_,
                                 self->request_.target);
                    return self->close();
                }
                asio::async_write(
                    self->stream_, asio::buffer(bytes.data(), bytes.size()),
                    [self, source = std::move(source), remaining, close_after](
                        const error_code& ec, std::size_t n) mutable {
                        if (self->state_ == State::closed) return;
                        if (ec || n == remaining) return self->finish_write(ec, close_after);
                        self->send_chunk(std::move(source), remaining - n, close_after);
                    });
            });
        });
}

void HttpSession::finish_write(const error_code& ec, bool close_after) {
    if (state_ == State::closed) return;
    response_.reset();
    header_serializer_.reset();
    header_response_.reset();
    if (ec) return close();
    if (close_after) return linger();
    read_next();
}

void HttpSession::arm(std::chrono::seconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([weak = weak_from_this(), generation = ++timer_generation_](
                          const error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || generation != self->timer_generation_) return;
        self->on_timeout();
    });
}

void HttpSession::on_timeout() {
    switch (state_) {
        case State::reading:
        case State::streaming: {
            // The read completes with an error, and refuse_failed_read answers 408.
            timed_out_ = true;
            error_code ec;
            socket_->tcp().cancel(ec);
            return;
        }
        case State::handling:
            return refuse(503, "the server did not answer within http.request_timeout");
        case State::storing:
            sink_->abort();
            sink_.reset();
            return refuse(503, "the body could not be stored within http.request_timeout");
        case State::handshake:
        case State::idle:
        case State::writing:
        case State::lingering:
            return close();
        case State::closed:
            return;
    }
}

// How long, and how much, a closing connection still reads from its client.
constexpr auto linger_time = std::chrono::seconds(2);
constexpr std::size_t linger_bytes = 256 * 1024;

void HttpSession::linger() {
    state_ = State::lingering;
    socket_->shutdown_sending();
    arm(std::chrono::duration_cast<std::chrono::seconds>(linger_time));
    drain();
}

void HttpSession::drain() {
    socket_->tcp().async_wait(asio::socket_base::wait_read, [self = shared_from_this()](
                                                               const error_code& ec) {
        if (ec || self->state_ != State::lingering) return self->close();
        char scrap[16 * 1024];
        error_code read_ec;
        const auto n = self->socket_->tcp().read_some(asio::buffer(scrap), read_ec);
        self->lingered_ += n;
        if ((read_ec && read_ec != asio::error::would_block) || self->lingered_ > linger_bytes)
            return self->close();
        self->drain();
    });
}

void HttpSession::close() {
    if (state_ == State::closed) return;
    ++timer_generation_;
    timer_.cancel();
    if (state_ != State::lingering) socket_->shutdown();
    state_ = State::closed;
    socket_->close();
    slot_.reset();
    if (sink_) std::exchange(sink_, nullptr)->abort();
}

}  // namespace starling::net
