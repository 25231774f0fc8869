// XEP-0198 Stream Management on server-to-server streams, without resumption (a broken s2s
// stream is simply opened again). The sessions call in here at a few points; the bookkeeping is
// in IncomingAcks and OutgoingAcks.
//
// Stanzas the peer sends (an incoming stream, or an outgoing one it made bidirectional):
// `h` counts a stanza only once its receipt is released: delivered, committed to storage or
// bounced. Whatever the peer was told is handled survives a crash. <sm/> is offered once the
// peer can be authenticated (after the SASL restart; with dialback, which has no restart, in
// the features after TLS), and <enable/> is taken only on an authenticated stream.
//
// Stanzas we send (an outgoing stream, or an incoming one the peer made bidirectional): when
// the peer offers <sm/>, <enable/> goes out after authentication, before the first stanza;
// every stanza written from then on is kept until acknowledged, and if the stream ends first it
// goes back to its sender, like a stanza never written. XEP-0198 §4 counts both directions
// once enabled: the initiating server counts what it sends from <enable/> and what it receives
// from <enabled/>; the receiving server the other way round.

#include "core/server.hpp"
#include "stream/handled_counter.hpp"
#include "stream/s2s_in_session.hpp"
#include "stream/s2s_out_session.hpp"
#include "stream/sm_elements.hpp"
#include "stream/stream_setup.hpp"

#include <spdlog/spdlog.h>

