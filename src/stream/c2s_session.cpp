// The I/O half of a c2s stream: reading, TLS, the bounded write queue and closing.

#include "stream/c2s_session.hpp"

#include "core/server.hpp"
#include "stream/stream_setup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace starling {
namespace {

std::int64_t now_ticks() {
    return std::chrono::steady_clock::now().time_since_epoch().count();
}

}  // namespace

C2sSession::C2sSession(Server& server, asio::ip::tcp::socket socket,
                       std::shared_ptr<net::TlsContexts> tls, bool direct_tls,
                       std::shared_ptr<void> slot)
    : C2sSession(server, std::make_shared<net::TcpTlsSocket>(std::move(socket)), std::move(slot)) {
    tcp_tls_ = static_cast<net::TcpTlsSocket*>(socket_.get());
    tls_contexts_ = std::move(tls);
    direct_tls_ = direct_tls;
    // A stanza is written as soon as it is queued: Nagle would hold a small one back until
    // the previous write is acknowledged (40 ms with delayed ACKs).
    error_code ec;
    tcp_tls_->tcp().set_option(asio::ip::tcp::no_delay(true), ec);
}

C2sSession::C2sSession(Server& server, std::shared_ptr<net::ByteStream> stream,
                       std::shared_ptr<void> slot)
    : server_(server),
      socket_(std::move(stream)),
      framed_(socket_->framed()),
      io_(&static_cast<asio::io_context&>(
          asio::query(socket_->get_executor(), asio::execution::context))),
      connection_slot_(std::move(slot)),
      direct_tls_(false),
      last_activity_(now_ticks()),
      preauth_timer_(socket_->get_executor()) {
    peer_ = socket_->peer(&peer_ip_);
}

C2sSession::~C2sSession() = default;

void C2sSession::start() {
    const auto config = server_.config();
    // Read once: the message path must not take the configuration's lock for every stanza.
    out_.set_limit(config->limits.outbound_queue_bytes);
    const auto& rates = config->rate_limits;
    reader_.shaper().set(rates.preauth, rates.burst, rates.hard_after);
    const auto limits = preauth_parser_limits(*config);
    parser_ = std::make_unique<xml::StreamParser>(
        xml::ParserEvents{
            [this](xml::StreamHeader h) { on_stream_open(std::move(h)); },
            [this](xml::ElementPtr e) {
                reader_.take_element();
                on_element(std::move(e));
            },
            [this] {
                if (state_ == State::closing || dead()) return;
                state_ = State::closing;
                arm_close_timer();
                // Set first: the write may finish before send_text returns.
                close_after_write_ = true;
                send_text(std::string(close_text()));
            },
            [this](xml::ParseError e, std::string d) { on_parse_error(e, d); },
        },
        limits);
    start_preauth_timer();
    if (direct_tls_) return do_handshake();
    reader_.start();
}

void C2sSession::start_preauth_timer() {
    const auto seconds = server_.config()->limits.preauth_timeout;
    preauth_timer_.expires_after(std::chrono::seconds(seconds));
    preauth_timer_.async_wait([self = self()](const error_code& ec) {
        if (ec) return;
        if (self->state_ == State::connected)
            return self->stream_error("connection-timeout", "authentication took too long");
        if (self->state_ == State::authenticated)
            self->stream_error("connection-timeout", "resource binding took too long");
    });
}

void C2sSession::do_handshake() {
    tcp_tls_->async_handshake(tls_contexts_->default_context().native_handle(),
                              [self = self()](std::string error) { self->on_handshake(error); });
}

void C2sSession::on_handshake(const std::string& error) {
    if (dead()) return;
    if (!error.empty()) {
        spdlog::info("c2s {}: TLS handshake failed: {}", peer_, error);
        return finish_close();
    }
    // A fresh parser for the stream inside TLS: nothing sent before the handshake survives.
    parser_->reset();
    reader_.start();
}

