#include "stream/s2s_in_session.hpp"

#include "core/config_reader.hpp"
#include "core/server.hpp"
#include "net/peer_identity.hpp"
#include "stream/dialback_key.hpp"
#include "stream/s2s_manager.hpp"
#include "stream/sasl.hpp"
#include "stream/scram_crypto.hpp"
#include "stream/stream_namespaces.hpp"
#include "stream/stream_setup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace starling {
namespace {

// Dialback requests one stream may have waiting at once, and domains it may carry: a peer
// cannot make us open and hold connections without bound (XEP-0220 §4, denial of service).
constexpr std::size_t max_pending_dialback = 8;
constexpr std::size_t max_authorized_domains = 64;
// RFC 6120 §6.4.5: a few failed SASL attempts are allowed, then the stream ends.
constexpr int max_failed_auth = 3;

}  // namespace

S2sInSession::S2sInSession(Server& server, asio::ip::tcp::socket socket,
                           std::shared_ptr<net::TlsContexts> tls, bool direct_tls,
                           std::shared_ptr<void> slot)
    : server_(server),
      socket_(std::move(socket)),
      connection_slot_(std::move(slot)),
      tls_contexts_(std::move(tls)),
      direct_tls_(direct_tls),
      preauth_timer_(socket_.tcp().get_executor()) {
    peer_ = socket_.peer();
    status_.set_peer(peer_);
    error_code ec;
    socket_.tcp().set_option(asio::ip::tcp::no_delay(true), ec);
}

S2sInSession::~S2sInSession() = default;

void S2sInSession::start() {
    const auto config = server_.config();
    out_.set_limit(config->limits.outbound_queue_bytes);
    reader_.shaper().set(config->rate_limits.preauth, config->rate_limits.burst,
                         config->rate_limits.hard_after);
    parser_ = std::make_unique<xml::StreamParser>(
        xml::ParserEvents{
            [this](xml::StreamHeader h) { on_stream_open(std::move(h)); },
            [this](xml::ElementPtr e) {
                reader_.take_element();
                on_element(std::move(e));
            },
            [this] {
                if (state_ == State::closing || state_ == State::closed) return;
                begin_closing();
                close_after_write_ = true;
                send_text(final_ack() + "</stream:stream>");
            },
            [this](xml::ParseError e, const std::string& d) {
                stream_error(xml::to_condition(e), d);
            },
        },
        preauth_parser_limits(*config));
    preauth_timer_.expires_after(std::chrono::seconds(config->limits.preauth_timeout));
    preauth_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec || self->state_ == State::authenticated || self->state_ == State::closed) return;
        self->stream_error("connection-timeout", "authentication took too long");
    });
    if (direct_tls_) return do_handshake();
    reader_.start();
}

std::string S2sInSession::who() const {
    return peer_ + (remote_.empty() ? "" : " " + remote_);
}

void S2sInSession::on_bytes(std::string_view bytes) {
    last_activity_ = std::chrono::steady_clock::now();
    parser_->feed(bytes);
}

bool S2sInSession::keep_reading() const {
    // After <starttls/> or SASL success nothing else in the same read is processed: it would
    // belong to the old stream (a STARTTLS command injection defence, as on c2s).
    return !starttls_pending_ && state_ != State::closing;
}

std::string S2sInSession::header_text(bool with_decl) const {
    std::string out = with_decl ? "<?xml version='1.0'?>" : "";
    out +=
        "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' "
        "xmlns:stream='http://etherx.jabber.org/streams'";
    out += " id='" + stream_id_ + "'";
    if (!local_.empty()) out += " from='" + local_ + "'";
    if (!remote_.empty()) out += " to='" + remote_ + "'";
    return out + " version='1.0'>";
}

