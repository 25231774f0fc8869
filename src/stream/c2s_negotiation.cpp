// The protocol half of a c2s stream: stream headers, features, STARTTLS, SASL, binding and the
// checks every client stanza passes before it reaches the router.

#include "core/server.hpp"
#include "storage/account_store.hpp"
#include "stream/c2s_session.hpp"
#include "stream/stream_namespaces.hpp"
#include "xml/serializer.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

namespace starling {
namespace {

constexpr std::string_view ns_bind = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view ns_session = "urn:ietf:params:xml:ns:xmpp-session";
// A client waits for each SASL answer; a few pipelined elements are tolerated, not a flood.
constexpr std::size_t max_held_elements = 16;

std::string random_id(std::size_t bytes) {
    std::string raw(bytes, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string out;
    for (unsigned char c : raw) out += digits[c % 36];
    return out;
}

std::string sasl_element(std::string_view name, std::string_view raw) {
    std::string out = "<";
    out += name;
    out += " xmlns='urn:ietf:params:xml:ns:xmpp-sasl'";
    if (raw.empty()) return out + "/>";
    out += ">" + sasl::base64_encode(raw) + "</";
    out += name;
    return out + ">";
}

}  // namespace

std::string C2sSession::header_text(bool with_decl) const {
    // RFC 7395 §3.3.2: a framed stream opens with <open/>, a document of its own.
    std::string out = framed_     ? "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'"
                      : with_decl ? "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                    "xmlns:stream='http://etherx.jabber.org/streams'"
                                  : "<stream:stream xmlns='jabber:client' "
                                    "xmlns:stream='http://etherx.jabber.org/streams'";
    out += " id='" + stream_id_ + "'";
    if (host_) out += " from='" + host_->domain() + "'";
    out += framed_ ? " version='1.0' xml:lang='en'/>" : " version='1.0' xml:lang='en'>";
    return out;
}

std::string_view C2sSession::close_text() const {
    return framed_ ? "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>" : "</stream:stream>";
}

void C2sSession::on_stream_open(xml::StreamHeader header) {
    if (state_ == State::closing || state_ == State::closed) return;
    stream_id_ = random_id(16);
    const auto to = header.attr("to");
    auto domain = Jid::parse(to);
    Host* host = domain && domain->is_domain() ? server_.host(domain->domain()) : nullptr;
    // The first header picks the host; restarts must keep it (RFC 6120 §4.3.1).
    if (host_ && host != host_) host = nullptr;
    host_ = host ? host : host_;
    if (header.default_ns != ns_client) return stream_error("invalid-namespace");
    if (!host) return stream_error("host-unknown", to.empty() ? "no 'to' host given" : "");
    if (header.attr("version") != "1.0") return stream_error("unsupported-version");
    std::string out = header_text(!header_sent_);
    header_sent_ = true;
    send_text(std::move(out));
    send_features();
}

sasl::ChannelBindings C2sSession::channel_bindings() const {
    sasl::ChannelBindings bindings;
    SSL* ssl = socket_->ssl();
    if (!ssl) return bindings;
    if (auto e = net::tls_exporter(ssl); !e.empty()) bindings.data["tls-exporter"] = e;
    if (auto e = net::tls_server_end_point(ssl); !e.empty())
        bindings.data["tls-server-end-point"] = e;
    // plus_offered stays false, so a client's "y" flag is accepted. RFC 5802 §6 reads "y"
    // after a -PLUS offer as a downgrade, but clients whose only binding is tls-unique
    // (slixmpp 1.8; TLS 1.3 has no tls-unique) send exactly that, and refusing them locks
    // out unmodified clients. Stripping our -PLUS offer needs a TLS man in the middle,
    // which certificate verification stops first.
    return bindings;
}

void C2sSession::send_features() {
    std::string out = framed_ ? "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
                              : "<stream:features>";
    const auto config = server_.config();
    if (state_ == State::connected) {
        // RFC 7395 §3.7, XEP-0206: no STARTTLS over WebSocket or BOSH (TLS is the HTTP
        // connection's: wss:, https:).
        if (!socket_->confidential() && tcp_tls_) {
            out += "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>";
            out += config->tls.required ? "<required/></starttls>" : "</starttls>";
        }
        if (socket_->confidential() || !config->tls.required) {
            const auto bindings = channel_bindings();
            out += "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
            for (const auto& name : sasl::mechanism_names(socket_->confidential(), bindings))
                out += "<mechanism>" + name + "</mechanism>";
            out += "</mechanisms>";
            if (host_->find_iq_handler(IqTarget::unauthenticated, "set", "jabber:iq:register"))
                out += "<register xmlns='http://jabber.org/features/iq-register'/>";
            if (!bindings.data.empty()) {
                // XEP-0440: which channel-binding types a -PLUS client may pick.
                out += "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>";
                for (const auto& [type, data] : bindings.data)
                    out += "<channel-binding type='" + type + "'/>";
                out += "</sasl-channel-binding>";
            }
        }
    } else if (state_ == State::authenticated) {
        out += "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>";
        out += "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>";
        for (const auto& feature : host_->stream_features()) out += feature;
    }
    out += "</stream:features>";
    send_text(std::move(out));
}

void C2sSession::on_parse_error(xml::ParseError error, const std::string& detail) {
    stream_error(xml::to_condition(error), detail);
}

void C2sSession::on_element(xml::ElementPtr element) {
    if (state_ == State::closing || dead()) return;
    const auto& ns = element->xmlns();
    if (secret_pending_) {
        // An abort ends the exchange at once (RFC 6120 §6.4.4); anything else may depend on the
        // lookup's outcome and waits for it, in order.
        if (ns == ns_sasl && element->name() == "abort") return handle_sasl_response(*element);
        if (held_.size() >= max_held_elements)
            return stream_error("policy-violation",
                                "too much sent while authentication is checked");
        held_.push_back(std::move(element));
        return;
    }
    if (state_ == State::connected) {
        if (ns == ns_tls && element->name() == "starttls") return handle_starttls(*element);
        if (ns == ns_sasl && element->name() == "auth") return handle_auth(*element);
        if (ns == ns_sasl && (element->name() == "response" || element->name() == "abort"))
            return handle_sasl_response(*element);
        if (ns == ns_client && element->name() == "iq")
            return handle_unauthenticated_iq(std::move(element));
        if (ns == ns_client && (element->name() == "message" || element->name() == "presence"))
            return stream_error("not-authorized", "authenticate first");
        return stream_error("unsupported-stanza-type");
    }
    if (ns == ns_client && element->name() == "iq" && state_ == State::authenticated)
        return handle_preauth_iq(std::move(element));
    if (ns == ns_client && (element->name() == "iq" || element->name() == "message" ||
                            element->name() == "presence")) {
        if (state_ != State::bound) return stream_error("not-authorized", "bind a resource first");
        return handle_stanza(std::move(element));
    }
    // After authentication, a module may serve nonzas of its namespace (XEP-0198, XEP-0352).
    if (ns != ns_client) return handle_nonza(std::move(element));
    return stream_error("unsupported-stanza-type");
}

void C2sSession::handle_starttls(const xml::Element&) {
    // RFC 7395 §3.7 and XEP-0206: TLS over the web is the HTTP connection's (wss:, https:).
    if (!tcp_tls_)
        return stream_error("unsupported-feature", std::string("no STARTTLS over ") +
                                                       socket_->transport() +
                                                       ": connect over TLS (wss:, https:)");
    if (socket_->confidential()) return stream_error("policy-violation", "TLS is already in use");
    // Nothing after <starttls/> in this read is processed: the parser stops here and the next
    // bytes it sees come through TLS, into a fresh parser.
    parser_->stop();
    restart_pending_ = true;
    starttls_pending_ = true;
    send_text("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
}

void C2sSession::handle_auth(const xml::Element& element) {
    const auto config = server_.config();
    if (!socket_->confidential() && config->tls.required)
        return sasl_failure("encryption-required");
    if (mechanism_) return sasl_failure("malformed-request", "an exchange is already in progress");
    if (server_.auth_throttle().blocked(peer_ip_))
        return sasl_failure("temporary-auth-failure", "too many failed attempts; try again later");
    const auto bindings = channel_bindings();
    const auto name = element.attr("mechanism");
    mechanism_ = sasl::make_mechanism(name, host_->domain(), socket_->confidential(), bindings);
    ++sasl_exchange_;
    if (!mechanism_) return sasl_failure("invalid-mechanism");
    mechanism_name_ = name;
    const auto text = element.text();
    std::optional<std::string> initial = text == "=" ? std::string() : sasl::base64_decode(text);
    if (!initial) return sasl_failure("incorrect-encoding");
    handle_sasl_step(mechanism_->start(*initial));
}

void C2sSession::handle_sasl_response(const xml::Element& element) {
    if (!mechanism_) return sasl_failure("malformed-request", "no exchange in progress");
    if (element.name() == "abort") return sasl_failure("aborted");
    auto response = sasl::base64_decode(element.text());
    if (!response) return sasl_failure("incorrect-encoding");
    handle_sasl_step(mechanism_->step(*response));
}

void C2sSession::handle_sasl_step(const sasl::Step& step) {
    switch (step.status) {
        case sasl::Status::challenge:
            return send_text(sasl_element("challenge", step.data));
        case sasl::Status::failure:
            return sasl_failure(step.condition, step.text);
        case sasl::Status::need_secret: {
            const auto account_key = mechanism_->username() + "@" + host_->domain();
            if (server_.auth_throttle().blocked(account_key))
                return sasl_failure("temporary-auth-failure",
                                    "too many failed attempts; try again later");
            return look_up_secret();
        }
        case sasl::Status::success:
            username_ = mechanism_->username();
            mechanism_.reset();
            ++sasl_exchange_;
            state_ = State::authenticated;
            // Authenticated but not bound holds a connection as well: binding gets the same bound.
            start_preauth_timer();
            {
                const auto config = server_.config();
                auto limits = parser_->limits();
                limits.max_stanza_bytes = config->limits.stanza_bytes;
                limits.max_elements = config->limits.stanza_elements;
                parser_->set_limits(limits);
                const auto& rates = config->rate_limits;
                reader_.shaper().set(config->c2s_rate(host_->domain()), rates.burst,
                                     rates.hard_after);
            }
            // The client restarts the stream after <success/>: the next bytes start a new document.
            parser_->stop();
            restart_pending_ = true;
            spdlog::info("c2s {}: authenticated {}@{} with {}", peer_, username_, host_->domain(),
                         mechanism_name_);
            return send_text(sasl_element("success", step.data));
    }
}

void C2sSession::look_up_secret() {
    // The secret comes from storage on its own thread; the answer is handled on ours, and only
    // by the exchange that asked (sasl_exchange_ moves on at every new <auth>, failure, abort).
    secret_pending_ = true;
    server_.accounts().secret(host_->domain(), mechanism_->username(), mechanism_->hash(),
                              [self = self(), exchange = sasl_exchange_](
                                  bool ok, std::optional<sasl::ScramSecret> secret) {
                                  asio::post(
                                      self->socket_->get_executor(),
                                      [self, exchange, ok, secret = std::move(secret)]() mutable {
                                          self->on_secret(exchange, ok, std::move(secret));
                                      });
                              });
}

void C2sSession::on_secret(std::uint64_t exchange, bool ok,
                           std::optional<sasl::ScramSecret> secret) {
    secret_pending_ = false;
    if (state_ != State::connected) return;
    if (exchange == sasl_exchange_ && mechanism_) {
        if (!ok) {
            sasl_failure("temporary-auth-failure", "storage unavailable");
        } else {
            handle_sasl_step(mechanism_->resume(std::move(secret)));
        }
    }
    // What arrived meanwhile, in order. One of them may start another lookup, and then the
    // rest waits again. After <success/> the rest belonged to the finished stream and is
    // dropped, as bytes after <success/> in one read always are.
    auto held = std::move(held_);
    held_.clear();
    for (auto& element : held) {
        if (state_ != State::connected || restart_pending_) break;
        on_element(std::move(element));
    }
    reader_.resume();
}

void C2sSession::sasl_failure(std::string_view condition, std::string_view text) {
    // Only a failed credential counts against the client: a mechanism it may not use (a -PLUS
    // binding type TLS 1.3 lacks) or a malformed request tests no password, and a client that
    // falls back from one to the next (slixmpp does) must not be locked out for it.
    const bool credential = condition == "not-authorized";
    if (credential) {
        server_.auth_throttle().record_failure(peer_ip_);
        if (mechanism_ && !mechanism_->username().empty())
            server_.auth_throttle().record_failure(mechanism_->username() + "@" + host_->domain());
        spdlog::info("c2s {}: authentication failed for '{}' with {}", peer_,
                     mechanism_ ? mechanism_->username() : "", mechanism_name_);
    }
    mechanism_.reset();
    ++sasl_exchange_;
    std::string out = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><";
    out += condition;
    out += "/>";
    if (!text.empty()) {
        auto element = xml::make_element("text", std::string(ns_sasl));
        element->add_text(text);
        out += xml::to_string(*element, ns_sasl);
    }
    out += "</failure>";
    send_text(std::move(out));
    // RFC 6120 §6.4.5: the client may retry, but not forever.
    const int failures = credential ? ++sasl_failures_ : ++sasl_refusals_;
    if (failures >= (credential ? 3 : 10))
        stream_error("policy-violation", "too many failed authentication attempts");
}

void C2sSession::handle_unauthenticated_iq(xml::ElementPtr element) {
    // Only what a module serves to unauthenticated streams (registration), and only where a
    // password may be sent: after TLS, unless the operator turned that requirement off.
    const auto* payload = element->first_child_element();
    auto handler = payload ? host_->find_iq_handler(IqTarget::unauthenticated,
                                                    element->attr("type"), payload->xmlns())
                           : nullptr;
    if (!handler || (!socket_->confidential() && server_.config()->tls.required))
        return stream_error("not-authorized", "authenticate first");
    // No 'from' to stamp yet: replies come back to this stream through event.origin.
    element->remove_attr("from");
    StanzaEvent event{*host_, shared_from_this(), make_stanza(std::move(element))};
    handler(event);
}

void C2sSession::handle_preauth_iq(xml::ElementPtr element) {
    auto stanza = make_stanza(std::move(element));
    const auto* payload = stanza->element().first_child_element();
    if (stanza->type() == "set" && payload && payload->xmlns() == ns_bind &&
        payload->name() == "bind")
        return handle_bind(*stanza);
    if (stanza->type() == "set" && payload && payload->xmlns() == ns_session)
        return send_text(xml::to_string(make_iq_result(*stanza)->element(), ns_client));
    return stream_error("not-authorized", "bind a resource first");
}

void C2sSession::handle_bind(const Stanza& iq) {
    const auto reply_error = [&](std::string_view type, std::string_view condition) {
        send_text(xml::to_string(make_error_reply(iq, type, condition)->element(), ns_client));
    };
    std::string resource = iq.element().first_child_element()->child_text("resource", ns_bind);
    if (resource.empty()) {
        resource = "st-" + random_id(12);
    } else if (auto prepared = resourceprep(resource)) {
        resource = *prepared;
    } else {
        return reply_error("modify", "bad-request");
    }
    auto jid = Jid::make(username_, host_->domain(), resource);
    if (!jid) return reply_error("modify", "bad-request");
    const auto limit = server_.config()->limits.sessions_per_user;
    if (server_.sessions().count_resources(jid->bare()) >= limit && !server_.sessions().find(*jid))
        return reply_error("wait", "resource-constraint");
    jid_ = *jid;
    state_ = State::bound;
    preauth_timer_.cancel();
    if (auto replaced = server_.sessions().bind(shared_from_this())) {
        // RFC 6120 §7.7.2.2: the newer session wins; the older one learns why it went.
        replaced->close("conflict", "replaced by a new connection with the same resource");
    }
    auto payload = xml::make_element("bind", std::string(ns_bind));
    payload->add_child("jid").add_text(jid_.str());
    send_text(xml::to_string(make_iq_result(iq, payload)->element(), ns_client));
    spdlog::info("c2s {}: bound {}", peer_, jid_.str());
    SessionEvent event{*host_, shared_from_this(), "bound"};
    host_->session_hooks().fire(events::session_bound, event);
}

void C2sSession::handle_stanza(xml::ElementPtr element) {
    // XEP-0198: with stream management the stanza counts as handled once its receipt, current
    // while it is routed, is released wherever the stanza ends. Without it, nothing is made.
    if (!extensions_.empty()) {
        ReceiptScope scope(inbound_receipt(*element));
        return route_client_stanza(std::move(element));
    }
    route_client_stanza(std::move(element));
}

void C2sSession::route_client_stanza(xml::ElementPtr element) {
    // The legacy session iq (RFC 3921 §3) is offered as optional and clients send it after
    // binding: it is answered here, with an empty result, and goes no further.
    if (element->name() == "iq" && element->attr("type") == "set" &&
        (element->attr("to").empty() || element->attr("to") == host_->domain())) {
        const auto* payload = element->first_child_element();
        if (payload && payload->xmlns() == ns_session && payload->name() == "session") {
            auto iq = make_stanza(std::move(element));
            return send_text(xml::to_string(make_iq_result(*iq)->element(), ns_client));
        }
    }
    // 'from' is ours to stamp: a client may give its own full or bare JID, nothing else
    // (RFC 6120 §8.1.2.1).
    if (auto from = element->attr("from"); !from.empty()) {
        auto claimed = Jid::parse(from);
        if (!claimed || !(*claimed == jid_ || *claimed == jid_.bare()))
            return stream_error("invalid-from");
    }
    element->set_attr("from", jid_.str());
    auto stanza = make_stanza(std::move(element));
    if (stanza->is_presence() && stanza->to().empty()) {
        const auto type = stanza->type();
        if (type.empty()) {
            int priority = 0;
            try {
                const auto text = stanza->element().child_text("priority");
                if (!text.empty()) priority = std::clamp(std::stoi(text), -128, 127);
            } catch (const std::exception&) {
                priority = 0;
            }
            priority_.store(priority);
            const bool initial = !available_.exchange(true);
            if (initial) {
                SessionEvent event{*host_, shared_from_this(), "available"};
                host_->session_hooks().fire(events::session_available, event);
            }
        } else if (type == "unavailable") {
            available_.store(false);
        }
    }
    server_.router().route_from_client(*host_, shared_from_this(), std::move(stanza));
}

}  // namespace starling