void C2sSession::on_bytes(std::string_view bytes) {
    last_activity_.store(now_ticks(), std::memory_order_relaxed);
    parser_released_.store(false, std::memory_order_relaxed);  // feed() rebuilds it
    if (restart_pending_) {
        restart_pending_ = false;
        parser_->reset();
    }
    parser_->feed(bytes);
    // A framed stream's transport holds one message at a time: once it holds nothing, the
    // message is read, and it must have held whole elements (RFC 7395 §3.3.3).
    if (framed_ && !socket_->has_buffered_input() && parser_->inside_element() && !dead() &&
        state_ != State::closing)
        stream_error("not-well-formed",
                     "a WebSocket message must hold complete elements (RFC 7395 §3.3.3)");
}

bool C2sSession::keep_reading() const {
    // After <starttls/> or SASL success the parser stopped: whatever else this read held is
    // discarded, never processed (a STARTTLS command injection defence).
    return !starttls_pending_ && state_ != State::closing;
}

void C2sSession::on_read_failed(net::IoStatus status) {
    if (status == net::IoStatus::error) spdlog::debug("c2s {}: read failed", peer_);
    finish_close();
}

void C2sSession::send_text(std::string text) {
    // What the server writes of its own (<a/>, SASL, features, iq results) counts as well: a
    // client that stops reading and keeps asking must not grow the queue. The closing stream
    // error itself is let through, so the client can still learn why.
    if (state_ != State::closing && out_.over_limit(text.size())) return outbound_overflow();
    out_.push({nullptr, std::move(text)});
    out_.write();
}

void C2sSession::deliver(StanzaPtr stanza) {
    // Already on the session's thread (a fan-out's pump), with nothing queued before it: no
    // handler to wrap and run.
    if (io_->get_executor().running_in_this_thread() && !delivering_.queued())
        return enqueue(std::move(stanza));
    delivering_(*io_, [self = self(), stanza = std::move(stanza)]() mutable {
        self->enqueue(std::move(stanza));
    });
}

void C2sSession::send_through(StanzaPtr stanza, std::size_t first, bool owned) {
    // Resumed on another stream: what still arrives here belongs there.
    if (forward_to_) {
        if (owned) return;
        // Posted, never inline: in order with the end of forwarding that adopt() waits for.
        return asio::post(forward_to_->socket_->get_executor(),
                          [to = forward_to_, stanza = std::move(stanza)]() mutable {
                              to->send_through(std::move(stanza), 0, false);
                          });
    }
    if (state_ == State::closing || state_ == State::closed) {
        if (owned) return;  // its extension disposes of it when the session ends
        // The session ended while this was on its way: the sender learns it was not delivered.
        // (Before binding only replies to the stream's own requests are addressed to it.) At
        // shutdown the sender is being disconnected too, and a stream closed for not reading
        // gets it at its next login: in both cases the message is stored instead.
        if (!extensions_.empty() ||
            ((server_.stopping() || store_undelivered_) && host_ && !jid_.empty()))
            return server_.router().undeliverable(*host_, std::move(stanza));
        return server_.router().bounce(nullptr, *stanza, "cancel", "recipient-unavailable");
    }
    for (std::size_t i = first; i < extensions_.size(); ++i) {
        // Copied: an extension may end the stream, which clears the list.
        auto extension = extensions_[i].extension;
        const auto verdict = extension->on_outbound(*this, stanza);
        if (verdict == Outbound::hold) return;
        if (verdict == Outbound::track) owned = true;
        // The extension ended the stream (a policy violation): the stanza is disposed of as
        // for any ended session, unless an extension keeps it.
        if (state_ == State::closing || state_ == State::closed) {
            if (!owned) server_.router().undeliverable(*host_, std::move(stanza));
            return;
        }
    }
    if (state_ == State::hibernated) {
        if (!owned) server_.router().undeliverable(*host_, std::move(stanza));
        return;
    }
    const bool overflow = out_.over_limit(stanza->bytes().size());
    // Queued even past the bound, behind what came before it, so that it is disposed of in
    // order with the rest when the stream closes.
    out_.push({std::move(stanza), {}, owned});
    if (overflow) return outbound_overflow();
    out_.write();
}

