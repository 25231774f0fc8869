#include "stream/s2s_out_session.hpp"

#include "core/server.hpp"
#include "net/connector.hpp"
#include "net/peer_identity.hpp"
#include "net/tls_context.hpp"
#include "stream/dialback_key.hpp"
#include "stream/s2s_manager.hpp"
#include "stream/sm_elements.hpp"
#include "stream/stream_namespaces.hpp"
#include "stream/stream_setup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

namespace starling {
namespace {

// One connection attempt (each address of each target) before the next is tried.
constexpr auto attempt_timeout = std::chrono::seconds(10);

bool offers(const xml::Element& features, std::string_view name, std::string_view ns) {
    return features.child(name, ns) != nullptr;
}

bool offers_dialback(const xml::Element& features) {
    return offers(features, "dialback", ns_dialback_feature);
}

bool offers_external(const xml::Element& features) {
    const auto* mechanisms = features.child("mechanisms", ns_sasl);
    if (!mechanisms) return false;
    for (const auto& child : mechanisms->children())
        if (const auto* e = std::get_if<xml::ElementPtr>(&child))
            if ((*e)->name() == "mechanism" && (*e)->text() == "EXTERNAL") return true;
    return false;
}

}  // namespace

S2sOutSession::S2sOutSession(Server& server, asio::io_context& io, std::string local,
                             std::string remote, std::function<void()> ended)
    : server_(server),
      io_(io),
      local_(std::move(local)),
      remote_(std::move(remote)),
      ended_(std::move(ended)),
      // Read now: stanzas queue before the stream starts.
      limit_(server.config()->limits.outbound_queue_bytes),
      timer_(io) {}

S2sOutSession::~S2sOutSession() = default;

void S2sOutSession::start() {
    asio::dispatch(io_, [self = shared_from_this()] { self->connect(); });
}

void S2sOutSession::connect() {
    const auto config = server_.config();
    timer_.expires_after(std::chrono::seconds(config->limits.preauth_timeout));
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec || self->state_ == State::ready || self->state_ == State::closed) return;
        self->fail("remote-server-timeout", "setting up the stream took too long");
    });
    std::vector<net::Target> targets;
    if (const auto it = config->s2s.hosts.find(remote_); it != config->s2s.hosts.end())
        targets.push_back({it->second.first, it->second.second, false});
    try {
        resolver_ = std::make_unique<net::Resolver>(
            io_, net::Resolver::Options{config->s2s.dns_servers, {}, 0});
    } catch (const std::exception& e) {
        return fail("remote-server-not-found", e.what());
    }
    net::connect_to_domain(
        io_, *resolver_, remote_, std::move(targets), attempt_timeout,
        [self = shared_from_this()](std::optional<net::Connection> connection, std::string error) {
            if (self->state_ == State::closed) return;
            if (!connection) return self->fail("remote-server-not-found", error);
            self->on_connected(std::move(connection->socket), connection->target);
        });
}

void S2sOutSession::on_connected(asio::ip::tcp::socket socket, const net::Target& target) {
    error_code ec;
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    spdlog::info("s2s out {} -> {}: connected to {}:{}", local_, remote_, target.host, target.port);
    std::ostringstream peer;
    peer << socket.remote_endpoint(ec);
    status_.set_peer(peer.str());
    status_.set_state("negotiating");
    socket_ = std::make_unique<net::TcpTlsSocket>(std::move(socket));
    // The bases are private: converted here, where they are accessible.
    StreamReader::Owner& reads_for = *this;
    WriteQueue::Owner& writes_for = *this;
    reader_ = std::make_unique<StreamReader>(*socket_, server_, reads_for, "s2s", "");
    // The peer authenticates itself here (TLS, then SASL or dialback) before it may send a
    // stanza at all: the stream has the rate of an authenticated server from the start.
    const auto config = server_.config();
    reader_->shaper().set(config->rate_limits.s2s, config->rate_limits.burst,
                          config->rate_limits.hard_after);
    out_ = std::make_unique<WriteQueue>(*socket_, writes_for);
    out_->set_limit(limit_);
    parser_ = std::make_unique<xml::StreamParser>(
        xml::ParserEvents{
            [this](xml::StreamHeader h) { on_stream_open(h); },
            [this](xml::ElementPtr e) {
                reader_->take_element();
                on_element(std::move(e));
            },
            [this] {
                if (state_ == State::closing || state_ == State::closed) return;
                state_ = State::closing;
                multiplexing_ = false;
                close_after_write_ = true;
                send_text(final_ack() + "</stream:stream>");
            },
            [this](xml::ParseError, const std::string& d) {
                fail("remote-server-not-found", "the remote server sent bad XML: " + d);
            },
        },
        preauth_parser_limits(*server_.config()));
    if (target.direct_tls) return tls_handshake();
    start_stream();
    reader_->start();
}

