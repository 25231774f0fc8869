#pragma once
// One XMPP client connection of the load generator: TCP (plain, STARTTLS or direct TLS) or a
// WebSocket (RFC 7395, ws or wss), SASL (SCRAM or PLAIN), bind, optional roster get and initial
// presence; or XEP-0077 registration.
// Every step is a named do_x/on_x pair on the connection's own io_context thread. A connection
// holds a 2 KiB read buffer, an expat parser and its write queue, nothing more while idle.

#include "bench/message_body.hpp"
#include "bench/options.hpp"
#include "bench/scram_client.hpp"
#include "bench/stanza_reader.hpp"
#include "net/asio.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <array>
#include <deque>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace bench {

namespace asio = starling::asio;
using starling::error_code;
using tcp = asio::ip::tcp;

class connection;

enum class register_outcome { created, existed, failed };

/// What a connection reports to its owner, always on the connection's thread.
class connection_events {
public:
    /// Logged in, bound, presence sent, and the server answered the ping that follows it (so
    /// everything before is processed): ready for traffic.
    virtual void on_online(connection& c) = 0;
    /// Registration answered (the connection then closes itself).
    virtual void on_registered(connection& c, register_outcome outcome, const std::string& why) = 0;
    /// The connection failed or was closed by the server; `why` names the step and the server's
    /// words. Called at most once, and never after `close`.
    virtual void on_failed(connection& c, const std::string& why) = 0;
    /// A <message/> with a body arrived (any state after authentication).
    virtual void on_message(connection& c, const stanza& message) = 0;
    /// The server answered a `ping` (online only).
    virtual void on_pong(connection& c) = 0;
    /// Online: a <presence/>, a <message/> with a <subject/>, or the answer to an iq sent with
    /// `send_stanza` whose id starts with "muc" (the muc scenario's joins and room configs).
    virtual void on_room_stanza(connection& c, const stanza& s) = 0;

protected:
    ~connection_events() = default;
};

/// What all connections of a run share (read-only while they run, except the cache).
struct connection_setup {
    const options* opts = nullptr;
    tcp::endpoint server;
    std::vector<asio::ip::address> sources;
    asio::ssl::context* tls = nullptr;
    salted_password_cache* cache = nullptr;
};

class connection : public std::enable_shared_from_this<connection>, private stanza_sink {
public:
    enum class goal : std::uint8_t { login, register_account };

    connection(asio::io_context& io, const connection_setup& setup, connection_events& events,
               std::uint32_t account);
    ~connection();

    /// Connects and runs the login (or registration) to its end.
    void start(goal g);
    /// Sends </stream:stream> and closes once it is written; no events after this.
    void close();

    /// Queues one chat message to `to` (a bare JID); written with whatever else is queued.
    void send_chat(const std::string& to, const message_body& body);

    std::uint32_t account() const { return account_; }
    bool online() const { return state_ == state::online; }
    /// Time from start() to on_online, or to the registration answer.
    std::chrono::nanoseconds login_time() const { return login_time_; }

    /// Queues one groupchat message to `room` (a room's bare JID).
    void send_groupchat(const std::string& room, const message_body& body);
    /// Queues a stanza the caller wrote (online only): a MUC join, a room configuration.
    void send_stanza(std::string_view xml);

    /// Sends an XEP-0199 ping to the domain, queued behind everything sent before: its answer
    /// (on_pong) means the server has processed all of that.
    void ping();

    /// Scenario-owned counter (e.g. messages outstanding in window mode).
    std::uint32_t outstanding = 0;
    std::uint32_t next_seq = 0;

private:
    enum class state : std::uint8_t {
        idle,
        connecting,
        handshaking,
        features,
        proceed,
        starting_tls,
        registering,
        sasl,
        bind,
        session,
        roster,
        barrier,
        online,
        closed
    };

    void do_connect();
    void on_connect(const error_code& ec);
    void do_handshake();
    void on_handshake(const error_code& ec);
    void do_open_stream();
    void do_read();
    void on_read(const error_code& ec, std::size_t size);
    void do_write();
    void on_write(const error_code& ec);
    void send(std::string_view data);
    void send_message(std::string_view type, const std::string& to, const message_body& body);
    /// Where the next stanza is written: the pending bytes, or a message of its own.
    std::string& next_stanza();
    void flush();
    void do_ws_handshake();
    void on_ws_message(const error_code& ec);
    /// Feeds what arrived, then goes on with the step it completes.
    void received(const char* data, std::size_t size);
    template <class Fn>
    void with_websocket(Fn&& fn) {
        if (wss_)
            fn(*wss_);
        else
            fn(*ws_);
    }
    bool websocket() const { return wss_ || ws_; }

    void on_stream_start(std::string_view stream_id) override;
    void on_stanza(const stanza& s) override;
    void on_stream_end() override;

    void on_features(const stanza& s);
    void do_auth(const stanza& features);
    void on_sasl(const stanza& s);
    void on_iq(const stanza& s);
    void do_register();
    void after_bind();
    void do_presence();
    void become_online();

    void fail(std::string why);
    void shut_socket();
    std::string describe_error(const stanza& s) const;

    asio::io_context& io_;
    const connection_setup& setup_;
    connection_events& events_;
    tcp::socket socket_;
    std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
    // With --websocket: over tls_ (wss) or socket_ (ws). Every stanza is a message of its own.
    std::unique_ptr<boost::beast::websocket::stream<asio::ssl::stream<tcp::socket>&>> wss_;
    std::unique_ptr<boost::beast::websocket::stream<tcp::socket&>> ws_;
    boost::beast::flat_buffer message_;
    std::deque<std::string> messages_;  // to send, one stanza each
    stanza_reader reader_;
    std::unique_ptr<scram_client> scram_;
    std::string pending_;
    std::string writing_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::nanoseconds login_time_{0};
    std::uint32_t account_;
    state state_ = state::idle;
    goal goal_ = goal::login;
    bool authenticated_ = false;
    bool restart_stream_ = false;
    bool write_in_flight_ = false;
    bool closing_ = false;
    bool scram_final_sent_ = false;
    bool server_verified_ = false;
    bool bind_needs_session_ = false;
    std::array<char, 2048> buffer_;
};

}  // namespace bench
