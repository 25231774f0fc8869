#pragma once
// One client-to-server stream (RFC 6120): STARTTLS or direct TLS, SASL, resource binding, then
// stanzas to and from the router. Lives on one I/O thread for its whole life; other threads
// reach it only through deliver() and close(), which post to that thread.

#include "core/client_stream.hpp"
#include "core/session.hpp"
#include "net/asio.hpp"
#include "net/tcp_tls_socket.hpp"
#include "net/tls_context.hpp"
#include "stream/ordered_dispatch.hpp"
#include "stream/sasl.hpp"
#include "stream/stream_reader.hpp"
#include "stream/write_queue.hpp"
#include "xml/stream_parser.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace starling {

class Server;
class Host;

class C2sSession final : public Session,
                         public ClientStream,
                         private StreamReader::Owner,
                         private WriteQueue::Owner {
public:
    /// `slot` counts the connection against limits.connections[_per_ip] until its socket closes.
    C2sSession(Server& server, asio::ip::tcp::socket socket, std::shared_ptr<net::TlsContexts> tls,
               bool direct_tls, std::shared_ptr<void> slot);
    /// A stream over a connection another listener accepted and set up (a WebSocket, whose
    /// TLS, if any, is done): no STARTTLS.
    C2sSession(Server& server, std::shared_ptr<net::ByteStream> stream, std::shared_ptr<void> slot);
    ~C2sSession() override;

    void start();

    // Session
    const Jid& jid() const override { return jid_; }
    int priority() const override { return priority_.load(std::memory_order_relaxed); }
    bool available() const override { return available_.load(std::memory_order_relaxed); }
    void deliver(StanzaPtr stanza) override;
    void deliver_paced(std::vector<StanzaPtr> stanzas,
                       std::function<void(std::size_t)> done) override;
    std::shared_ptr<void> hold_live() override;
    asio::io_context* io() const override { return io_; }
    void close(std::string_view condition, std::string_view text = {}) override;
    std::chrono::steady_clock::time_point last_activity() const override;
    bool hibernated() const override { return hibernated_.load(std::memory_order_relaxed); }
    std::string peer() const override { return peer_; }
    std::string security() const override;

    // ClientStream (c2s_session_extensions.cpp)
    Host& host() override { return *host_; }
    Jid account() const override;
    bool bound() const override { return state_ == State::bound || state_ == State::hibernated; }
    bool connected() const override {
        return state_ != State::hibernated && state_ != State::closed;
    }
    SessionPtr session() override { return shared_from_this(); }
    void send_nonza(std::string xml) override { send_text(std::move(xml)); }
    void room_made() override { pump_paced(); }
    void pass_on(StanzaPtr stanza, const StreamExtension* from, bool owned) override;
    void stream_error(std::string_view condition, std::string_view text = {},
                      std::string app_xml = {}) override;
    void drop_connection() override;
    void end_session(std::string_view reason) override;
    void post(std::function<void()> fn) override;
    std::shared_ptr<void> after(std::chrono::milliseconds delay, std::function<void()> fn) override;
    void take_over(const SessionPtr& old, std::function<void(bool)> done) override;

    /// Frees the XML parser of a quiet stream between stanzas (rebuilt at the next read);
    /// callable from any thread.
    void release_idle_memory();
    /// True once the session has ended and disposed of what it held (closed, handed over, or
    /// its hibernation ended); shutdown waits for this. Any thread.
    bool ended() const { return ended_.load(); }

private:
    // hibernated: bound, with no connection (XEP-0198), until resumed or ended.
    enum class State { connected, authenticated, bound, closing, closed, hibernated };
    struct Extension {
        std::string xmlns;
        int order;
        std::shared_ptr<StreamExtension> extension;
    };
    struct Adopted;  // what take_over() carries from the old stream to the new one

    // I/O (c2s_session.cpp)
    void do_handshake();
    void on_handshake(const std::string& error);
    // StreamReader::Owner (keep_alive() is WriteQueue::Owner's too)
    bool read_stopped() const override { return dead(); }
    bool read_held() const override { return secret_pending_; }
    void on_bytes(std::string_view bytes) override;
    bool keep_reading() const override;
    void on_read_failed(net::IoStatus status) override;
    void on_over_rate() override {
        stream_error("policy-violation", "the client keeps sending faster than rate_limits.c2s");
    }
    void send_text(std::string text);
    void outbound_overflow();
    // Backlogs and held live stanzas (c2s_session_backlog.cpp)
    void enqueue(StanzaPtr stanza);
    /// Queues what is delivered paced while the queue and the extensions have room.
    void pump_paced();
    /// The session ends or moves: each paced delivery learns how much of it was queued.
    void end_paced();
    void release_live_hold();
    /// The live stanzas held behind a backlog, oldest first, given up by the session: for a
    /// session that ends or moves, to dispose of after everything older than them.
    std::vector<StanzaPtr> take_held_live();
    // WriteQueue::Owner
    std::shared_ptr<void> keep_alive() override { return shared_from_this(); }
    bool write_stopped() const override { return dead(); }
    void on_written() override { pump_paced(); }
    void on_idle() override;
    void on_write_failed() override { finish_close(); }
    void arm_close_timer();
    void finish_close();
    void end_bound_session(std::string_view reason);
    void shutdown_socket();
    bool dead() const { return state_ == State::closed || state_ == State::hibernated; }
    std::shared_ptr<C2sSession> self() {
        return std::static_pointer_cast<C2sSession>(shared_from_this());
    }

    // Negotiation (c2s_negotiation.cpp)
    void on_stream_open(xml::StreamHeader header);
    void on_element(xml::ElementPtr element);
    void on_parse_error(xml::ParseError error, const std::string& detail);
    void send_features();
    sasl::ChannelBindings channel_bindings() const;
    void handle_starttls(const xml::Element& element);
    void handle_auth(const xml::Element& element);
    void handle_sasl_response(const xml::Element& element);
    void handle_sasl_step(const sasl::Step& step);
    void look_up_secret();
    void on_secret(std::uint64_t exchange, bool ok, std::optional<sasl::ScramSecret> secret);
    void sasl_failure(std::string_view condition, std::string_view text = {});
    void handle_unauthenticated_iq(xml::ElementPtr element);
    void handle_preauth_iq(xml::ElementPtr element);
    void handle_bind(const Stanza& iq);
    void handle_stanza(xml::ElementPtr element);
    void route_client_stanza(xml::ElementPtr element);
    void start_preauth_timer();
    std::string header_text(bool with_decl) const;
    /// The stream's end tag, or a framed stream's <close/>.
    std::string_view close_text() const;

    // Extensions (c2s_session_extensions.cpp)
    void handle_nonza(xml::ElementPtr element);
    std::shared_ptr<const void> inbound_receipt(const xml::Element& element);
    void send_through(StanzaPtr stanza, std::size_t first, bool owned);
    bool keep_after_connection_lost();
    void hibernate();
    void hand_over(std::shared_ptr<C2sSession> to, std::function<void(bool)> done);
    void adopt(std::shared_ptr<C2sSession> old, std::shared_ptr<Adopted> adopted,
               std::function<void(bool)> done);

    Server& server_;
    // Shared: a WebSocket's close handshake may outlive the session.
    std::shared_ptr<net::ByteStream> socket_;
    net::TcpTlsSocket* tcp_tls_ = nullptr;   // socket_ when it is one: STARTTLS and direct TLS
    bool framed_ = false;                    // socket_->framed(): RFC 7395 framing
    asio::io_context* io_;                   // the socket's: the I/O thread this session lives on
    std::shared_ptr<void> connection_slot_;  // released with the socket, not with the session
    std::shared_ptr<net::TlsContexts> tls_contexts_;
    bool direct_tls_ = false;
    std::string peer_;
    std::string peer_ip_;

    std::unique_ptr<xml::StreamParser> parser_;  // made in start(): its callbacks need `this`
    bool restart_pending_ = false;   // reset the parser before the next bytes (after TLS/SASL)
    bool starttls_pending_ = false;  // handshake once <proceed/> is written

    State state_ = State::connected;
    bool header_sent_ = false;
    std::string stream_id_;
    Host* host_ = nullptr;
    std::unique_ptr<sasl::Mechanism> mechanism_;
    std::string mechanism_name_;
    // Each <auth> starts a new exchange; a stored-secret lookup completes only the exchange that
    // asked for it, so an <abort/> and a second <auth> sent while it is pending cannot inherit
    // its result (another account's secret).
    std::uint64_t sasl_exchange_ = 0;
    // While a lookup is pending the stream reads no more, and elements already parsed wait here
    // (an <abort/> excepted), to be handled in order once it returns.
    bool secret_pending_ = false;
    std::vector<xml::ElementPtr> held_;
    std::string username_;
    int sasl_failures_ = 0;  // wrong credentials
    int sasl_refusals_ = 0;  // other SASL failures (no credential tested)
    Jid jid_;
    std::atomic<int> priority_{0};
    std::atomic<bool> available_{false};
    std::atomic<std::int64_t> last_activity_;
    std::atomic<bool> parser_released_{false};
    asio::steady_timer preauth_timer_;

    OrderedDispatch delivering_;  // deliver(): in the order handed over
    StreamReader reader_{*socket_, server_, *this, "c2s", "c2s.paused"};
    WriteQueue out_{*socket_, *this};
    bool close_after_write_ = false;
    bool store_undelivered_ = false;  // closed for not reading: what is queued is stored

    // Backlogs being delivered paced, oldest first. An entry with no `done` stands for the
    // held live stanzas: they go out, paced too, once the backlogs before it are queued.
    struct Paced {
        std::vector<StanzaPtr> stanzas;
        std::size_t next = 0;  // stanzas[next..] are not queued yet
        std::function<void(std::size_t)> done;
    };
    std::vector<Paced> paced_;
    bool pumping_ = false;  // pump_paced() is on the stack
    // Live stanzas waiting behind a backlog: while a hold_live() handle is out, or until the
    // backlog given before its release is queued (live_paced_: its entry is in paced_).
    int live_holds_ = 0;
    bool live_paced_ = false;
    std::vector<StanzaPtr> held_live_;
    std::size_t held_live_next_ = 0;  // held_live_[held_live_next_..] are not queued yet
    std::size_t held_live_bytes_ = 0;

    // In order; empty for a stream that sent no nonza, which then pays for none of this.
    std::vector<Extension> extensions_;
    std::atomic<bool> hibernated_{false};     // state_ == hibernated, for other threads
    std::atomic<bool> ended_{false};          // end_bound_session() ran, for other threads
    bool handed_over_ = false;                // resumed elsewhere: this object only forwards
    std::shared_ptr<C2sSession> forward_to_;  // the stream that resumed this session
};

}  // namespace starling
