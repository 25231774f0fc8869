// XEP-0198 Stream Management on server-to-server streams, both directions, without resumption
// (a broken s2s stream is simply opened again). The sessions call in here at a few points; the
// bookkeeping is in IncomingAcks and OutgoingAcks.
//
// Incoming: <sm/> is offered once the peer can be authenticated (after the SASL restart; with
// dialback, which has no restart, in the features after TLS), <enable/> is taken only on an
// authenticated stream, and `h` counts a stanza only once its receipt is released: delivered,
// committed to storage or bounced. Whatever the peer was told is handled survives a crash.
//
// Outgoing: when the peer offers <sm/>, <enable/> goes out after authentication, before the
// first stanza; every stanza written from then on is kept until acknowledged, and if the stream
// ends first it goes back to its sender, like a stanza never written.

#include "core/server.hpp"
#include "stream/handled_counter.hpp"
#include "stream/s2s_in_session.hpp"
#include "stream/s2s_out_session.hpp"
#include "stream/sm_elements.hpp"
#include "stream/stream_setup.hpp"

#include <spdlog/spdlog.h>

namespace starling {
namespace {

// Stanzas of one incoming stream that may wait to be handled (mostly: for storage to commit)
// before reading pauses. Bounds the counter's bookkeeping per stream; s2s.stanza_rate bounds
// the rate, and the ingress gate what storage has queued overall.
constexpr std::size_t max_unhandled = 1000;
// Under a steady load the write queue never drains, which is when an outgoing stream otherwise
// asks for its <a/>: a long burst asks every this many stanzas instead (one <r/> at a time).
constexpr std::uint64_t stanzas_per_request = 100;

}  // namespace

// Incoming ------------------------------------------------------------------------------------

void S2sInSession::on_stream_management(const xml::Element& element) {
    const auto& name = element.name();
    if (name == "enable") {
        // XEP-0198 §2: only once the peer authenticated (SASL EXTERNAL, or dialback for one of
        // its domains), and once per stream.
        if (state_ != State::authenticated || acks_)
            return send_text(sm::failed("unexpected-request"));
        // The receipts of stanzas being stored wake the stream from the storage thread.
        acks_ = std::make_shared<IncomingAcks>(max_unhandled, [weak = weak_from_this()] {
            if (auto self = weak.lock())
                asio::post(self->socket_.tcp().get_executor(),
                           [self] { self->on_acks_woken(); });
        });
        status_.sm = true;
        spdlog::info("s2s in {}: stream management enabled", who());
        return send_text("<enabled xmlns='urn:xmpp:sm:3'/>");
    }
    if (!acks_) return send_text(sm::failed("unexpected-request"));
    if (name == "r") return acks_->requested();
    if (name == "a") {
        // Stanzas flow in only: nothing was sent here that the peer could acknowledge.
        const auto h = parse_h(element.attr("h"));
        if (!h) return stream_error("invalid-xml", "<a/> needs a numeric 'h'");
        if (*h != 0)
            stream_error("undefined-condition", "acknowledged more stanzas than were sent");
        return;
    }
    stream_error("unsupported-stanza-type", "unknown stream management element");
}

void S2sInSession::on_acks_woken() {
    if (state_ == State::closing || state_ == State::closed) return;
    if (auto answer = acks_->woken()) send_text(std::move(*answer));
    // The backlog may have shrunk; resume() reads on only if nothing else holds the stream.
    reader_.resume();
}

Receipt S2sInSession::stanza_receipt() { return acks_ ? acks_->arrived() : nullptr; }

std::string S2sInSession::final_ack() const {
    // XEP-0198 §4: the last count before a clean close, so the peer bounces nothing that was
    // handled here.
    return acks_ ? sm::ack(acks_->h()) : std::string();
}

// Outgoing ------------------------------------------------------------------------------------

void S2sOutSession::enable_stream_management() {
    if (!sm_offered_) return;
    send_text("<enable xmlns='urn:xmpp:sm:3'/>");
    // Counted from here, as the peer counts: every stanza after the <enable/> it reads. Not
    // waiting for <enabled/> spares a round trip before the first stanza; a <failed/> stops it.
    acks_.start();
}

void S2sOutSession::write_stanza(StanzaPtr stanza) {
    close_when_acked_ = false;
    if (!acks_.started()) return out_->push({std::move(stanza), {}});
    acks_.sent(stanza);
    // Owned: once written it is still ours, and acks_ is what bounces it if the stream ends.
    out_->push({std::move(stanza), {}, true});
    if (acks_.sent_since_request() >= stanzas_per_request) request_ack();
}

bool S2sOutSession::over_bound(std::size_t more) const {
    // What the peer has not acknowledged is held as much as what is not written yet.
    return out_->over_limit(more) || acks_.unacked_bytes() + more > limit_;
}

void S2sOutSession::request_ack(bool force) {
    // Asked after a batch (when the write queue drains, or every stanzas_per_request), never
    // per stanza: one <a/> covers everything before its <r/>, and a request per stanza would
    // double the elements both servers write and parse.
    const bool due = acks_.request_due() ||
                     (force && acks_.started() && acks_.unacked() > 0 && !acks_.awaiting_since());
    if (!due) return;
    acks_.requested(std::chrono::steady_clock::now());
    send_text(sm::request());
}

void S2sOutSession::on_stream_management(const xml::Element& element) {
    const auto& name = element.name();
    if (name == "enabled" && acks_.started()) {
        status_.sm = true;
        spdlog::info("s2s out {} -> {}: stream management enabled", local_, remote_);
        return;
    }
    if (name == "failed" && acks_.started()) {
        spdlog::info("s2s out {} -> {}: the remote server refused stream management", local_,
                     remote_);
        // What it kept counts as delivered once written, as without stream management: the
        // write queue disposes of what is not written yet.
        acks_.stop();
        out_->for_each([](WriteQueue::Entry& entry) { entry.owned = false; });
        return;
    }
    if (name == "a" && acks_.started()) {
        const auto h = parse_h(element.attr("h"));
        if (!h) return sm_stream_error("invalid-xml", "<a/> needs a numeric 'h'", {});
        if (!acks_.acknowledged(*h)) {
            // XEP-0198 §4: it claims stanzas it was never sent; its count means nothing now.
            return sm_stream_error("undefined-condition",
                                   "acknowledged more stanzas than were sent",
                                   sm::handled_count_too_high(*h, acks_.sent_count()));
        }
        if (close_when_acked_ && acks_.unacked() == 0) return close_idle();
        return request_ack();
    }
    // Nothing flows in on this stream, so the handled count asked for is always 0.
    if (name == "r") return send_text(sm::ack(0));
    sm_stream_error("unsupported-stanza-type", "unexpected <" + name + "/> (XEP-0198)", {});
}

void S2sOutSession::sm_stream_error(std::string_view condition, const std::string& text,
                                    std::string_view app) {
    spdlog::info("s2s out {} -> {}: stream error {}: {}", local_, remote_, condition, text);
    bounce_unacked("cancel", "remote-server-not-found", remote_ + ": the remote server " + text);
    state_ = State::closing;
    close_after_write_ = true;
    send_text(stream_error_xml(condition, text, app));
}

void S2sOutSession::bounce_unacked(std::string_view type, std::string_view condition,
                                   const std::string& text) {
    for (const auto& stanza : acks_.take_unacked())
        server_.router().bounce(nullptr, *stanza, type, condition, text);
}

bool S2sOutSession::ack_overdue(std::chrono::seconds within) const {
    const auto since = acks_.awaiting_since();
    return since && std::chrono::steady_clock::now() - *since >= within;
}

bool S2sOutSession::wait_for_final_ack() {
    if (acks_.unacked() == 0) return false;
    // Closed only once everything is acknowledged, so nothing bounces that the peer handled;
    // an answer that does not come within the idle timeout is ack_overdue().
    close_when_acked_ = true;
    request_ack(true);
    last_activity_ = std::chrono::steady_clock::now();
    return true;
}

}  // namespace starling