void S2sOutSession::start_stream() {
    send_text(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
        "xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' "
        "from='" +
        local_ + "' to='" + remote_ + "' version='1.0'>");
}

void S2sOutSession::tls_handshake() {
    const auto config = server_.config();
    const auto hosts = config->tls.hosts.find(local_);
    const auto& own = hosts != config->tls.hosts.end() ? hosts->second : config->tls.defaults;
    std::shared_ptr<asio::ssl::context> context;
    try {
        context = net::make_client_context(&own, config->s2s.ca_file);
    } catch (const std::exception& e) {
        return fail("remote-server-not-found", e.what());
    }
    client_context_ = context;
    socket_->async_client_handshake(
        context->native_handle(), remote_, [self = shared_from_this()](std::string error) {
            if (self->state_ == State::closed) return;
            self->handshake_pending_ = false;
            if (!error.empty())
                return self->fail("remote-server-not-found", "TLS handshake failed: " + error);
            const auto identity = net::check_peer_identity(self->socket_->ssl(), self->remote_);
            if (!identity.ok) {
                if (!self->server_.config()->s2s.dialback_allowed(self->remote_))
                    return self->fail("remote-server-not-found",
                                      "the remote certificate was refused: " + identity.reason);
                spdlog::info(
                    "s2s out {} -> {}: the remote certificate does not prove the "
                    "domain ({}); going on, as s2s policy lets it rely on dialback",
                    self->local_, self->remote_, identity.reason);
            }
            self->parser_->reset();  // the stream inside TLS is a new document
            self->start_stream();
            self->reader_->start();
        });
}

void S2sOutSession::on_bytes(std::string_view bytes) {
    last_activity_ = std::chrono::steady_clock::now();
    parser_->feed(bytes);
}

void S2sOutSession::on_stream_open(const xml::StreamHeader& header) {
    if (header.default_ns != ns_server)
        return fail("remote-server-not-found", "the remote server answered in another namespace");
    if (header.attr("version") != "1.0")
        return fail("remote-server-not-found", "the remote server does not speak XMPP 1.0");
    stream_id_ = std::string(header.attr("id"));
    if (state_ == State::connecting) state_ = State::opened;
}

