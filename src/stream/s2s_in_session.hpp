#pragma once
// One incoming server-to-server stream (RFC 6120, jabber:server): another domain's server opens
// it to deliver its users' stanzas to ours. STARTTLS is required (or TLS from the first byte on
// an s2s_tls listener, XEP-0368); the peer then authenticates with SASL EXTERNAL, which is
// offered only when its certificate verifies and names the domain in the header's 'from'
// (RFC 9525, net/peer_identity.hpp), or with Server Dialback (XEP-0220) where s2s policy allows
// it: each <db:result/> names a domain pair, and the key is checked with that domain's own
// server over our outgoing stream to it (S2sManager::verify), unless the certificate already
// proves the domain. Several sending domains may be authorized on one stream this way. From then
// on every stanza must come from an authorized domain (<invalid-from/>) and go to one of ours
// (<host-unknown/>). The stream also answers <db:verify/> about the keys our own outgoing
// streams sent, as the Authoritative Server for our domains, and takes XEP-0198 Stream
// Management once authenticated (s2s_stream_management.cpp).
//
// Stanzas only flow in, unless the peer makes the stream bidirectional (XEP-0288, `<bidi/>`
// after TLS): then it also carries our stanzas for the reverse of each pair it authenticated
// (S2sManager::add_route), and replies to the peer's users need no stream of our own.
// Lives on one I/O thread for its whole life; other threads reach it only through deliver()
// and close().

#include "core/stanza.hpp"
#include "net/tcp_tls_socket.hpp"
#include "net/tls_context.hpp"
#include "stream/dialback_elements.hpp"
#include "stream/incoming_acks.hpp"
#include "stream/ordered_dispatch.hpp"
#include "stream/outgoing_acks.hpp"
#include "stream/s2s_inbound.hpp"
#include "stream/s2s_status.hpp"
#include "stream/stream_reader.hpp"
#include "stream/write_queue.hpp"
#include "xml/stream_parser.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace starling {

class Server;

