#include "net/http_session.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace starling::net {

namespace http = boost::beast::http;

namespace {

std::string lowercase(boost::beast::string_view text) {
    std::string out(text.data(), text.size());
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, const HttpRoutes& routes,
                         config::HttpConfig limits, std::shared_ptr<TlsContexts> tls,
                         std::shared_ptr<void> slot)
    : socket_(std::move(socket)),
      routes_(routes),
      limits_(limits),
      tls_(std::move(tls)),
      slot_(std::move(slot)),
      timer_(socket_.tcp().get_executor()) {
    error_code ec;
    const auto endpoint = socket_.tcp().remote_endpoint(ec);
    if (!ec) peer_ = endpoint.address().to_string();
}

void HttpSession::start() {
    if (!tls_) return read_next();
    state_ = State::handshake;
    arm(std::chrono::seconds(limits_.request_timeout));
    socket_.async_handshake(
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
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
    parser_->body_limit(limits_.body_bytes);
    // Pipelined bytes, or a record TLS has already read, announce no readiness of their own.
    if (buffer_.size() > 0 || socket_.has_buffered_input()) return read_request();
    arm(std::chrono::seconds(limits_.idle_timeout));
    socket_.tcp().async_wait(asio::socket_base::wait_read,
                             [self = shared_from_this()](const error_code& ec) {
                                 if (ec || self->state_ != State::idle) return self->close();
                                 self->read_request();
                             });
}

void HttpSession::read_request() {
    state_ = State::reading;
    request_started_ = std::chrono::steady_clock::now();
    arm(std::chrono::seconds(limits_.request_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                         self->on_request(ec);
                     });
}

void HttpSession::on_request(const error_code& ec) {
    if (state_ == State::closed) return;
    if (timed_out_)
        return refuse(408, "the request did not arrive within http.request_timeout (" +
                               std::to_string(limits_.request_timeout) + " s)");
    if (ec == http::error::header_limit)
        return refuse(431, "the request line and headers exceed http.header_bytes (" +
                               std::to_string(limits_.header_bytes) + " bytes)");
    if (ec == http::error::body_limit)
        return refuse(413, "the body exceeds http.body_bytes (" +
                               std::to_string(limits_.body_bytes) + " bytes)");
    if (ec == http::error::end_of_stream || ec == asio::error::eof) return close();
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category())
        return refuse(400, "malformed request: " + ec.message());
    if (ec) return close();
    dispatch();
}

void HttpSession::dispatch() {
    auto& message = parser_->get();
    request_ = HttpRequest{};
    request_.method = std::string(message.method_string().data(), message.method_string().size());
    request_.target = std::string(message.target().data(), message.target().size());
    const auto question = request_.target.find('?');
    request_.path = request_.target.substr(0, question);
    if (question != std::string::npos) request_.query = request_.target.substr(question + 1);
    for (const auto& field : message)
        request_.headers.emplace_back(lowercase(field.name_string()),
                                      std::string(field.value().data(), field.value().size()));
    request_.body = std::move(message.body());
    request_.peer = peer_;
    request_.secure = socket_.ssl() != nullptr;
    keep_alive_ = message.keep_alive();
    head_ = message.method() == http::verb::head;

    state_ = State::handling;
    const auto number = ++request_number_;
    const auto handler = routes_.find(request_.path);
    if (!handler) return answer(HttpResponse::text(404, "nothing is served at this path"), number);
    // The answer may come from any thread, and after the connection closed: it goes to this
    // connection's thread, and only while this request is still the one waiting. Until then it
    // is what keeps the connection alive.
    auto executor = socket_.tcp().get_executor();
    (*handler)(request_, [self = shared_from_this(), executor, number](HttpResponse response) {
        asio::post(executor, [self, number, response = std::move(response)]() mutable {
            self->answer(std::move(response), number);
        });
    });
}

void HttpSession::answer(HttpResponse response, std::uint64_t request) {
    if (state_ != State::handling || request != request_number_) return;
    spdlog::debug("http {} {} {} -> {} ({} bytes of body, {} ms)", peer_, request_.method,
                  request_.target, response.status, response.body.size(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - request_started_)
                      .count());
    write(std::move(response), !keep_alive_);
}

void HttpSession::refuse(int status, std::string_view text) {
    spdlog::debug("http {}: {} {}", peer_, status, text);
    head_ = false;
    write(HttpResponse::text(status, text), true);
}

void HttpSession::write(HttpResponse response, bool close_after) {
    response_.emplace(static_cast<http::status>(response.status), 11);
    for (auto& [name, value] : response.headers) response_->set(name, value);
    response_->body() = std::move(response.body);
    response_->prepare_payload();
    // HEAD: the same headers, Content-Length included, and no body.
    if (head_) response_->body().clear();
    response_->keep_alive(!close_after);
    state_ = State::writing;
    timed_out_ = false;
    arm(std::chrono::seconds(limits_.request_timeout));
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), close_after](const error_code& ec, std::size_t) {
                          if (self->state_ == State::closed) return;
                          self->response_.reset();
                          if (ec) return self->close();
                          if (close_after) return self->linger();
                          self->read_next();
                      });
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
        case State::reading: {
            // The read completes with an error; on_request answers 408.
            timed_out_ = true;
            error_code ec;
            socket_.tcp().cancel(ec);
            return;
        }
        case State::handling:
            return refuse(503, "the server did not answer within http.request_timeout");
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
    socket_.shutdown_sending();
    arm(std::chrono::duration_cast<std::chrono::seconds>(linger_time));
    drain();
}

void HttpSession::drain() {
    socket_.tcp().async_wait(asio::socket_base::wait_read, [self = shared_from_this()](
                                                               const error_code& ec) {
        if (ec || self->state_ != State::lingering) return self->close();
        char scrap[16 * 1024];
        error_code read_ec;
        const auto n = self->socket_.tcp().read_some(asio::buffer(scrap), read_ec);
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
    if (state_ != State::lingering) socket_.shutdown();
    state_ = State::closed;
    socket_.close();
    slot_.reset();
}

}  // namespace starling::net
