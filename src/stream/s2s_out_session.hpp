#pragma once
// One outgoing server-to-server stream (RFC 6120, jabber:server) from one of our domains to a
// remote one: found through DNS (SRV, then the domain itself on 5269) or `s2s.hosts`, STARTTLS
// (or TLS from the first byte on an _xmpps-server target), the remote certificate checked for
// the remote domain (RFC 9525), then SASL EXTERNAL with our own certificate, or Server Dialback
// (XEP-0220) when the peer does not take our certificate. A remote certificate that does not
// verify is accepted only where s2s policy lets the domain rely on dialback (then DNS is what
// says the peer is the domain's server). The stream also carries our <db:verify/> requests
// (as Receiving Server) to the remote domain, from the moment TLS is up. Stanzas queue
// (bounded) while the stream is set up and are written once it is ready; if it cannot be set
// up, each goes back to its sender with <remote-server-not-found/> (or <remote-server-timeout/>)
// and a text saying why, so nothing accepted is lost silently. With a peer that offers XEP-0198
// Stream Management, what was written is kept until the peer acknowledges it, and bounced the
// same way if the stream ends first (s2s_stream_management.cpp). Where the peer offers it, the
// stream is made bidirectional (XEP-0288): the peer's stanzas from the remote domain to ours
// then come back on it, checked as an incoming stream's are (S2sInbound).
//
// Once ready, the stream can carry stanzas from our other domains too (XEP-0220 §8.3, sender
// multiplexing) when the peer takes dialback: the first stanza from such a domain sends a
// <db:result/> for it, and its stanzas wait for the verdict; one the peer refuses goes on a
// stream of its own (S2sManager), and this stream is not offered that domain again.
//
// Lives on one I/O thread (its socket's) for its whole life; other threads reach it only
// through deliver(), verify(), close() and carries_sender(). S2sManager keeps one per pair of
// domains, and maps the pairs of the domains it multiplexes to it as well.