class S2sInSession final : public std::enable_shared_from_this<S2sInSession>,
                           private StreamReader::Owner,
                           private WriteQueue::Owner,
                           private S2sInbound::Owner {
public:
    /// `tls` are the s2s contexts (they ask for the peer's certificate); `slot` counts the
    /// connection against limits.connections[_per_ip] until its socket closes.
    S2sInSession(Server& server, asio::ip::tcp::socket socket,
                 std::shared_ptr<net::TlsContexts> tls, bool direct_tls,
                 std::shared_ptr<void> slot);
    ~S2sInSession();

    void start();
    /// Sends a stanza to the peer, on a bidirectional stream that carries its pair; any other
    /// stream (or one closing meanwhile) hands it back to S2sManager. Any thread.
    void deliver(StanzaPtr stanza);
    /// Ends the stream with a stream error (shutdown: system-shutdown). Any thread.
    void close(std::string_view condition, std::string_view text = {});
    /// True once the connection is closed. Any thread.
    bool ended() const { return ended_.load(); }
    /// For `starlingctl s2s`. Any thread.
    const S2sStatus& status() const { return status_; }

private:
    // opened: our header is sent and TLS (or authentication) comes next; authenticated: SASL
    // succeeded and the restarted stream carries stanzas.
    enum class State { connected, opened, authenticated, closing, closed };

    // StreamReader::Owner, WriteQueue::Owner, S2sInbound::Owner
    std::shared_ptr<void> keep_alive() override { return shared_from_this(); }
    bool read_stopped() const override { return state_ == State::closed; }
    bool read_held() const override {
        return inbound_.held() || (inbound_acks_ && inbound_acks_->backlogged());
    }
    void resume_reading() override { reader_.resume(); }
    std::string stream_name() const override { return "in " + who(); }
    void on_bytes(std::string_view bytes) override;
    bool keep_reading() const override;
    void on_read_failed(net::IoStatus) override { finish_close(); }
    void on_over_rate() override {
        stream_error("policy-violation", "the server keeps sending faster than rate_limits.s2s");
    }
    bool write_stopped() const override { return state_ == State::closed; }
    void on_written() override {}
    void on_idle() override;
    void on_write_failed() override { finish_close(); }

    void on_stream_open(xml::StreamHeader header);
    void on_element(xml::ElementPtr element);
    void send_features();
    void handle_starttls();
    void do_handshake();
    void handle_auth(const xml::Element& element);
    void handle_dialback_result(const xml::Element& element);
    void handle_dialback_verify(const xml::Element& element);
    /// The Authoritative Server's verdict on the key `from` sent for `to`.
    void on_verified(const std::string& from, const std::string& to, dialback::Verdict verdict);
    /// Lets stanzas from `sender` to `target` in (and, on a bidirectional stream, ours from
    /// `target` to `sender` out); the first pair also ends the pre-authentication limits.
    void authorize(const std::string& sender, const std::string& target, const char* how);
    /// XEP-0288: the peer asks for our stanzas on this stream.
    void handle_bidi();
    /// Offers the stream as the route for the reverse of each authorized pair.
    void add_routes();
    void send_stanza(StanzaPtr stanza);
    /// The stream stops carrying anything: S2sManager forgets its routes.
    void begin_closing();
    void send_text(std::string text);
    /// `app`: an application condition element after the text (RFC 6120 §4.9.4).
    void stream_error(std::string_view condition, std::string_view text = {},
                      std::string_view app = {});
    void finish_close();
    /// Closes the authenticated stream once it carried nothing for s2s.idle_timeout.
    void arm_idle_timer();
    std::string header_text(bool with_decl) const;
    std::string who() const;

    // XEP-0198 (s2s_stream_management.cpp): <enable/>, <r/> and <a/> from the peer.
    void on_stream_management(const xml::Element& element);
    /// On this stream's thread, when inbound_acks_ has work: an <a/> to write, reading to resume.
    void on_acks_woken();
    /// The receipt of the stanza the peer just sent: null without stream management.
    Receipt stanza_receipt();
    /// The last <a/>, written before our closing tag; empty without stream management.
    std::string final_ack() const;
    /// Queues a stanza for the peer; kept until acknowledged once stream management is on.
    void write_stanza(StanzaPtr stanza);
    /// True when `more` bytes would take what the stream holds for the peer past its bound:
    /// what is not written yet, and what is not acknowledged.
    bool over_bound(std::size_t more) const;
    /// Writes <r/> when stanzas this bidirectional stream sent wait for one.
    void request_ack();
    /// Bounces every stanza the peer has not acknowledged.
    void bounce_unacked(std::string_view condition, const std::string& text);

    Server& server_;
    net::TcpTlsSocket socket_;
    std::shared_ptr<void> connection_slot_;
    std::shared_ptr<net::TlsContexts> tls_contexts_;
    bool direct_tls_;
    std::string peer_;
    std::unique_ptr<xml::StreamParser> parser_;
    State state_ = State::connected;
    bool header_sent_ = false;
    bool starttls_pending_ = false;  // <proceed/> is being written; the handshake follows
    bool close_after_write_ = false;
    std::string stream_id_;
    std::string local_;                    // our domain, from the header's 'to'
    std::string remote_;                   // the peer's domain, from the header's 'from'
    std::vector<std::string> authorized_;  // domains whose stanzas this stream may carry
    // The authorized (sender, target) pairs: a bidirectional stream carries their reverse.
    std::vector<std::pair<std::string, std::string>> pairs_;
    bool bidi_ = false;
    // Dialback requests waiting for the Authoritative Server, as (from, to).
    std::vector<std::pair<std::string, std::string>> dialback_pending_;
    int failed_auth_ = 0;         // refused SASL attempts; too many end the stream
    std::string identity_error_;  // why the certificate does not prove remote_; empty if it does
    std::atomic<bool> ended_{false};
    S2sStatus status_{"in", "", ""};
    std::chrono::steady_clock::time_point last_activity_;
    asio::steady_timer preauth_timer_;
    std::shared_ptr<IncomingAcks> inbound_acks_;  // once the peer enabled stream management
    OutgoingAcks outbound_acks_;  // what a bidirectional stream sent since <enabled/>
    // The bases are private: named here, where they are accessible.
    OrderedDispatch delivering_;  // deliver(): in the order handed over
    StreamReader reader_{socket_, server_, static_cast<StreamReader::Owner&>(*this), "s2s",
                         "s2s.paused"};
    WriteQueue out_{socket_, static_cast<WriteQueue::Owner&>(*this)};
    S2sInbound inbound_{server_, socket_.tcp().get_executor(),
                        static_cast<S2sInbound::Owner&>(*this)};
};

}  // namespace starling
