// The I/O half of a c2s stream: reading, TLS, the bounded write queue and closing.

#include "stream/c2s_session.hpp"

#include "core/server.hpp"
#include "xml/serializer.hpp"

#include <spdlog/spdlog.h>

namespace starling {
namespace {

constexpr std::size_t read_buffer_size = 4096;

std::int64_t now_ticks() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

}  // namespace

C2sSession::C2sSession(Server& server, asio::ip::tcp::socket socket,
                       std::shared_ptr<net::TlsContexts> tls, bool direct_tls)
    : server_(server),
      socket_(std::move(socket)),
      tls_contexts_(std::move(tls)),
      direct_tls_(direct_tls),
      last_activity_(now_ticks()),
      preauth_timer_(socket_.get_executor()) {
    error_code ec;
    auto endpoint = socket_.remote_endpoint(ec);
    peer_ip_ = ec ? "?" : endpoint.address().to_string();
    peer_ = ec ? "?" : peer_ip_ + ":" + std::to_string(endpoint.port());
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

C2sSession::~C2sSession() = default;

void C2sSession::start() {
    const auto config = server_.config();
    // Read once: the message path must not take the configuration's lock for every stanza.
    outbound_limit_ = config->limits.outbound_queue_bytes;
    xml::ParserLimits limits;
    limits.max_stanza_bytes = config->limits.stanza_bytes_preauth;
    limits.max_depth = config->limits.max_depth;
    limits.max_attributes = config->limits.max_attributes;
    parser_ = std::make_unique<xml::StreamParser>(
        xml::ParserEvents{
            [this](xml::StreamHeader h) { on_stream_open(std::move(h)); },
            [this](xml::ElementPtr e) { on_element(std::move(e)); },
            [this] {
                if (state_ == State::closing || state_ == State::closed) return;
                state_ = State::closing;
                send_text("</stream:stream>");
                close_after_write_ = true;
            },
            [this](xml::ParseError e, std::string d) { on_parse_error(e, d); },
        },
        limits);
    read_buffer_ = std::make_unique<char[]>(read_buffer_size);
    start_preauth_timer();
    if (direct_tls_) return do_handshake();
    do_read();
}

void C2sSession::start_preauth_timer() {
    const auto seconds = server_.config()->limits.preauth_timeout;
    preauth_timer_.expires_after(std::chrono::seconds(seconds));
    preauth_timer_.async_wait([self = self()](const error_code& ec) {
        if (ec || self->state_ != State::connected) return;
        self->stream_error("connection-timeout", "authentication took too long");
    });
}

void C2sSession::do_handshake() {
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(
        socket_, tls_contexts_->default_context());
    tls_->async_handshake(asio::ssl::stream_base::server,
                          [self = self()](const error_code& ec) { self->on_handshake(ec); });
}

void C2sSession::on_handshake(const error_code& ec) {
    if (ec) {
        spdlog::info("c2s {}: TLS handshake failed: {}", peer_, ec.message());
        return finish_close();
    }
    // A fresh parser for the stream inside TLS: nothing sent before the handshake survives.
    parser_->reset();
    do_read();
}

void C2sSession::do_read() {
    if (state_ == State::closed) return;
    auto buffer = asio::buffer(read_buffer_.get(), read_buffer_size);
    auto handler = [self = self()](const error_code& ec, std::size_t n) { self->on_read(ec, n); };
    if (tls_) tls_->async_read_some(buffer, std::move(handler));
    else socket_.async_read_some(buffer, std::move(handler));
}

void C2sSession::on_read(const error_code& ec, std::size_t n) {
    if (ec) {
        if (ec != asio::error::eof && ec != asio::error::operation_aborted)
            spdlog::debug("c2s {}: read: {}", peer_, ec.message());
        return finish_close();
    }
    if (state_ == State::closed) return;
    last_activity_.store(now_ticks(), std::memory_order_relaxed);
    if (restart_pending_) {
        restart_pending_ = false;
        parser_->reset();
    }
    parser_->feed(std::string_view(read_buffer_.get(), n));
    // After <starttls/> or SASL success the parser stopped: whatever else this read held is
    // discarded, never processed (a STARTTLS command injection defence).
    if (starttls_pending_ || state_ == State::closing || state_ == State::closed) return;
    do_read();
}

void C2sSession::send_text(std::string text) {
    queued_bytes_ += text.size();
    queue_.push_back(Outgoing{nullptr, std::move(text)});
    do_write();
}

void C2sSession::deliver(StanzaPtr stanza) {
    asio::dispatch(socket_.get_executor(), [self = self(), stanza = std::move(stanza)]() mutable {
        self->enqueue(std::move(stanza));
    });
}

void C2sSession::enqueue(StanzaPtr stanza) {
    if (state_ == State::closing || state_ == State::closed) {
        // The session ended while this was on its way: the sender learns it was not delivered.
        // (Before binding only replies to the stream's own requests are addressed to it.)
        return server_.router().bounce(nullptr, *stanza, "cancel", "recipient-unavailable");
    }
    if (queued_bytes_ + stanza->bytes().size() > outbound_limit_) {
        // A client that does not read cannot hold the server's memory: refuse, visibly.
        return server_.router().bounce(nullptr, *stanza, "wait", "resource-constraint");
    }
    queued_bytes_ += stanza->bytes().size();
    queue_.push_back(Outgoing{std::move(stanza), {}});
    do_write();
}

void C2sSession::do_write() {
    if (writing_ || queue_.empty() || state_ == State::closed) return;
    writing_ = true;
    in_flight_.swap(queue_);
    // One gathered write for everything queued since the last one.
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(in_flight_.size());
    for (const auto& out : in_flight_)
        buffers.push_back(out.stanza ? asio::buffer(out.stanza->bytes()) : asio::buffer(out.text));
    auto handler = [self = self()](const error_code& ec, std::size_t) { self->on_write(ec); };
    if (tls_) asio::async_write(*tls_, buffers, std::move(handler));
    else asio::async_write(socket_, buffers, std::move(handler));
}

void C2sSession::on_write(const error_code& ec) {
    writing_ = false;
    for (const auto& out : in_flight_) queued_bytes_ -= out.size();
    in_flight_.clear();
    if (ec) return finish_close();
    if (!queue_.empty()) return do_write();
    if (starttls_pending_) {
        // <proceed/> and everything before it is on the wire: the TLS handshake comes next.
        starttls_pending_ = false;
        return do_handshake();
    }
    if (close_after_write_) shutdown_socket();
}

void C2sSession::close(std::string_view condition, std::string_view text) {
    asio::dispatch(socket_.get_executor(),
                   [self = self(), condition = std::string(condition), text = std::string(text)] {
                       self->stream_error(condition, text);
                   });
}

void C2sSession::stream_error(std::string_view condition, std::string_view text) {
    if (state_ == State::closing || state_ == State::closed) return;
    std::string out;
    // RFC 6120 §4.9.1.2: even an error before the client's header is sent inside our header.
    if (!header_sent_) out += header_text(true);
    out += "<stream:error><";
    out += condition;
    out += " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>";
    if (!text.empty()) {
        auto element = xml::make_element("text", "urn:ietf:params:xml:ns:xmpp-streams");
        element->add_text(text);
        out += xml::to_string(*element, "");
    }
    out += "</stream:error></stream:stream>";
    spdlog::info("c2s {}{}: stream error {}{}{}", peer_, jid_.empty() ? "" : " " + jid_.str(),
                 condition, text.empty() ? "" : ": ", text);
    state_ = State::closing;
    close_after_write_ = true;
    send_text(std::move(out));
}

void C2sSession::shutdown_socket() {
    error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    finish_close();
}

void C2sSession::finish_close() {
    if (state_ == State::closed) return;
    const bool was_bound = !jid_.empty();
    state_ = State::closed;
    available_.store(false);
    preauth_timer_.cancel();
    error_code ec;
    socket_.close(ec);
    if (was_bound) {
        server_.sessions().unbind(*this);
        if (host_) {
            SessionEvent event{*host_, shared_from_this(), "closed"};
            host_->session_hooks().fire(events::session_closed, event);
        }
        spdlog::info("c2s {}: {} logged out", peer_, jid_.str());
    }
    // Stanzas still queued for this client go back to their senders as errors.
    for (auto* list : {&in_flight_, &queue_})
        for (auto& out : *list)
            if (out.stanza) server_.router().bounce(nullptr, *out.stanza, "cancel", "recipient-unavailable");
    queue_.clear();
    in_flight_.clear();
}

std::chrono::steady_clock::time_point C2sSession::last_activity() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_activity_.load(std::memory_order_relaxed)));
}

std::string C2sSession::security() const {
    std::string out = !tls_ ? "plain" : direct_tls_ ? "TLS" : "STARTTLS";
    if (tls_) out += std::string(" ") + SSL_get_version(tls_->native_handle());
    if (!mechanism_name_.empty()) out += " " + mechanism_name_;
    return out;
}

}  // namespace starling