void C2sSession::outbound_overflow() {
    // A client that does not read cannot hold the server's memory. What it was sent and did
    // not get goes to offline storage (or back to its sender where storage does not take it),
    // now and in order, so that what is routed here while the stream closes follows it there
    // rather than overtaking it. What an extension holds (XEP-0198), it disposes of itself.
    store_undelivered_ = true;
    if (host_ && !jid_.empty()) {
        // The stanza the socket is in the middle of is stored as well: should the client read
        // its end after all, it gets that one twice, never not at all. It is kept, marked as
        // disposed of, since the write may still be sending its bytes.
        out_.for_each_unwritten([this](WriteQueue::Entry& out, bool queued) {
            if (queued || !out.stanza || out.owned) return;
            server_.router().undeliverable(*host_, out.stanza);
            out.owned = true;
        });
        out_.drop_queued([this](WriteQueue::Entry& out) {
            if (!out.stanza || out.owned) return false;
            server_.router().undeliverable(*host_, out.stanza);
            return true;
        });
        for (auto& stanza : take_held_live()) server_.router().undeliverable(*host_, stanza);
    }
    stream_error("policy-violation", "the client does not read what the server sends");
}

void C2sSession::on_idle() {
    if (starttls_pending_) {
        // <proceed/> and everything before it is on the wire: the TLS handshake comes next,
        // once the read that carried <starttls/> has returned (it stops on the flag).
        return asio::post(socket_->get_executor(), [self = self()] {
            self->starttls_pending_ = false;
            self->do_handshake();
        });
    }
    if (close_after_write_) shutdown_socket();
}

void C2sSession::close(std::string_view condition, std::string_view text) {
    asio::dispatch(socket_->get_executor(),
                   [self = self(), condition = std::string(condition), text = std::string(text)] {
                       self->stream_error(condition, text);
                   });
}

void C2sSession::stream_error(std::string_view condition, std::string_view text,
                              std::string app_xml) {
    // A stream already closing when the server shuts down is not waited for as long as usual.
    if (state_ == State::closing && server_.stopping()) return arm_close_timer();
    if (state_ == State::closing || state_ == State::closed) return;
    // A hibernated session has no stream to write to: it just ends.
    if (state_ == State::hibernated) return end_session(condition);
    // RFC 6120 §4.9.1.2: even an error before the client's header is sent inside our header.
    // Three entries, which a framed stream sends as three messages (RFC 7395 §3.6.1).
    std::string header = header_sent_ ? std::string() : header_text(true);
    std::string error = stream_error_xml(condition, text, app_xml, framed_);
    spdlog::info("c2s {}{}: stream error {}{}{}", peer_, jid_.empty() ? "" : " " + jid_.str(),
                 condition, text.empty() ? "" : ": ", text);
    state_ = State::closing;
    close_after_write_ = true;
    arm_close_timer();
    // Queued together, then written: a write that finishes at once must not find the queue
    // empty (and close) before the rest is in it.
    if (!header.empty()) out_.push({nullptr, std::move(header)});
    out_.push({nullptr, std::move(error)});
    out_.push({nullptr, std::string(close_text())});
    out_.write();
}

void C2sSession::arm_close_timer() {
    // A client that stopped reading never lets the last write finish: it is not waited for,
    // and at shutdown hardly at all (starlingd(8) bounds the whole shutdown).
    preauth_timer_.expires_after(server_.stopping() ? std::chrono::seconds(1)
                                                    : std::chrono::seconds(5));
    preauth_timer_.async_wait([self = self()](const error_code& ec) {
        if (ec || self->state_ != State::closing) return;
        self->finish_close();
    });
}

