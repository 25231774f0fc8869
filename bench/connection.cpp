#include "bench/connection.hpp"

#include <netinet/in.h>

namespace bench {
namespace {

constexpr std::string_view ns_tls = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view ns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view ns_framing = "urn:ietf:params:xml:ns:xmpp-framing";
// What the reader is fed for the server's <open/>: a stream header it knows.
constexpr std::string_view framed_header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

namespace websocket = boost::beast::websocket;

bool starts_with_tag(std::string_view text, std::string_view name) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.remove_prefix(1);
    return text.size() > name.size() + 1 && text[0] == '<' && text.substr(1, name.size()) == name &&
           (text[name.size() + 1] == ' ' || text[name.size() + 1] == '/');
}

// The five XML escapes, for the names and passwords the generator writes into its stanzas.
std::string escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

scram_hash hash_of(mechanism m) {
    return m == mechanism::scram_sha1 ? scram_hash::sha1 : scram_hash::sha256;
}

}  // namespace

const char* mechanism_name(mechanism m) {
    switch (m) {
        case mechanism::scram_sha256:
            return "SCRAM-SHA-256";
        case mechanism::scram_sha1:
            return "SCRAM-SHA-1";
        case mechanism::plain:
            return "PLAIN";
    }
    return "?";
}

connection::connection(asio::io_context& io, const connection_setup& setup,
                       connection_events& events, std::uint32_t account)
    : io_(io), setup_(setup), events_(events), socket_(io), reader_(*this), account_(account) {}

connection::~connection() = default;

void connection::start(goal g) {
    goal_ = g;
    started_ = std::chrono::steady_clock::now();
    do_connect();
}

void connection::do_connect() {
    state_ = state::connecting;
    error_code ec;
    socket_.open(setup_.server.protocol(), ec);
    if (ec) return fail("cannot open a socket: " + ec.message());
    const auto& sources = setup_.sources;
    if (!sources.empty()) {
        // Without this, bind() picks the source port before the destination is known, which
        // limits each source address to one connection per port of the ephemeral range.
        int one = 1;
        setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        socket_.bind(tcp::endpoint(sources[account_ % sources.size()], 0), ec);
        if (ec) return fail("cannot bind the source address: " + ec.message());
    }
    socket_.async_connect(
        setup_.server, [self = shared_from_this()](const error_code& ec) { self->on_connect(ec); });
}

void connection::on_connect(const error_code& ec) {
    if (state_ == state::closed) return;
    if (ec) {
        return fail("cannot connect to " + setup_.server.address().to_string() + ":" +
                    std::to_string(setup_.server.port()) + ": " + ec.message());
    }
    socket_.set_option(tcp::no_delay(true));
    if (setup_.opts->tls == tls_mode::direct) return do_handshake();
    if (!setup_.opts->websocket.empty()) return do_ws_handshake();
    do_open_stream();
    do_read();
}

void connection::do_ws_handshake() {
    state_ = state::handshaking;
    if (tls_)
        wss_ = std::make_unique<websocket::stream<asio::ssl::stream<tcp::socket>&>>(*tls_);
    else
        ws_ = std::make_unique<websocket::stream<tcp::socket&>>(socket_);
    with_websocket([this](auto& ws) {
        ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
            request.set(boost::beast::http::field::sec_websocket_protocol, "xmpp");
        }));
        ws.text(true);
        ws.auto_fragment(false);
        ws.async_handshake(setup_.opts->domain, setup_.opts->websocket,
                           [self = shared_from_this()](const error_code& ec) {
                               if (self->state_ == state::closed) return;
                               if (ec) return self->fail("WebSocket handshake failed: " + ec.message());
                               self->do_open_stream();
                               self->do_read();
                           });
    });
}