void S2sInSession::on_stream_open(xml::StreamHeader header) {
    if (state_ == State::closing || state_ == State::closed) return;
    stream_id_ = sasl::to_hex(sasl::random_bytes(16));
    const bool first = !header_sent_;
    // Headers are checked in the order RFC 6120 §4.9.3 lists the conditions; our answer names
    // our domain only once the peer named one of ours.
    const std::string to = config::lowercase(std::string(header.attr("to")));
    const auto from = Jid::parse(header.attr("from"));
    if (header.default_ns != ns_server) return stream_error("invalid-namespace");
    if (to.empty() || !server_.serves(to))
        return stream_error("host-unknown", to.empty() ? "no 'to' domain given" : "");
    if (!first && to != local_) return stream_error("host-unknown", "the stream changed domains");
    local_ = to;
    if (header.attr("version") != "1.0")
        return stream_error("unsupported-version", "only XMPP 1.0 streams are accepted");
    // The peer must say who it is: that is the name its certificate is checked against.
    if (!from || !from->is_domain())
        return stream_error("invalid-from", "name your domain in the header's 'from'");
    if (!first && from->domain() != remote_)
        return stream_error("invalid-from", "the stream changed domains");
    remote_ = from->domain();
    if (!server_.config()->s2s.federates_with(remote_))
        return stream_error("policy-violation", "this server does not federate with " + remote_);
    status_.set_local(local_);
    status_.set_remote(remote_);
    if (socket_.ssl() && authorized_.empty())
        status_.set_state("negotiating", SSL_get_version(socket_.ssl()));
    std::string out = header_text(first);
    header_sent_ = true;
    if (state_ == State::connected) state_ = State::opened;
    send_text(std::move(out));
    send_features();
}

void S2sInSession::send_features() {
    std::string out = "<stream:features>";
    if (state_ == State::opened) {
        if (!socket_.ssl()) {
            out += "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>";
        } else {
            const auto identity = net::check_peer_identity(socket_.ssl(), remote_);
            identity_error_ = identity.ok ? "" : identity.reason;
            // Without a certificate that proves the domain, and without dialback, there is
            // nothing to offer: the peer learns that from an empty list.
            out += "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
            if (identity.ok) out += "<mechanism>EXTERNAL</mechanism>";
            out += "</mechanisms>";
            if (identity.ok || server_.config()->s2s.dialback_allowed(remote_)) {
                out += "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>";
                // Dialback has no restart, so this is the last list the peer sees: <enable/>
                // is still refused until it authenticated.
                out += "<sm xmlns='urn:xmpp:sm:3'/>";
            }
            if (server_.config()->s2s.bidi) out += "<bidi xmlns='urn:xmpp:features:bidi'/>";
            if (!identity.ok)
                spdlog::info("s2s in {}: certificate refused for {}: {}", peer_, remote_,
                             identity.reason);
        }
    } else if (state_ == State::authenticated) {
        out += "<sm xmlns='urn:xmpp:sm:3'/>";
    }
    out += "</stream:features>";
    send_text(std::move(out));
}

void S2sInSession::on_element(xml::ElementPtr element) {
    if (state_ == State::closing || state_ == State::closed) return;
    const auto& ns = element->xmlns();
    const auto& name = element->name();
    if (ns == ns_streams && name == "error") {
        // The peer ends the stream (a shutdown, say): close ours in turn, answering nothing.
        const auto* condition = element->first_child_element();
        spdlog::info("s2s in {}: the peer ended the stream: {}", who(),
                     condition ? condition->name() : "no condition");
        begin_closing();
        close_after_write_ = true;
        return send_text("</stream:stream>");
    }
    if (!socket_.ssl()) {
        if (ns == ns_tls && name == "starttls") return handle_starttls();
        return stream_error("policy-violation", "use STARTTLS first");
    }
    if (ns == ns_bidi && name == "bidi") return handle_bidi();
    // Dialback goes on after authentication: more domain pairs, and verifications.
    if (ns == ns_dialback && name == "result") return handle_dialback_result(*element);
    if (ns == ns_dialback && name == "verify") return handle_dialback_verify(*element);
    if (ns == ns_sm) return on_stream_management(*element);
    if (state_ == State::authenticated) {
        if (ns == ns_server && (name == "message" || name == "presence" || name == "iq")) {
            if (auto refusal = inbound_.route(std::move(element), stanza_receipt(), authorized_))
                stream_error(refusal->condition, refusal->text);
            return;
        }
        return stream_error("unsupported-stanza-type");
    }
    if (ns == ns_sasl && name == "auth") return handle_auth(*element);
    return stream_error("not-authorized", "authenticate first");
}

