// A XEP-0114 component stream: header, handshake, then stanzas both ways. Stanzas arrive in the
// jabber:component:accept namespace and are moved into jabber:client before they are routed, so
// that the rest of the server sees one namespace for stanzas; on the way out the cached c2s bytes
// are written unchanged, since a stanza without an xmlns inherits the stream's default namespace.

#include "stream/component_session.hpp"

#include "core/config_reader.hpp"
#include "core/server.hpp"
#include "stream/scram_crypto.hpp"
#include "stream/stream_setup.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

namespace starling {
namespace {

constexpr std::string_view ns_component = "jabber:component:accept";

std::int64_t now_ticks() {
    return std::chrono::steady_clock::now().time_since_epoch().count();
}

std::string random_id() {
    return sasl::to_hex(sasl::random_bytes(16));
}

// XEP-0114 §3: lowercase hex of SHA-1(stream id + secret).
std::string handshake_digest(const std::string& stream_id, const std::string& secret) {
    return sasl::to_hex(sasl::digest(sasl::Hash::sha1, stream_id + secret));
}

}  // namespace

ComponentSession::ComponentSession(Server& server, asio::ip::tcp::socket socket,
                                   std::shared_ptr<void> slot)
    : server_(server),
      socket_(std::move(socket)),
      connection_slot_(std::move(slot)),
      last_activity_(now_ticks()),
      preauth_timer_(socket_.tcp().get_executor()) {
    peer_ = socket_.peer();
    error_code ec;
    socket_.tcp().set_option(asio::ip::tcp::no_delay(true), ec);
}

ComponentSession::~ComponentSession() = default;

void ComponentSession::start() {
    const auto config = server_.config();
    out_.set_limit(config->limits.outbound_queue_bytes);
    // The same restricted XML, limits and rates as a client stream: a component is trusted with
    // its domain's addresses, not with the server's memory. Anyone can connect to its port.
    const auto limits = preauth_parser_limits(*config);
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
                state_ = State::closing;
                close_after_write_ = true;
                send_text("</stream:stream>");
            },
            [this](xml::ParseError e, const std::string& d) {
                stream_error(xml::to_condition(e), d);
            },
        },
        limits);
    preauth_timer_.expires_after(std::chrono::seconds(config->limits.preauth_timeout));
    preauth_timer_.async_wait([self = self()](const error_code& ec) {
        if (ec || self->state_ == State::authenticated || self->state_ == State::closed) return;
        self->stream_error("connection-timeout", "the handshake took too long");
    });
    reader_.start();
}

std::string ComponentSession::header_text() const {
    std::string out = "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept'";
    out += " xmlns:stream='http://etherx.jabber.org/streams' id='" + stream_id_ + "'";
    if (!domain_.empty()) out += " from='" + domain_ + "'";
    return out + ">";
}

void ComponentSession::on_stream_open(xml::StreamHeader header) {
    if (state_ != State::connected)
        return stream_error("bad-format", "the stream was opened twice");
    stream_id_ = random_id();
    if (header.default_ns != ns_component) return stream_error("invalid-namespace");
    const std::string to = config::lowercase(std::string(header.attr("to")));
    const auto config = server_.config();
    const auto* component = config->component(to);
    // XEP-0114 §3: a name this server does not serve is refused in the header's answer.
    if (!component) {
        return stream_error("host-unknown",
                            to.empty() ? "no 'to' component name given" : "no such component");
    }
    // The configuration checks only what cannot be a domain; the JID rules have the last word.
    auto jid = Jid::parse(component->domain);
    if (!jid || !jid->is_domain())
        return stream_error("host-unknown", "the configured component domain is not valid");
    jid_ = std::move(*jid);
    domain_ = component->domain;
    secret_ = component->secret;
    state_ = State::opened;
    header_sent_ = true;
    send_text(header_text());
}

void ComponentSession::on_element(xml::ElementPtr element) {
    if (state_ == State::closing || state_ == State::closed) return;
    if (state_ == State::opened) {
        if (element->name() == "handshake" && element->xmlns() == ns_component)
            return handle_handshake(*element);
        return stream_error("not-authorized", "send the handshake first");
    }
    if (element->xmlns() == ns_component &&
        (element->name() == "message" || element->name() == "presence" || element->name() == "iq"))
        return handle_stanza(std::move(element));
    if (element->name() == "handshake" && element->xmlns() == ns_component)
        return stream_error("not-authorized", "the handshake was already done");
    return stream_error("unsupported-stanza-type");
}