namespace starling {
namespace {

// Stanzas of one stream that may wait to be handled (mostly: for storage to commit) before
// reading pauses. Bounds the counter's bookkeeping per stream; s2s.stanza_rate bounds the rate,
// and the ingress gate what storage has queued overall.
constexpr std::size_t max_unhandled = 1000;
// Under a steady load the write queue never drains, which is when a stream otherwise asks for
// its <a/>: a long burst asks every this many stanzas instead (one <r/> at a time).
constexpr std::uint64_t stanzas_per_request = 100;

/// Counts the stanzas the peer sends on a stream; the receipts of stanzas being stored wake
/// the stream (`woken`, on its `executor`) from the storage thread.
template <class Session>
std::shared_ptr<IncomingAcks> count_incoming(std::weak_ptr<Session> stream,
                                             asio::any_io_executor executor,
                                             void (Session::*woken)()) {
    return std::make_shared<IncomingAcks>(
        max_unhandled, [stream = std::move(stream), executor = std::move(executor), woken] {
            if (auto self = stream.lock())
                asio::post(executor, [self, woken] { (self.get()->*woken)(); });
        });
}

/// Queues `stanza` behind what waits on `out`; with stream management on, `acks` keeps it
/// until it is acknowledged (the write queue only writes it). True when a long burst is due
/// an <r/>.
bool queue_stanza(OutgoingAcks& acks, WriteQueue& out, StanzaPtr stanza) {
    if (!acks.started()) {
        out.push({std::move(stanza), {}});
        return false;
    }
    acks.sent(stanza);
    out.push({std::move(stanza), {}, true});
    return acks.sent_since_request() >= stanzas_per_request;
}

/// Whether to write <r/> now, noting that it is written. Asked after a batch (when the write
/// queue drains, or every stanzas_per_request), never per stanza: one <a/> covers everything
/// before its <r/>, and a request per stanza would double the elements both servers write and
/// parse. `force`: whenever stanzas are unacknowledged and no <r/> waits.
bool take_request(OutgoingAcks& acks, bool force) {
    const bool due = acks.request_due() ||
                     (force && acks.started() && acks.unacked() > 0 && !acks.awaiting_since());
    if (due) acks.requested(std::chrono::steady_clock::now());
    return due;
}

/// The stream error that an <a/> calls for, if any.
struct AckError {
    std::string condition;
    std::string text;
    std::string app;
};

/// The peer's <a h/> about what `acks` keeps.
std::optional<AckError> take_ack(OutgoingAcks& acks, const xml::Element& element) {
    const auto h = parse_h(element.attr("h"));
    if (!h) return AckError{"invalid-xml", "<a/> needs a numeric 'h'", {}};
    // XEP-0198 §4: it claims stanzas it was never sent; its count means nothing now.
    if (!acks.acknowledged(*h))
        return AckError{"undefined-condition", "acknowledged more stanzas than were sent",
                        sm::handled_count_too_high(*h, acks.sent_count())};
    return std::nullopt;
}

void bounce_unacked(Server& server, OutgoingAcks& acks, std::string_view type,
                    std::string_view condition, const std::string& text) {
    for (const auto& stanza : acks.take_unacked())
        server.router().bounce(nullptr, *stanza, type, condition, text);
}

}  // namespace

// Incoming streams -----------------------------------------------------------------------------

void S2sInSession::on_stream_management(const xml::Element& element) {
    const auto& name = element.name();
    if (name == "enable") {
        // XEP-0198 §2: only once the peer authenticated (SASL EXTERNAL, or dialback for one of
        // its domains), and once per stream.
        if (state_ != State::authenticated || inbound_acks_)
            return send_text(sm::failed("unexpected-request"));
        inbound_acks_ = count_incoming(weak_from_this(), socket_.tcp().get_executor(),
                                       &S2sInSession::on_acks_woken);
        status_.sm = true;
        spdlog::info("s2s in {}: stream management enabled", who());
        send_text("<enabled xmlns='urn:xmpp:sm:3'/>");
        // What a bidirectional stream sends from here on is counted by the peer.
        return outbound_acks_.start();
    }
    if (!inbound_acks_) return send_text(sm::failed("unexpected-request"));
    if (name == "r") return inbound_acks_->requested();
    if (name == "a") {
        if (auto error = take_ack(outbound_acks_, element)) {
            spdlog::info("s2s in {}: stream error {}: {}", who(), error->condition, error->text);
            starling::bounce_unacked(server_, outbound_acks_, "cancel", "remote-server-not-found",
                                     remote_ + ": the remote server " + error->text);
            return stream_error(error->condition, error->text, error->app);
        }
        return request_ack();
    }
    stream_error("unsupported-stanza-type", "unknown stream management element");
}

void S2sInSession::on_acks_woken() {
    if (state_ == State::closing || state_ == State::closed) return;
    if (auto answer = inbound_acks_->woken()) send_text(std::move(*answer));
    // The backlog may have shrunk; resume() reads on only if nothing else holds the stream.
    reader_.resume();
}

Receipt S2sInSession::stanza_receipt() {
    return inbound_acks_ ? inbound_acks_->arrived() : nullptr;
}

std::string S2sInSession::final_ack() const {
    // XEP-0198 §4: the last count before a clean close, so the peer bounces nothing that was
    // handled here.
    return inbound_acks_ ? sm::ack(inbound_acks_->h()) : std::string();
}

void S2sInSession::write_stanza(StanzaPtr stanza) {
    if (queue_stanza(outbound_acks_, out_, std::move(stanza))) request_ack();
}

bool S2sInSession::over_bound(std::size_t more) const {
    // What the peer has not acknowledged is held as much as what is not written yet.
    return out_.over_limit(more) || outbound_acks_.unacked_bytes() + more >
                                        server_.config()->limits.outbound_queue_bytes;
}

void S2sInSession::request_ack() {
    if (take_request(outbound_acks_, false)) send_text(sm::request());
}

void S2sInSession::bounce_unacked(std::string_view condition, const std::string& text) {
    starling::bounce_unacked(server_, outbound_acks_,
                             condition == "remote-server-timeout" ? "wait" : "cancel", condition,
                             text);
}

// Outgoing streams -----------------------------------------------------------------------------

void S2sOutSession::enable_stream_management() {
    if (!sm_offered_) return;
    send_text("<enable xmlns='urn:xmpp:sm:3'/>");
    // Counted from here, as the peer counts: every stanza after the <enable/> it reads. Not
    // waiting for <enabled/> spares a round trip before the first stanza; a <failed/> stops it.
    outbound_acks_.start();
}

void S2sOutSession::write_stanza(StanzaPtr stanza) {
    close_when_acked_ = false;
    if (queue_stanza(outbound_acks_, *out_, std::move(stanza))) request_ack();
}

bool S2sOutSession::over_bound(std::size_t more) const {
    // What the peer has not acknowledged is held as much as what is not written yet.
    return out_->over_limit(more) || outbound_acks_.unacked_bytes() + more > limit_;
}

void S2sOutSession::request_ack(bool force) {
    if (take_request(outbound_acks_, force)) send_text(sm::request());
}

void S2sOutSession::on_stream_management(const xml::Element& element) {
    const auto& name = element.name();
    if (name == "enabled" && outbound_acks_.started()) {
        status_.sm = true;
        spdlog::info("s2s out {} -> {}: stream management enabled", local_, remote_);
        // What the peer sends on a bidirectional stream is counted from here on.
        if (bidi_ && !inbound_acks_)
            inbound_acks_ = count_incoming(weak_from_this(), io_.get_executor(),
                                           &S2sOutSession::on_acks_woken);
        return;
    }
    if (name == "failed" && outbound_acks_.started()) {
        spdlog::info("s2s out {} -> {}: the remote server refused stream management", local_,
                     remote_);
        // What it kept counts as delivered once written, as without stream management: the
        // write queue disposes of what is not written yet.
        outbound_acks_.stop();
        out_->for_each([](WriteQueue::Entry& entry) { entry.owned = false; });
        return;
    }
    if (name == "a" && outbound_acks_.started()) {
        if (auto error = take_ack(outbound_acks_, element))
            return sm_stream_error(error->condition, error->text, error->app);
        if (close_when_acked_ && outbound_acks_.unacked() == 0) return close_idle();
        return request_ack();
    }
    if (name == "r") {
        if (inbound_acks_) return inbound_acks_->requested();
        // Nothing was counted (a one-way stream): no stanza of the peer's was handled here.
        return send_text(sm::ack(0));
    }
    sm_stream_error("unsupported-stanza-type", "unexpected <" + name + "/> (XEP-0198)", {});
}

void S2sOutSession::on_acks_woken() {
    if (state_ == State::closing || state_ == State::closed) return;
    if (auto answer = inbound_acks_->woken()) send_text(std::move(*answer));
    reader_->resume();
}

std::string S2sOutSession::final_ack() const {
    return inbound_acks_ ? sm::ack(inbound_acks_->h()) : std::string();
}

void S2sOutSession::sm_stream_error(std::string_view condition, const std::string& text,
                                    std::string_view app) {
    spdlog::info("s2s out {} -> {}: stream error {}: {}", local_, remote_, condition, text);
    starling::bounce_unacked(server_, outbound_acks_, "cancel", "remote-server-not-found",
                             remote_ + ": the remote server " + text);
    state_ = State::closing;
    multiplexing_ = false;
    close_after_write_ = true;
    send_text(stream_error_xml(condition, text, app) + "</stream:stream>");
}

void S2sOutSession::bounce_unacked(std::string_view type, std::string_view condition,
                                   const std::string& text) {
    starling::bounce_unacked(server_, outbound_acks_, type, condition, text);
}

bool S2sOutSession::ack_overdue(std::chrono::seconds within) const {
    const auto since = outbound_acks_.awaiting_since();
    return since && std::chrono::steady_clock::now() - *since >= within;
}

bool S2sOutSession::wait_for_final_ack() {
    if (outbound_acks_.unacked() == 0) return false;
    // Closed only once everything is acknowledged, so nothing bounces that the peer handled;
    // an answer that does not come within the idle timeout is ack_overdue().
    close_when_acked_ = true;
    request_ack(true);
    last_activity_ = std::chrono::steady_clock::now();
    return true;
}

}  // namespace starling