void S2sOutSession::on_element(xml::ElementPtr element) {
    if (state_ == State::closing || state_ == State::closed) return;
    const auto& ns = element->xmlns();
    const auto& name = element->name();
    if (ns == ns_streams && name == "features") return on_features(*element);
    if (ns == ns_streams && name == "error") {
        std::string condition = "an unknown condition";
        for (const auto& child : element->children())
            if (const auto* e = std::get_if<xml::ElementPtr>(&child)) {
                if ((*e)->name() != "text") condition = (*e)->name();
            }
        return fail("remote-server-not-found", "the remote server ended the stream: " + condition);
    }
    if (ns == ns_tls && name == "proceed" && !socket_->ssl()) {
        // Nothing else may be read before TLS: the next bytes are the handshake's.
        handshake_pending_ = true;
        parser_->stop();
        return asio::post(io_, [self = shared_from_this()] {
            if (self->state_ != State::closed) self->tls_handshake();
        });
    }
    if (ns == ns_sasl && name == "success" && state_ == State::authenticating) {
        // A new stream follows <success/> (RFC 6120 §6.4.6): the rest of this read, if any,
        // is dropped with the old document.
        parser_->reset();
        authenticated_ = true;
        return start_stream();
    }
    if (ns == ns_sasl && name == "failure" && state_ == State::authenticating) {
        if (dialback_offered_) return send_dialback_key();
        return fail("remote-server-not-found",
                    "the remote server refused our certificate (SASL EXTERNAL)");
    }
    if (ns == ns_dialback) return on_dialback(*element);
    if (ns == ns_sm && state_ == State::ready) return on_stream_management(*element);
    if (bidi_ && state_ == State::ready && ns == ns_server &&
        (name == "message" || name == "presence" || name == "iq")) {
        if (auto refusal = inbound_.route(std::move(element),
                                          inbound_acks_ ? inbound_acks_->arrived() : nullptr,
                                          remote_senders_, &targets_))
            stream_error(refusal->condition, refusal->text);
        return;
    }
    // The receiving server sends nothing else on a stream it did not open (or before it is
    // authenticated, XEP-0288 §2.2).
    fail("remote-server-not-found", "unexpected <" + name + "/> from the remote server");
}