void ComponentSession::handle_handshake(const xml::Element& element) {
    const std::string expected = handshake_digest(stream_id_, secret_);
    const std::string given = config::lowercase(element.text());
    const bool match = given.size() == expected.size() &&
                       CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
    std::string().swap(secret_);
    if (!match) {
        spdlog::warn("component {}: wrong handshake for {}", peer_, domain_);
        return stream_error("not-authorized", "wrong handshake");
    }
    // Only an authenticated component can take a domain: a stranger cannot knock off the one
    // that is connected. A second connection is refused and the first keeps serving the domain,
    // as Prosody does (see docs/routing.md).
    if (!server_.components().attach(domain_, shared_from_this())) {
        spdlog::warn("component {}: {} is already connected; refusing the new stream", peer_,
                     domain_);
        return stream_error("conflict", "this component is already connected");
    }
    attached_ = true;
    state_ = State::authenticated;
    preauth_timer_.cancel();
    const auto config = server_.config();
    auto limits = parser_->limits();
    limits.max_stanza_bytes = config->limits.stanza_bytes;
    limits.max_elements = config->limits.stanza_elements;
    parser_->set_limits(limits);
    reader_.shaper().set(config->rate_limits.component, config->rate_limits.burst,
                         config->rate_limits.hard_after);
    spdlog::info("component {}: {} connected", peer_, domain_);
    send_text("<handshake/>");
}

void ComponentSession::handle_stanza(xml::ElementPtr element) {
    // XEP-0114 §3: every stanza carries 'from' and 'to', as on jabber:server; RFC 6120
    // §4.9.3.14 names the error for one that does not.
    if (element->attr("to").empty() || element->attr("from").empty())
        return stream_error("improper-addressing", "a stanza needs both 'to' and 'from'");
    // The component may send from any address at its domain, and from no other.
    const auto from = Jid::parse(element->attr("from"));
    if (!from || from->domain() != domain_) return stream_error("invalid-from");
    to_client_namespace(*element, ns_component);
    auto stanza = make_stanza(std::move(element));
    // Routed as the server's own stanzas are (no origin): a bounce goes back by its 'to',
    // which is at this domain and so reaches this stream.
    server_.router().route(nullptr, std::move(stanza));
}

void ComponentSession::on_bytes(std::string_view bytes) {
    last_activity_.store(now_ticks(), std::memory_order_relaxed);
    parser_->feed(bytes);
}

void ComponentSession::send_text(std::string text) {
    out_.push({nullptr, std::move(text)});
    out_.write();
}

void ComponentSession::deliver(StanzaPtr stanza) {
    delivering_(static_cast<asio::io_context&>(
                    asio::query(socket_.tcp().get_executor(), asio::execution::context)),
                [self = self(), stanza = std::move(stanza)]() mutable {
                    self->enqueue(std::move(stanza));
                });
}

void ComponentSession::enqueue(StanzaPtr stanza) {
    if (state_ != State::authenticated)
        return server_.router().bounce(nullptr, *stanza, "cancel", "service-unavailable",
                                       "the component is not connected");
    if (out_.over_limit(stanza->bytes().size()))
        return server_.router().bounce(nullptr, *stanza, "wait", "resource-constraint");
    out_.push({std::move(stanza), {}});
    out_.write();
}

void ComponentSession::on_idle() {
    if (!close_after_write_) return;
    socket_.shutdown();
    finish_close();
}

void ComponentSession::close(std::string_view condition, std::string_view text) {
    asio::dispatch(socket_.tcp().get_executor(),
                   [self = self(), condition = std::string(condition), text = std::string(text)] {
                       self->stream_error(condition, text);
                   });
}

void ComponentSession::stream_error(std::string_view condition, std::string_view text) {
    if (state_ == State::closing || state_ == State::closed) return;
    // XEP-0114 §3 (RFC 6120 §4.9.1.2): an error about the header still comes inside our header.
    std::string out = header_sent_ ? "" : header_text();
    header_sent_ = true;
    out += stream_error_xml(condition, text) + "</stream:stream>";
    spdlog::info("component {}{}: stream error {}{}{}", peer_, domain_.empty() ? "" : " " + domain_,
                 condition, text.empty() ? "" : ": ", text);
    state_ = State::closing;
    close_after_write_ = true;
    send_text(std::move(out));
}

void ComponentSession::finish_close() {
    if (state_ == State::closed) return;
    state_ = State::closed;
    preauth_timer_.cancel();
    socket_.close();
    connection_slot_.reset();
    if (attached_) {
        attached_ = false;
        server_.components().detach(domain_, *this);
        spdlog::info("component {}: {} disconnected", peer_, domain_);
    }
    // What was queued for the component goes back to its senders, as the router answers a
    // stanza for a component that is not connected.
    out_.for_each([this](WriteQueue::Entry& out) {
        if (out.stanza)
            server_.router().bounce(nullptr, *out.stanza, "cancel", "service-unavailable",
                                    "the component is not connected");
    });
    out_.clear();
}

std::chrono::steady_clock::time_point ComponentSession::last_activity() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_activity_.load(std::memory_order_relaxed)));
}

}  // namespace starling