void C2sSession::shutdown_socket() {
    socket_->shutdown();
    finish_close();
}

void C2sSession::finish_close() {
    if (dead()) return;
    // Bound and neither side closed the stream: the connection died, and an extension
    // (XEP-0198) may keep the session for the client to resume.
    // Not at shutdown: nobody could resume it.
    if (state_ == State::bound && !handed_over_ && !server_.stopping() &&
        keep_after_connection_lost())
        return hibernate();
    end_bound_session("closed");
}

void C2sSession::end_bound_session(std::string_view reason) {
    // A hibernated session's only owner is the session table, which unbinding empties.
    const auto keep_alive = self();
    const bool was_bound = !jid_.empty();
    state_ = State::closed;
    available_.store(false);
    preauth_timer_.cancel();
    socket_->close();
    connection_slot_.reset();
    end_paced();
    if (handed_over_) {
        // The session lives on in the stream that resumed it, which took what mattered.
        out_.clear();
        ended_.store(true);
        return;
    }
    if (was_bound) {
        server_.sessions().unbind(*this);
        if (host_) {
            SessionEvent event{*host_, shared_from_this(), reason};
            host_->session_hooks().fire(events::session_closed, event);
        }
        spdlog::info("c2s {}: {} logged out", peer_, jid_.str());
    }
    // Stanzas not yet written to this client go back to their senders as errors, except those
    // an extension keeps: it disposes of them below (to offline storage, XEP-0198). At shutdown
    // the senders are being disconnected too, and a stream closed for not reading gets them at
    // its next login, so in both cases they are stored instead (docs/routing.md). A
    // stanza whose last byte reached the socket counts as delivered: without XEP-0198 the write
    // is the only evidence there is.
    const bool store = (server_.stopping() || store_undelivered_) && was_bound && host_;
    out_.for_each_unwritten([&](WriteQueue::Entry& out, bool) {
        if (!out.stanza || out.owned) return;
        if (store) return server_.router().undeliverable(*host_, out.stanza);
        server_.router().bounce(nullptr, *out.stanza, "cancel", "recipient-unavailable");
    });
    out_.clear();
    // Newest-holding last: a later extension (stream management) holds older stanzas than an
    // earlier one (client state indication), and offline storage keeps their order.
    auto extensions = std::move(extensions_);
    extensions_.clear();
    for (auto it = extensions.rbegin(); it != extensions.rend(); ++it)
        it->extension->on_session_end(*this);
    // Live stanzas held behind a backlog are newer than all of the above: last, by the same rule.
    for (auto& stanza : take_held_live()) {
        if (store || !extensions.empty()) {
            server_.router().undeliverable(*host_, std::move(stanza));
            continue;
        }
        server_.router().bounce(nullptr, *stanza, "cancel", "recipient-unavailable");
    }
    ended_.store(true);
}

void C2sSession::release_idle_memory() {
    if (parser_released_.load(std::memory_order_relaxed)) return;
    asio::post(socket_->get_executor(), [self = self()] {
        if (self->state_ != State::bound || !self->parser_->release()) return;
        self->parser_released_.store(true, std::memory_order_relaxed);
    });
}

std::chrono::steady_clock::time_point C2sSession::last_activity() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_activity_.load(std::memory_order_relaxed)));
}

std::string C2sSession::security() const {
    SSL* ssl = socket_->ssl();
    const bool confidential = socket_->confidential();
    std::string out = !tcp_tls_
                          ? std::string(socket_->transport()) + (confidential ? " TLS" : " plain")
                      : !confidential ? "plain"
                      : direct_tls_   ? "TLS"
                                      : "STARTTLS";
    if (ssl) out += std::string(" ") + SSL_get_version(ssl);
    if (!mechanism_name_.empty()) out += " " + mechanism_name_;
    return out;
}

}  // namespace starling