void S2sOutSession::on_features(const xml::Element& features) {
    if (!socket_->ssl()) {
        if (!offers(features, "starttls", ns_tls))
            return fail("remote-server-not-found", "the remote server does not offer TLS");
        return send_text("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    }
    // After SASL the new features say it; with dialback, those after TLS do.
    sm_offered_ = offers(features, "sm", ns_sm);
    if (authenticated_) return ready("EXTERNAL");
    secured_ = true;
    send_verifies();
    // XEP-0288 §2.2: asked for before authentication, which it then covers.
    if (!bidi_ && server_.config()->s2s.bidi && offers(features, "bidi", ns_bidi_feature)) {
        bidi_ = true;
        status_.set_bidi();
        send_text("<bidi xmlns='urn:xmpp:bidi'/>");
    }
    dialback_offered_ = offers_dialback(features);
    if (!offers_external(features)) {
        if (dialback_offered_) return send_dialback_key();
        return fail("remote-server-not-found",
                    "the remote server offers neither SASL EXTERNAL nor Server Dialback");
    }
    state_ = State::authenticating;
    // An empty authorization identity: the one our certificate proves (RFC 6120 §6.4.2).
    send_text("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>");
}

void S2sOutSession::send_dialback_key() {
    state_ = State::authenticating;
    dialback_sent_ = true;
    // XEP-0185: bound to the Receiving Server's domain, ours, and the id of its stream header.
    const auto key = dialback::key(server_.s2s().dialback_secret(), remote_, local_, stream_id_);
    send_text(dialback::result_request(local_, remote_, key));
}

void S2sOutSession::on_dialback(const xml::Element& element) {
    const auto from = element.attr("from");
    const auto to = element.attr("to");
    const auto verdict = dialback::read_verdict(element);
    // Only answers to what we asked on this stream count (XEP-0220 §4.1, "unsolicited
    // dialback"): the right element, between the right domains, for a request outstanding.
    if (element.name() == "result") {
        if (from == remote_ && to != local_ && !element.attr("type").empty()) {
            if (const auto it = senders_.find(std::string(to));
                it != senders_.end() && !it->second.accepted)
                return on_sender_verdict(it->first, verdict);
        }
        if (!dialback_sent_ || from != remote_ || to != local_ || element.attr("type").empty()) {
            spdlog::info("s2s out {} -> {}: ignored an unsolicited dialback result", local_,
                         remote_);
            return;
        }
        dialback_sent_ = false;
        if (verdict.kind == dialback::Verdict::Kind::valid) return ready("dialback");
        if (verdict.kind == dialback::Verdict::Kind::invalid)
            return fail("remote-server-not-found", "the remote server refused our dialback key");
        // XEP-0220 §2.4: an error leaves the stream up, but what waits for it times out.
        return fail("remote-server-timeout", "dialback failed: " + verdict.condition);
    }
    if (element.name() == "verify") {
        const auto id = element.attr("id");
        const auto it = std::find_if(verifies_.begin(), verifies_.end(), [&](const auto& v) {
            return v.sent && v.stream_id == id && v.local == to;
        });
        if (it == verifies_.end() || from != remote_ || element.attr("type").empty()) {
            spdlog::info("s2s out {} -> {}: ignored an unsolicited dialback verification", local_,
                         remote_);
            return;
        }
        auto done = std::move(it->done);
        verifies_.erase(it);
        return done(verdict);
    }
    spdlog::info("s2s out {} -> {}: ignored <db:{}/>", local_, remote_, element.name());
}

void S2sOutSession::verify(std::string local, std::string stream_id, std::string key,
                           std::function<void(dialback::Verdict)> done) {
    asio::dispatch(
        io_, [self = shared_from_this(), local = std::move(local), stream_id = std::move(stream_id),
              key = std::move(key), done = std::move(done)]() mutable {
            self->request_verify(std::move(local), std::move(stream_id), std::move(key),
                                 std::move(done));
        });
}

void S2sOutSession::request_verify(std::string local, std::string stream_id, std::string key,
                                   std::function<void(dialback::Verdict)> done) {
    // Asked of this stream before its manager forgot it for idleness: a new stream takes it.
    if (idle_closing_)
        return server_.s2s().verify(local, remote_, std::move(stream_id), std::move(key),
                                    std::move(done));
    if (state_ == State::closing || state_ == State::closed)
        return done(dialback::Verdict::error("remote-server-timeout"));
    verifies_.push_back({std::move(local), std::move(stream_id), std::move(key), std::move(done)});
    if (secured_) send_verifies();
}

void S2sOutSession::send_verifies() {
    for (auto& v : verifies_) {
        if (v.sent) continue;
        v.sent = true;
        send_text(dialback::verify_request(v.local, remote_, v.stream_id, v.key));
    }
}

void S2sOutSession::ready(const char* how) {
    state_ = State::ready;
    timer_.cancel();
    auto limits = parser_->limits();
    limits.max_elements = server_.config()->limits.stanza_elements;
    if (bidi_) limits.max_stanza_bytes = server_.config()->s2s.stanza_bytes;
    parser_->set_limits(limits);
    spdlog::info("s2s out {} -> {}: ready ({}, {}), {} stanza(s) queued", local_, remote_,
                 SSL_get_version(socket_->ssl()), how, pending_.size());
    status_.set_state("ready", SSL_get_version(socket_->ssl()), how);
    status_.queued = 0;
    last_activity_ = std::chrono::steady_clock::now();
    multiplexing_ = dialback_offered_;
    arm_idle_timer();
    enable_stream_management();
    auto pending = std::move(pending_);
    pending_.clear();
    pending_bytes_ = 0;
    for (auto& stanza : pending) write_stanza(std::move(stanza));
    out_->write();
}

void S2sOutSession::deliver(StanzaPtr stanza) {
    delivering_(io_, [self = shared_from_this(), stanza = std::move(stanza)]() mutable {
        self->enqueue(std::move(stanza));
    });
}

void S2sOutSession::enqueue(StanzaPtr stanza) {
    // Sent to this stream before its manager forgot it for idleness: a new stream takes it.
    if (idle_closing_) return server_.s2s().send(std::move(stanza));
    if (state_ == State::closing || state_ == State::closed)
        return server_.router().bounce(nullptr, *stanza, "cancel", "remote-server-not-found",
                                       "the stream to " + remote_ + " closed");
    const std::size_t size = stanza->bytes().size();
    if (const auto& sender = stanza->from().domain(); sender != local_ && state_ == State::ready)
        return enqueue_for_sender(sender, std::move(stanza));
    if (state_ != State::ready) {
        if (pending_bytes_ + size > limit_)
            return server_.router().bounce(nullptr, *stanza, "wait", "resource-constraint",
                                           "too much is waiting for " + remote_);
        pending_bytes_ += size;
        pending_.push_back(std::move(stanza));
        status_.queued = pending_.size();
        return;
    }
    if (over_bound(size))
        return server_.router().bounce(nullptr, *stanza, "wait", "resource-constraint",
                                       remote_ + " does not read what it is sent");
    last_activity_ = std::chrono::steady_clock::now();
    write_stanza(std::move(stanza));
    out_->write();
}

bool S2sOutSession::carries_sender(const std::string& sender) const {
    if (!multiplexing_.load()) return false;
    std::lock_guard lock(refused_mutex_);
    return refused_.count(sender) == 0;
}

void S2sOutSession::enqueue_for_sender(const std::string& sender, StanzaPtr stanza) {
    auto [it, first] = senders_.try_emplace(sender);
    auto& state = it->second;
    if (state.accepted) {
        if (over_bound(stanza->bytes().size()))
            return server_.router().bounce(nullptr, *stanza, "wait", "resource-constraint",
                                           remote_ + " does not read what it is sent");
        last_activity_ = std::chrono::steady_clock::now();
        write_stanza(std::move(stanza));
        return out_->write();
    }
    if (state.bytes + stanza->bytes().size() > limit_)
        return server_.router().bounce(nullptr, *stanza, "wait", "resource-constraint",
                                       "too much is waiting for " + remote_);
    state.bytes += stanza->bytes().size();
    state.waiting.push_back(std::move(stanza));
    if (!first) return;
    // XEP-0220 §8.3: a Sender Domain added to the stream, its key bound to this stream's id
    // as our own is.
    spdlog::info("s2s out {} -> {}: asking the peer to take {} on this stream", local_, remote_,
                 sender);
    send_text(dialback::result_request(
        sender, remote_,
        dialback::key(server_.s2s().dialback_secret(), remote_, sender, stream_id_)));
}

void S2sOutSession::on_sender_verdict(const std::string& sender, const dialback::Verdict& verdict) {
    auto node = senders_.extract(sender);
    auto& state = node.mapped();
    if (verdict.kind == dialback::Verdict::Kind::valid) {
        spdlog::info("s2s out {} -> {}: {} shares the stream", local_, remote_, sender);
        state.accepted = true;
        state.bytes = 0;
        targets_.push_back(sender);
        std::string senders = local_;
        for (const auto& target : targets_)
            if (target != local_) senders += "," + target;
        status_.set_local(senders);
        auto waiting = std::move(state.waiting);
        state.waiting.clear();
        senders_.insert(std::move(node));
        for (auto& stanza : waiting) write_stanza(std::move(stanza));
        return out_->write();
    }
    // Refused here, perhaps only for want of a certificate naming it: a stream of its own,
    // with its own certificate, may still succeed.
    spdlog::info("s2s out {} -> {}: the peer refused {} on this stream ({}); it gets its own",
                 local_, remote_, sender,
                 verdict.condition.empty() ? "invalid" : verdict.condition);
    {
        std::lock_guard lock(refused_mutex_);
        refused_.insert(sender);
    }
    server_.s2s().forget(sender, remote_, this);
    for (auto& stanza : state.waiting) server_.s2s().send(std::move(stanza));
}

void S2sOutSession::arm_idle_timer() {
    const auto idle = std::chrono::seconds(server_.config()->s2s.idle_timeout);
    timer_.expires_at(last_activity_ + idle);
    timer_.async_wait([self = shared_from_this(), idle](const error_code& ec) {
        if (ec || self->state_ != State::ready) return;
        if (self->ack_overdue(idle))
            return self->fail("remote-server-timeout", "no acknowledgement (XEP-0198) for " +
                                                           std::to_string(idle.count()) + " s");
        if (std::chrono::steady_clock::now() - self->last_activity_ < idle)
            return self->arm_idle_timer();
        if (self->wait_for_final_ack()) return self->arm_idle_timer();
        spdlog::info("s2s out {} -> {}: idle for {} s, closing", self->local_, self->remote_,
                     idle.count());
        self->close_idle();
    });
}

void S2sOutSession::close_idle() {
    // Forgotten at once, so the next stanza for the domain opens a new stream.
    idle_closing_ = true;
    if (auto ended = std::move(ended_)) ended();
    state_ = State::closing;
    multiplexing_ = false;
    close_after_write_ = true;
    send_text(final_ack() + "</stream:stream>");
}

void S2sOutSession::send_text(std::string text) {
    out_->push({nullptr, std::move(text)});
    out_->write();
}

void S2sOutSession::on_idle() {
    if (!close_after_write_) return request_ack();
    socket_->shutdown();
    finish_close("remote-server-not-found", "the stream to " + remote_ + " closed");
}

void S2sOutSession::on_read_failed(net::IoStatus) {
    if (state_ == State::closing)
        return finish_close("remote-server-not-found", "the stream to " + remote_ + " closed");
    fail("remote-server-not-found", "the connection was lost");
}

void S2sOutSession::on_write_failed() {
    on_read_failed(net::IoStatus::error);
}

void S2sOutSession::close(std::string_view condition) {
    asio::dispatch(io_, [self = shared_from_this(), condition = std::string(condition)] {
        if (self->state_ == State::closed) return;
        if (!self->out_ || self->state_ == State::closing)
            return self->fail("remote-server-not-found", "the server is shutting down");
        self->stream_error(condition, {});
    });
}

void S2sOutSession::stream_error(std::string_view condition, std::string_view text) {
    spdlog::info("s2s out {} -> {}: stream error {}{}{}", local_, remote_, condition,
                 text.empty() ? "" : ": ", text);
    state_ = State::closing;
    multiplexing_ = false;
    close_after_write_ = true;
    send_text(stream_error_xml(condition, text) + "</stream:stream>");
}

void S2sOutSession::fail(std::string_view condition, const std::string& why) {
    if (state_ == State::closed) return;
    spdlog::info("s2s out {} -> {}: {}", local_, remote_, why);
    const std::string type = condition == "remote-server-timeout" ? "wait" : "cancel";
    const std::string text = remote_ + ": " + why;
    auto pending = std::move(pending_);
    pending_.clear();
    for (const auto& stanza : pending)
        server_.router().bounce(nullptr, *stanza, type, std::string(condition), text);
    finish_close(condition, text);
}

void S2sOutSession::finish_close(std::string_view condition, const std::string& text) {
    if (state_ == State::closed) return;
    state_ = State::closed;
    status_.set_state("closed");
    status_.queued = 0;
    timer_.cancel();
    inbound_.cancel();
    multiplexing_ = false;
    if (socket_) socket_->close();
    const std::string_view type = condition == "remote-server-timeout" ? "wait" : "cancel";
    // What waited for the peer to take another of our domains goes back as if never written.
    for (auto& [sender, state] : senders_)
        for (const auto& stanza : state.waiting)
            server_.router().bounce(nullptr, *stanza, type, condition, text);
    senders_.clear();
    // Without XEP-0198, written stanzas count as delivered, as on a client stream; with it, only
    // what the peer acknowledged does. The rest go back to their senders, oldest first.
    bounce_unacked(type, condition, text);
    if (out_) server_.s2s().bounce_unwritten(*out_, condition, text);
    // XEP-0220 §2.4: no connection to the Authoritative Server, or it ended without answering.
    auto verifies = std::move(verifies_);
    verifies_.clear();
    for (auto& v : verifies)
        v.done(dialback::Verdict::error(secured_ ? "remote-server-timeout"
                                                 : "remote-connection-failed"));
    spdlog::info("s2s out {} -> {}: closed", local_, remote_);
    if (auto ended = std::move(ended_)) ended();
}

}  // namespace starling