#include "core/stanza.hpp"
#include "net/resolver.hpp"
#include "net/tcp_tls_socket.hpp"
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
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace starling {

class Server;

class S2sOutSession final : public std::enable_shared_from_this<S2sOutSession>,
                            private StreamReader::Owner,
                            private WriteQueue::Owner,
                            private S2sInbound::Owner {
public:
    /// `ended` runs on the session's thread when it is over, so its manager forgets it.
    S2sOutSession(Server& server, asio::io_context& io, std::string local, std::string remote,
                  std::function<void()> ended);
    ~S2sOutSession();

    /// Connects and sets up the stream, on its thread. Any thread.
    void start();
    /// Queues a stanza for the remote domain (written once the stream is ready). Any thread.
    void deliver(StanzaPtr stanza);
    /// Whether stanzas from `sender`, another of our domains, may share this stream: it is
    /// ready, the peer takes dialback, and has not refused `sender`. Any thread.
    bool carries_sender(const std::string& sender) const;
    /// Sends <db:verify/> from `local` (ours) for `key` on our incoming stream `stream_id`
    /// once TLS is up; `done`
    /// gets the answer, or an error if the stream ends first. Any thread.
    void verify(std::string local, std::string stream_id, std::string key,
                std::function<void(dialback::Verdict)> done);
    /// Ends the stream (shutdown: what is still queued goes back to its senders). Any thread.
    void close(std::string_view condition);

    const std::string& local() const { return local_; }
    const std::string& remote() const { return remote_; }
    /// For `starlingctl s2s`. Any thread.
    const S2sStatus& status() const { return status_; }

private:
    enum class State { connecting, opened, authenticating, ready, closing, closed };

    // StreamReader::Owner, WriteQueue::Owner, S2sInbound::Owner
    std::shared_ptr<void> keep_alive() override { return shared_from_this(); }
    bool read_stopped() const override { return state_ == State::closed; }
    bool read_held() const override {
        return inbound_.held() || (inbound_acks_ && inbound_acks_->backlogged());
    }
    void resume_reading() override { reader_->resume(); }
    std::string stream_name() const override { return "out " + local_ + " -> " + remote_; }
    void on_bytes(std::string_view bytes) override;
    bool keep_reading() const override { return !handshake_pending_ && state_ != State::closing; }
    void on_read_failed(net::IoStatus) override;
    void on_over_rate() override {
        stream_error("policy-violation", "the server keeps sending faster than rate_limits.s2s");
    }
    bool write_stopped() const override { return state_ == State::closed; }
    void on_written() override {}
    void on_idle() override;
    void on_write_failed() override;

    void connect();
    void on_connected(asio::ip::tcp::socket socket, const net::Target& target);
    void start_stream();
    void tls_handshake();
    void on_stream_open(const xml::StreamHeader& header);
    void on_element(xml::ElementPtr element);
    void on_features(const xml::Element& features);
    /// Our own authentication by dialback: <db:result/> with our key.
    void send_dialback_key();
    void on_dialback(const xml::Element& element);
    void enqueue(StanzaPtr stanza);
    /// A stanza from `sender`, one of our other domains (sender multiplexing): written once
    /// the peer accepted `sender`, until then kept; the first one asks for it.
    void enqueue_for_sender(const std::string& sender, StanzaPtr stanza);
    /// The peer's verdict on `sender`'s <db:result/>.
    void on_sender_verdict(const std::string& sender, const dialback::Verdict& verdict);
    void request_verify(std::string local, std::string stream_id, std::string key,
                        std::function<void(dialback::Verdict)> done);
    /// Writes the verify requests not written yet (TLS is up).
    void send_verifies();
    /// `how`: EXTERNAL or dialback.
    void ready(const char* how);
    void send_text(std::string text);
    /// Ends the stream with a stream error: the peer broke the protocol.
    void stream_error(std::string_view condition, std::string_view text);
    /// The stream could not be set up, or broke: what is queued bounces with `condition`.
    void fail(std::string_view condition, const std::string& why);
    /// Closes a ready stream that carried nothing for s2s.idle_timeout; checked at most once
    /// per timeout, not per stanza.
    void arm_idle_timer();
    /// Closes the connection; stanzas not yet written bounce with `condition` and `text`.
    void finish_close(std::string_view condition, const std::string& text);
    /// Closes the stream for idleness; the manager forgets it at once.
    void close_idle();

    // XEP-0198 (s2s_stream_management.cpp).
    /// After authentication, before the first stanza: <enable/>, if the peer offered <sm/>.
    void enable_stream_management();
    void on_stream_management(const xml::Element& element);
    /// On this stream's thread, when inbound_acks_ has work: an <a/> to write, reading to resume.
    void on_acks_woken();
    /// The last <a/> for the peer's stanzas, before our closing tag; empty if none are counted.
    std::string final_ack() const;
    /// Queues a stanza behind the others (the caller writes); kept until acknowledged.
    void write_stanza(StanzaPtr stanza);
    /// True when `more` bytes would take what the stream holds for the peer past its bound:
    /// what is not written yet, and what is not acknowledged.
    bool over_bound(std::size_t more) const;
    /// Writes <r/> if stanzas went out since the last one and none waits for its answer;
    /// `force`: whenever stanzas are unacknowledged and none waits.
    void request_ack(bool force = false);
    /// An <r/> has waited `within` for its answer: the peer is gone, whatever TCP says.
    bool ack_overdue(std::chrono::seconds within) const;
    /// On an idle close with stanzas unacknowledged: asks for the last <a/> and closes when it
    /// comes (true), instead of bouncing what the peer may have handled.
    bool wait_for_final_ack();
    /// Ends the stream for a peer's protocol error; what it did not acknowledge bounces.
    void sm_stream_error(std::string_view condition, const std::string& text, std::string_view app);
    /// Bounces every stanza the peer has not acknowledged.
    void bounce_unacked(std::string_view type, std::string_view condition, const std::string& text);

    Server& server_;
    asio::io_context& io_;
    std::string local_;
    std::string remote_;
    std::function<void()> ended_;
    S2sStatus status_{"out", local_, remote_};
    std::unique_ptr<net::Resolver> resolver_;
    std::shared_ptr<void> client_context_;  // the SSL_CTX (an asio::ssl::context) for TLS
    std::unique_ptr<net::TcpTlsSocket> socket_;
    OrderedDispatch delivering_;  // deliver(): in the order handed over
    std::unique_ptr<StreamReader> reader_;
    std::unique_ptr<WriteQueue> out_;
    std::unique_ptr<xml::StreamParser> parser_;
    State state_ = State::connecting;
    bool handshake_pending_ = false;  // <proceed/> came: TLS starts before anything else is read
    bool close_after_write_ = false;
    bool authenticated_ = false;  // SASL EXTERNAL succeeded (the stream then restarts)
    bool idle_closing_ = false;   // closed for idleness: stanzas still arriving go anew
    bool secured_ = false;        // TLS is up and the peer sent its features: verifies may go
    bool dialback_offered_ = false;
    bool dialback_sent_ = false;  // our <db:result/> awaits its answer
    bool bidi_ = false;           // we asked for the peer's stanzas on this stream (XEP-0288)
    const std::vector<std::string> remote_senders_{remote_};  // whose stanzas a bidi stream carries
    std::vector<std::string> targets_{local_};  // and to whom: our domains the peer accepted
    struct Sender {
        std::vector<StanzaPtr> waiting;  // until the peer's verdict
        std::size_t bytes = 0;
        bool accepted = false;
    };
    std::map<std::string, Sender> senders_;  // our other domains on this stream
    std::atomic<bool> multiplexing_{false};  // ready, and the peer takes dialback
    mutable std::mutex refused_mutex_;
    std::set<std::string> refused_;  // our domains the peer refused: they get their own stream
    bool sm_offered_ = false;        // the peer's features after TLS (or SASL) offer <sm/>
    bool close_when_acked_ = false;  // idle, waiting for the last <a/> to close
    OutgoingAcks outbound_acks_;
    // Once the peer enabled stream management on a bidirectional stream: counts its stanzas.
    std::shared_ptr<IncomingAcks> inbound_acks_;
    std::string stream_id_;  // the id of the peer's latest header: our key is bound to it
    struct PendingVerify {
        std::string local;
        std::string stream_id;
        std::string key;
        std::function<void(dialback::Verdict)> done;
        bool sent = false;
    };
    // Answers are matched to these by id, and must come from remote_ to local_ on this stream:
    // anything else is unsolicited and ignored (XEP-0220 §4.1).
    std::vector<PendingVerify> verifies_;
    std::chrono::steady_clock::time_point last_activity_;
    std::vector<StanzaPtr> pending_;  // queued before the stream is ready
    std::size_t pending_bytes_ = 0;
    std::size_t limit_ = 0;
    asio::steady_timer timer_;  // the set-up deadline, then the idle check
    S2sInbound inbound_{server_, io_.get_executor(), static_cast<S2sInbound::Owner&>(*this)};
};

}  // namespace starling