void connection::do_handshake() {
    state_ = state::handshaking;
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(socket_), *setup_.tls);
    SSL_set_tlsext_host_name(tls_->native_handle(), setup_.opts->domain.c_str());
    tls_->async_handshake(
        asio::ssl::stream_base::client,
        [self = shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
}

void connection::on_handshake(const error_code& ec) {
    if (state_ == state::closed) return;
    if (ec) return fail("TLS handshake failed: " + ec.message());
    reader_.reset();
    if (!setup_.opts->websocket.empty()) return do_ws_handshake();
    do_open_stream();
    do_read();
}

void connection::do_open_stream() {
    state_ = state::features;
    if (websocket())
        return send("<open xmlns='" + std::string(ns_framing) + "' to='" +
                    escape(setup_.opts->domain) + "' version='1.0'/>");
    std::string header = "<?xml version='1.0'?><stream:stream to='";
    header += escape(setup_.opts->domain);
    header +=
        "' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    send(header);
}

void connection::do_read() {
    if (websocket()) {
        return with_websocket([this](auto& ws) {
            ws.async_read(message_, [self = shared_from_this()](const error_code& ec, std::size_t) {
                self->on_ws_message(ec);
            });
        });
    }
    auto handler = [self = shared_from_this()](const error_code& ec, std::size_t size) {
        self->on_read(ec, size);
    };
    if (tls_)
        tls_->async_read_some(asio::buffer(buffer_), std::move(handler));
    else
        socket_.async_read_some(asio::buffer(buffer_), std::move(handler));
}

void connection::on_read(const error_code& ec, std::size_t size) {
    if (state_ == state::closed) return;
    if (ec) {
        if (closing_) return shut_socket();
        return fail(ec == asio::error::eof ? "the server closed the connection"
                                           : "read failed: " + ec.message());
    }
    received(buffer_.data(), size);
}

void connection::on_ws_message(const error_code& ec) {
    if (state_ == state::closed) return;
    if (ec) {
        if (closing_) return shut_socket();
        return fail("WebSocket read failed: " + ec.message());
    }
    // Taken out first: received() starts the next read into message_.
    const auto data = message_.cdata();
    std::string text(static_cast<const char*>(data.data()), data.size());
    message_.clear();
    // RFC 7395: the server's <open/> and <close/> stand for the stream's header and end.
    if (starts_with_tag(text, "open")) {
        reader_.reset();
        received(framed_header.data(), framed_header.size());
    } else if (starts_with_tag(text, "close")) {
        received("</stream:stream>", 16);
    } else {
        received(text.data(), text.size());
    }
}

void connection::received(const char* data, std::size_t size) {
    if (!reader_.feed(data, size)) return fail("malformed XML: " + reader_.error());
    if (state_ == state::closed) return;
    if (state_ == state::starting_tls) {
        // The socket moves into the TLS stream once the <starttls/> write is done.
        if (!write_in_flight_) do_handshake();
        return;
    }
    if (restart_stream_) {
        restart_stream_ = false;
        reader_.reset();
        do_open_stream();
    }
    do_read();
}

std::string& connection::next_stanza() {
    return websocket() ? messages_.emplace_back() : pending_;
}

void connection::flush() {
    if (!write_in_flight_) do_write();
}

void connection::send(std::string_view data) {
    auto& out = next_stanza();
    out += data;
    // Over a WebSocket every message is a document of its own (RFC 7395 §3.3.3): a stanza
    // names its namespace, which over TCP it inherits from the stream.
    if (websocket()) {
        for (const std::string_view name : {"iq", "presence", "message"}) {
            if (out.size() > name.size() + 1 && out[0] == '<' &&
                std::string_view(out).substr(1, name.size()) == name &&
                (out[name.size() + 1] == ' ' || out[name.size() + 1] == '/') &&
                std::string_view(out).substr(name.size() + 1, 7) != " xmlns=")
                out.insert(name.size() + 1, " xmlns='jabber:client'");
        }
    }
    flush();
}

void connection::send_chat(const std::string& to, const message_body& body) {
    send_message("chat", to, body);
}

void connection::send_groupchat(const std::string& room, const message_body& body) {
    send_message("groupchat", room, body);
}

void connection::send_message(std::string_view type, const std::string& to,
                              const message_body& body) {
    if (state_ != state::online || closing_) return;
    auto& out = next_stanza();
    // Over a WebSocket every message is a document of its own (RFC 7395 §3.3.3).
    out += websocket() ? "<message xmlns='jabber:client' type='" : "<message type='";
    out += type;
    out += "' to='";
    out += to;
    out += "'><body>";
    append_body(out, body);
    out += "</body></message>";
    flush();
}

void connection::send_stanza(std::string_view xml) {
    if (state_ != state::online || closing_) return;
    send(xml);
}

void connection::ping() {
    if (state_ != state::online || closing_) return;
    send("<iq type='get' id='pong' to='" + escape(setup_.opts->domain) +
         "'><ping xmlns='urn:xmpp:ping'/></iq>");
}

void connection::do_write() {
    auto handler = [self = shared_from_this()](const error_code& ec, std::size_t) {
        self->on_write(ec);
    };
    if (websocket()) {
        if (messages_.empty()) return;
        writing_ = std::move(messages_.front());
        messages_.pop_front();
        write_in_flight_ = true;
        return with_websocket([&](auto& ws) { ws.async_write(asio::buffer(writing_), std::move(handler)); });
    }
    writing_.swap(pending_);
    pending_.clear();
    write_in_flight_ = true;
    if (tls_)
        asio::async_write(*tls_, asio::buffer(writing_), std::move(handler));
    else
        asio::async_write(socket_, asio::buffer(writing_), std::move(handler));
}

void connection::on_write(const error_code& ec) {
    write_in_flight_ = false;
    writing_.clear();
    if (state_ == state::closed) return;
    if (ec) {
        if (closing_) return shut_socket();
        return fail("write failed: " + ec.message());
    }
    if (!pending_.empty() || !messages_.empty()) return do_write();
    if (closing_ && websocket()) return;  // the server's <close/> ends it
    if (closing_) {
        // Half-close and read on until the server ends its stream: closing with unread bytes
        // would send a reset, and the server could lose stanzas it had not read yet.
        error_code ignored;
        (tls_ ? tls_->next_layer() : socket_).shutdown(tcp::socket::shutdown_send, ignored);
        return;
    }
    if (state_ == state::starting_tls) do_handshake();
}

void connection::close() {
    if (state_ == state::closed || closing_) return;
    closing_ = true;
    if (state_ == state::idle || state_ == state::connecting || state_ == state::handshaking)
        return shut_socket();
    send(websocket() ? "<close xmlns='" + std::string(ns_framing) + "'/>" : "</stream:stream>");
}

void connection::shut_socket() {
    state_ = state::closed;
    error_code ignored;
    auto& socket = tls_ ? tls_->next_layer() : socket_;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

void connection::fail(std::string why) {
    if (state_ == state::closed) return;
    const bool report = !closing_;
    shut_socket();
    scram_.reset();
    if (report) events_.on_failed(*this, setup_.opts->jid(account_) + ": " + why);
}

void connection::on_stream_start(std::string_view) {}

void connection::on_stream_end() {
    if (closing_) return shut_socket();
    fail("the server closed the stream");
}

std::string connection::describe_error(const stanza& s) const {
    std::string text =
        "<" + (s.condition.empty() ? std::string("no condition") : s.condition) + "/>";
    if (!s.error_text.empty()) text += " '" + s.error_text + "'";
    return text;
}

void connection::on_stanza(const stanza& s) {
    if (state_ == state::closed) return;
    if (s.name == "error" && s.ns == "http://etherx.jabber.org/streams")
        return fail("stream error " + describe_error(s));
    if (s.name == "message") {
        // A room's subject ends a join: it goes to the scenario even if it has a body.
        if (state_ == state::online && s.has_subject)
            events_.on_room_stanza(*this, s);
        else if (authenticated_ && s.has_body)
            events_.on_message(*this, s);
        return;
    }
    if (s.name == "iq") return on_iq(s);
    if (s.name == "presence") {
        if (state_ == state::online) events_.on_room_stanza(*this, s);
        return;
    }
    switch (state_) {
        case state::features:
            if (s.name == "features") return on_features(s);
            break;
        case state::proceed:
            if (s.name == "proceed" && s.ns == ns_tls) {
                state_ = state::starting_tls;
                return;
            }
            return fail("STARTTLS refused: <" + s.name + "/>");
        case state::sasl:
            return on_sasl(s);
        default:
            break;
    }
    if (s.name == "features" || s.ns == ns_sasl || s.ns == ns_tls)
        fail("unexpected <" + s.name + "/> from the server");
}

void connection::on_features(const stanza& s) {
    const auto& opts = *setup_.opts;
    if (opts.tls == tls_mode::starttls && !tls_) {
        if (!(s.features & feature_starttls)) return fail("the server offers no STARTTLS");
        state_ = state::proceed;
        return send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    }
    if (goal_ == goal::register_account) return do_register();
    if (!authenticated_) return do_auth(s);
    if (!(s.features & feature_bind)) return fail("the server offers no resource binding");
    state_ = state::bind;
    // A session feature that is not optional still needs the RFC 3921 session request.
    bind_needs_session_ =
        (s.features & feature_session) && !(s.features & feature_session_optional);
    send(
        "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        "<resource>bench</resource></bind></iq>");
}

void connection::do_auth(const stanza& features) {
    const auto& opts = *setup_.opts;
    const char* name = mechanism_name(opts.sasl);
    if (features.mechanisms.empty())
        return fail("the server offers no SASL mechanism on this stream (does it require TLS?)");
    if (!features.offers_mechanism(name)) {
        return fail(std::string("the server does not offer ") + name +
                    " (it offers: " + features.mechanisms + ")");
    }
    state_ = state::sasl;
    std::string initial;
    if (opts.sasl == mechanism::plain) {
        initial = std::string(1, '\0') + opts.username(account_) + '\0' + opts.password;
    } else {
        scram_ = std::make_unique<scram_client>(hash_of(opts.sasl), opts.username(account_),
                                                opts.password, random_nonce(24), setup_.cache);
        initial = scram_->first_message();
        scram_final_sent_ = false;
        server_verified_ = false;
    }
    send(std::string("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='") + name + "'>" +
         base64_encode(initial) + "</auth>");
}

void connection::on_sasl(const stanza& s) {
    if (s.name == "failure") return fail("SASL failure " + describe_error(s));
    auto payload = base64_decode(s.text);
    if (!payload) return fail("invalid base64 in <" + s.name + "/>: " + s.text);
    std::string error;
    if (s.name == "challenge") {
        if (!scram_) return fail("unexpected SASL challenge for PLAIN");
        if (!scram_final_sent_) {
            auto final_message = scram_->final_message(*payload, error);
            if (!final_message) return fail(error);
            scram_final_sent_ = true;
            return send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
                        base64_encode(*final_message) + "</response>");
        }
        // Some servers send the server-final-message as a challenge, then an empty success.
        if (!scram_->verify_server_final(*payload, error)) return fail(error);
        server_verified_ = true;
        return send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    }
    if (s.name == "success") {
        if (scram_ && !server_verified_ && !scram_->verify_server_final(*payload, error))
            return fail(error);
        scram_.reset();
        authenticated_ = true;
        restart_stream_ = true;
        state_ = state::features;
        return;
    }
    fail("unexpected <" + s.name + "/> during SASL");
}

void connection::do_register() {
    const auto& opts = *setup_.opts;
    state_ = state::registering;
    send("<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>" +
         escape(opts.username(account_)) + "</username><password>" + escape(opts.password) +
         "</password></query></iq>");
}

void connection::on_iq(const stanza& s) {
    if (s.type == "get" || s.type == "set") {
        // A server ping or roster push: answer, or the server may think the client is gone.
        std::string reply = "<iq type='result' id='" + escape(s.id) + "'";
        if (!s.from.empty()) reply += " to='" + escape(s.from) + "'";
        return send(reply + "/>");
    }
    const bool ok = s.type == "result";
    switch (state_) {
        case state::registering:
            if (s.id != "reg") return;
            login_time_ = std::chrono::steady_clock::now() - started_;
            if (ok)
                events_.on_registered(*this, register_outcome::created, "");
            else if (s.condition == "conflict")
                events_.on_registered(*this, register_outcome::existed, "");
            else
                events_.on_registered(
                    *this, register_outcome::failed,
                    setup_.opts->jid(account_) + ": registration refused " + describe_error(s));
            return close();
        case state::bind:
            if (s.id != "bind") return;
            if (!ok) return fail("bind refused " + describe_error(s));
            if (bind_needs_session_) {
                state_ = state::session;
                return send(
                    "<iq type='set' id='sess'>"
                    "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
            }
            return after_bind();
        case state::session:
            if (s.id != "sess") return;
            if (!ok) return fail("session refused " + describe_error(s));
            return after_bind();
        case state::roster:
            if (s.id != "roster") return;
            if (!ok) return fail("roster get refused " + describe_error(s));
            return do_presence();
        case state::barrier:
            // An error (no ping support) answers just as well: the server has read the presence.
            if (s.id == "ping") become_online();
            return;
        case state::online:
            if (s.id == "pong") events_.on_pong(*this);
            if (s.id.starts_with("muc")) events_.on_room_stanza(*this, s);
            return;
        default:
            return;
    }
}

void connection::after_bind() {
    if (setup_.opts->roster_get) {
        state_ = state::roster;
        return send("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
    }
    do_presence();
}

void connection::do_presence() {
    state_ = state::barrier;
    // Two stanzas, so two messages over a WebSocket.
    send("<presence/>");
    send("<iq type='get' id='ping' to='" + escape(setup_.opts->domain) +
         "'><ping xmlns='urn:xmpp:ping'/></iq>");
}

void connection::become_online() {
    state_ = state::online;
    login_time_ = std::chrono::steady_clock::now() - started_;
    // Login-time strings are not needed again; give their memory back for the idle hold.
    pending_.shrink_to_fit();
    writing_.shrink_to_fit();
    events_.on_online(*this);
}

}  // namespace bench