void S2sInSession::handle_starttls() {
    // Nothing after <starttls/> in this read is processed: reset() from a handler stops the
    // parser here, and the next bytes it sees come through TLS, into a fresh document.
    parser_->reset();
    starttls_pending_ = true;
    send_text("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
}

void S2sInSession::do_handshake() {
    socket_.async_handshake(tls_contexts_->default_context().native_handle(),
                            [self = shared_from_this()](std::string error) {
                                if (self->state_ == State::closed) return;
                                if (!error.empty()) {
                                    spdlog::info("s2s in {}: TLS handshake failed: {}", self->who(),
                                                 error);
                                    return self->finish_close();
                                }
                                self->reader_.start();
                            });
}

void S2sInSession::handle_auth(const xml::Element& element) {
    const auto failure = [this](std::string_view condition) {
        send_text("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><" + std::string(condition) +
                  "/></failure>");
        if (++failed_auth_ >= max_failed_auth)
            stream_error("policy-violation", "too many failed authentication attempts");
    };
    if (element.attr("mechanism") != "EXTERNAL") return failure("invalid-mechanism");
    if (!identity_error_.empty()) {
        spdlog::info("s2s in {}: EXTERNAL refused: {}", who(), identity_error_);
        return failure("not-authorized");
    }
    // RFC 6120 §6.4.2 and RFC 4422 Appendix A: an empty response ("=") or the domain itself as
    // the authorization identity; never another domain.
    const std::string text = element.text();
    if (!text.empty() && text != "=") {
        const auto authzid = sasl::base64_decode(text);
        if (!authzid) return failure("incorrect-encoding");
        if (config::lowercase(*authzid) != remote_) return failure("invalid-authzid");
    }
    authorize(remote_, local_, "EXTERNAL");
    // The peer restarts the stream after <success/>: the next bytes start a new document.
    parser_->reset();
    send_text("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
}

void S2sInSession::authorize(const std::string& sender, const std::string& target,
                             const char* how) {
    std::pair<std::string, std::string> pair{sender, target};
    if (std::find(pairs_.begin(), pairs_.end(), pair) != pairs_.end()) return;
    pairs_.push_back(std::move(pair));
    if (std::find(authorized_.begin(), authorized_.end(), sender) == authorized_.end())
        authorized_.push_back(sender);
    spdlog::info("s2s in {}: {} authenticated for {} by {} ({})", peer_, sender, target, how,
                 SSL_get_version(socket_.ssl()));
    if (state_ == State::authenticated) return add_routes();
    state_ = State::authenticated;
    preauth_timer_.cancel();
    const auto config = server_.config();
    auto limits = parser_->limits();
    limits.max_stanza_bytes = config->s2s.stanza_bytes;
    limits.max_elements = config->limits.stanza_elements;
    parser_->set_limits(limits);
    reader_.shaper().set(config->rate_limits.s2s, config->rate_limits.burst,
                         config->rate_limits.hard_after);
    status_.set_state("authenticated", SSL_get_version(socket_.ssl()), how);
    arm_idle_timer();
    add_routes();
}

void S2sInSession::handle_bidi() {
    if (!server_.config()->s2s.bidi)
        return stream_error("unsupported-stanza-type", "bidirectional streams are not offered");
    // Once is enough: a peer repeating it (Prosody asks on every list of features it sees
    // before authenticating) makes no more work.
    if (bidi_) return;
    bidi_ = true;
    status_.set_bidi();
    add_routes();
}

void S2sInSession::add_routes() {
    // XEP-0288 §2.2: nothing goes to the peer before it authenticated, and then only from the
    // domains it authenticated to, to the domains it authenticated as.
    if (!bidi_ || state_ != State::authenticated) return;
    for (const auto& [sender, target] : pairs_)
        server_.s2s().add_route(target, sender, shared_from_this());
}

void S2sInSession::deliver(StanzaPtr stanza) {
    delivering_(static_cast<asio::io_context&>(
                    asio::query(socket_.tcp().get_executor(), asio::execution::context)),
                [self = shared_from_this(), stanza = std::move(stanza)]() mutable {
                    self->send_stanza(std::move(stanza));
                });
}

void S2sInSession::send_stanza(StanzaPtr stanza) {
    // Routed here before the stream began to close: S2sManager has forgotten the stream since
    // (begin_closing), so it finds another way.
    if (state_ != State::authenticated) return server_.s2s().send(std::move(stanza));
    if (over_bound(stanza->bytes().size()))
        return server_.router().bounce(nullptr, *stanza, "wait", "resource-constraint",
                                       remote_ + " does not read what it is sent");
    last_activity_ = std::chrono::steady_clock::now();
    write_stanza(std::move(stanza));
    out_.write();
}

void S2sInSession::begin_closing() {
    state_ = State::closing;
    if (bidi_) server_.s2s().remove_routes(this);
}

void S2sInSession::handle_dialback_result(const xml::Element& element) {
    // A typed result is an answer, and answers only come on streams we open: one here is
    // unsolicited (XEP-0220 §4.1), an attempt to pass for a verified domain.
    if (element.has_attr("type"))
        return stream_error("policy-violation", "an unsolicited dialback result");
    const auto from = Jid::parse(element.attr("from"));
    const auto to = Jid::parse(element.attr("to"));
    if (!from || !from->is_domain() || !to || !to->is_domain())
        return stream_error("improper-addressing", "a dialback request names two domains");
    const std::string& sender = from->domain();
    const std::string& target = to->domain();
    const auto answer = [&](dialback::Verdict verdict) {
        send_text(dialback::result_answer(target, sender, verdict));
    };
    if (!server_.serves(target)) return answer(dialback::Verdict::error("item-not-found"));
    if (server_.serves(sender)) return answer(dialback::Verdict::error("not-acceptable"));
    if (!server_.config()->s2s.federates_with(sender))
        return answer(dialback::Verdict::error("forbidden"));
    if (std::find(authorized_.begin(), authorized_.end(), sender) != authorized_.end()) {
        authorize(sender, target, "dialback");
        return answer(dialback::Verdict::valid());
    }
    const std::pair<std::string, std::string> pair{sender, target};
    if (std::find(dialback_pending_.begin(), dialback_pending_.end(), pair) !=
        dialback_pending_.end())
        return;  // already being verified: its answer will come
    if (dialback_pending_.size() >= max_pending_dialback ||
        authorized_.size() >= max_authorized_domains)
        return answer(dialback::Verdict::error("resource-constraint"));
    // XEP-0344: a certificate that proves the sending domain answers at once.
    if (net::check_peer_identity(socket_.ssl(), sender).ok) {
        authorize(sender, target, "dialback with its certificate");
        return answer(dialback::Verdict::valid());
    }
    if (!server_.config()->s2s.dialback_allowed(sender)) {
        spdlog::info("s2s in {}: dialback refused for {}: s2s.require_certificates", who(), sender);
        return answer(dialback::Verdict::error("not-authorized"));
    }
    dialback_pending_.push_back(pair);
    // The answer comes on the outgoing stream's thread; the weak pointer lets this stream end
    // meanwhile, and on_verified drops an answer nobody waits for any more.
    server_.s2s().verify(target, sender, stream_id_, element.text(),
                         [weak = weak_from_this(), sender, target](dialback::Verdict verdict) {
                             const auto self = weak.lock();
                             if (!self) return;
                             asio::dispatch(
                                 self->socket_.tcp().get_executor(),
                                 [self, sender, target, verdict = std::move(verdict)]() mutable {
                                     self->on_verified(sender, target, std::move(verdict));
                                 });
                         });
}

void S2sInSession::on_verified(const std::string& from, const std::string& to,
                               dialback::Verdict verdict) {
    if (state_ == State::closing || state_ == State::closed) return;
    const auto it = std::find(dialback_pending_.begin(), dialback_pending_.end(),
                              std::pair<std::string, std::string>{from, to});
    if (it == dialback_pending_.end()) return;
    dialback_pending_.erase(it);
    switch (verdict.kind) {
        case dialback::Verdict::Kind::valid:
            authorize(from, to, "dialback");
            return send_text(dialback::result_answer(to, from, verdict));
        case dialback::Verdict::Kind::invalid:
            // XEP-0220 §2.2.1: a spoofing attempt; the stream must close.
            spdlog::warn("s2s in {}: {}'s server says the dialback key for it is not its own",
                         who(), from);
            send_text(dialback::result_answer(to, from, verdict));
            return stream_error("not-authorized",
                                "the dialback key for " + from + " was refused by its own server");
        case dialback::Verdict::Kind::error:
            spdlog::info("s2s in {}: could not verify {}'s dialback key: {}", who(), from,
                         verdict.condition);
            return send_text(dialback::result_answer(to, from, verdict));
    }
}

void S2sInSession::handle_dialback_verify(const xml::Element& element) {
    // Answers to our verify requests come on the stream we opened, never on this one.
    if (element.has_attr("type"))
        return stream_error("policy-violation", "an unsolicited dialback verification");
    const auto from = Jid::parse(element.attr("from"));
    const auto to = Jid::parse(element.attr("to"));
    const auto id = element.attr("id");
    if (!from || !from->is_domain() || !to || !to->is_domain() || id.empty())
        return stream_error("improper-addressing",
                            "a dialback verification names two domains and a stream id");
    // We are the Authoritative Server for `to`: the key is ours if it is the one we would
    // have made for that Receiving Server's stream.
    dialback::Verdict verdict = dialback::Verdict::error("item-not-found");
    if (server_.serves(to->domain()))
        verdict = dialback::valid(element.text(), server_.s2s().dialback_secret(), from->domain(),
                                  to->domain(), id)
                      ? dialback::Verdict::valid()
                      : dialback::Verdict::invalid();
    send_text(dialback::verify_answer(to->domain(), from->domain(), id, verdict));
}

void S2sInSession::arm_idle_timer() {
    const auto idle = std::chrono::seconds(server_.config()->s2s.idle_timeout);
    preauth_timer_.expires_at(last_activity_ + idle);
    preauth_timer_.async_wait([self = shared_from_this(), idle](const error_code& ec) {
        if (ec || self->state_ != State::authenticated) return;
        if (std::chrono::steady_clock::now() - self->last_activity_ < idle)
            return self->arm_idle_timer();
        spdlog::info("s2s in {}: idle for {} s, closing", self->who(), idle.count());
        self->begin_closing();
        self->close_after_write_ = true;
        self->send_text(self->final_ack() + "</stream:stream>");
    });
}

void S2sInSession::send_text(std::string text) {
    // The closing stream error is let through past the bound, so the peer can learn why.
    if (state_ != State::closing && out_.over_limit(text.size()))
        return stream_error("policy-violation", "the peer does not read what it is sent");
    out_.push({nullptr, std::move(text)});
    out_.write();
}

void S2sInSession::on_idle() {
    if (starttls_pending_) {
        // <proceed/> is on the wire: the handshake comes next, once the read that carried
        // <starttls/> has returned (it stops on the flag).
        return asio::post(socket_.tcp().get_executor(), [self = shared_from_this()] {
            self->starttls_pending_ = false;
            self->do_handshake();
        });
    }
    if (!close_after_write_) return request_ack();
    socket_.shutdown();
    finish_close();
}

void S2sInSession::close(std::string_view condition, std::string_view text) {
    asio::dispatch(socket_.tcp().get_executor(),
                   [self = shared_from_this(), condition = std::string(condition),
                    text = std::string(text)] { self->stream_error(condition, text); });
}

void S2sInSession::stream_error(std::string_view condition, std::string_view text,
                                std::string_view app) {
    if (state_ == State::closing || state_ == State::closed) return;
    // RFC 6120 §4.9.1.2: an error about the header still comes inside our header.
    std::string out = header_sent_ ? "" : header_text(true);
    header_sent_ = true;
    out += stream_error_xml(condition, text, app) + "</stream:stream>";
    spdlog::info("s2s in {}: stream error {}{}{}", who(), condition, text.empty() ? "" : ": ",
                 text);
    begin_closing();
    close_after_write_ = true;
    // A peer that stopped reading never lets the last write finish.
    preauth_timer_.expires_after(std::chrono::seconds(5));
    preauth_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (!ec) self->finish_close();
    });
    send_text(std::move(out));
}

void S2sInSession::finish_close() {
    if (state_ == State::closed) return;
    if (bidi_ && state_ == State::authenticated) server_.s2s().remove_routes(this);
    state_ = State::closed;
    status_.set_state("closed");
    preauth_timer_.cancel();
    inbound_.cancel();
    socket_.close();
    connection_slot_.reset();
    const std::string why = "the stream to " + remote_ + " closed";
    bounce_unacked("remote-server-not-found", why);
    server_.s2s().bounce_unwritten(out_, "remote-server-not-found", why);
    if (!authorized_.empty()) spdlog::info("s2s in {}: stream closed", who());
    ended_.store(true);
}

}  // namespace starling
