#pragma once
// One external component stream (XEP-0114, jabber:component:accept): the component names the
// domain it serves in the stream header, proves it knows that domain's secret with <handshake/>
// (hex SHA-1 of the stream id and the secret), and from then on exchanges stanzas with the router
// as the server for that domain. Lives on one I/O thread for its whole life, like a c2s stream;
// other threads reach it only through deliver() and close().

#include "core/session.hpp"
#include "net/asio.hpp"
#include "net/tcp_tls_socket.hpp"
#include "stream/ordered_dispatch.hpp"
#include "stream/stream_reader.hpp"
#include "stream/write_queue.hpp"
#include "xml/stream_parser.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace starling {

class Server;

class ComponentSession final : public Session,
                               private StreamReader::Owner,
                               private WriteQueue::Owner {
public:
    /// `slot` counts the connection against limits.connections[_per_ip] until its socket closes.
    ComponentSession(Server& server, asio::ip::tcp::socket socket, std::shared_ptr<void> slot);
    ~ComponentSession() override;

    void start();

    // Session. A component is not an account's resource: it has no priority and is never
    // "available" to the bare-JID rules; its JID is the domain it named in its header.
    const Jid& jid() const override { return jid_; }
    int priority() const override { return 0; }
    bool available() const override { return false; }
    void deliver(StanzaPtr stanza) override;
    void close(std::string_view condition, std::string_view text = {}) override;
    std::chrono::steady_clock::time_point last_activity() const override;
    std::string peer() const override { return peer_; }
    std::string security() const override { return "plain component"; }

private:
    enum class State { connected, opened, authenticated, closing, closed };

    void on_stream_open(xml::StreamHeader header);
    void on_element(xml::ElementPtr element);
    void handle_handshake(const xml::Element& element);
    void handle_stanza(xml::ElementPtr element);

    // StreamReader::Owner (keep_alive() is WriteQueue::Owner's too)
    bool read_stopped() const override { return state_ == State::closed; }
    bool read_held() const override { return false; }
    void on_bytes(std::string_view bytes) override;
    bool keep_reading() const override { return state_ != State::closing; }
    void on_read_failed(net::IoStatus) override { finish_close(); }
    void on_over_rate() override {
        stream_error("policy-violation",
                     "the component keeps sending faster than "
                     "rate_limits.component");
    }
    void send_text(std::string text);
    void enqueue(StanzaPtr stanza);
    // WriteQueue::Owner
    std::shared_ptr<void> keep_alive() override { return shared_from_this(); }
    bool write_stopped() const override { return state_ == State::closed; }
    void on_written() override {}
    void on_idle() override;
    void on_write_failed() override { finish_close(); }
    void stream_error(std::string_view condition, std::string_view text = {});
    void finish_close();
    std::string header_text() const;
    std::shared_ptr<ComponentSession> self() {
        return std::static_pointer_cast<ComponentSession>(shared_from_this());
    }

    Server& server_;
    net::TcpTlsSocket socket_;
    std::shared_ptr<void> connection_slot_;  // released with the socket
    std::string peer_;
    std::unique_ptr<xml::StreamParser> parser_;
    State state_ = State::connected;
    bool header_sent_ = false;
    std::string stream_id_;
    std::string domain_;  // from the header's 'to', once it names a configured component
    std::string secret_;
    Jid jid_;
    bool attached_ = false;  // this stream is the one the registry routes the domain to
    std::atomic<std::int64_t> last_activity_;
    asio::steady_timer preauth_timer_;

    OrderedDispatch delivering_;  // deliver(): in the order handed over
    StreamReader reader_{socket_, server_, *this, "component", ""};
    WriteQueue out_{socket_, *this};
    bool close_after_write_ = false;
};

}  // namespace starling
