#pragma once
// XEP-0198 on the sending end of a stream whose peer enabled it (an outgoing server-to-server
// stream): every stanza sent after <enable/> is kept, in order, until the peer's <a h/> covers
// it. Until then it is ours (XEP-0198 §4: "until a stanza has been affirmed as handled by the
// receiver, that stanza is the responsibility of the sender"), so a stream that dies bounces
// what it still keeps instead of counting it delivered because it was written.
//
// Pure bookkeeping, touched only on the stream's thread; the stream writes the elements.

#include "core/stanza.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace starling {

class OutgoingAcks {
public:
    using Clock = std::chrono::steady_clock;

    /// <enable/> is written: every stanza sent from now on is kept.
    void start() { started_ = true; }
    bool started() const { return started_; }
    /// The peer refused (<failed/>): nothing will be acknowledged, so what was kept counts as
    /// delivered once written, as on a stream without stream management.
    void stop();

    /// A stanza is queued for writing after <enable/>: kept until acknowledged.
    void sent(StanzaPtr stanza);
    /// The peer's <a h/>: drops what it acknowledges. False when h covers more than was sent
    /// (XEP-0198 §4, a stream error); nothing is dropped then.
    bool acknowledged(std::uint32_t h);

    /// True when stanzas were sent since the last <r/> and no <r/> waits for its answer: one
    /// request at a time covers everything sent before it.
    bool request_due() const { return started_ && !awaiting_ && sent_ != requested_at_; }
    /// Stanzas sent since the last <r/>.
    std::uint64_t sent_since_request() const { return sent_ - requested_at_; }
    /// The stream writes <r/> now.
    void requested(Clock::time_point now);
    /// Since when an <r/> waits for its answer; nullopt when none does.
    std::optional<Clock::time_point> awaiting_since() const;

    std::size_t unacked() const { return unacked_.size(); }
    /// The bytes of the stanzas kept: held against the stream's outbound bound.
    std::size_t unacked_bytes() const { return unacked_bytes_; }
    /// Stanzas sent since <enable/>, modulo 2^32 as the peer counts them.
    std::uint32_t sent_count() const { return static_cast<std::uint32_t>(sent_); }
    /// Hands over what is kept (the stream ends: it bounces them), oldest first.
    std::deque<StanzaPtr> take_unacked();

private:
    bool started_ = false;
    std::deque<StanzaPtr> unacked_;
    std::size_t unacked_bytes_ = 0;
    std::uint32_t acked_h_ = 0;  // the peer's last h
    std::uint64_t sent_ = 0;
    std::uint64_t requested_at_ = 0;  // sent_ when the last <r/> was written
    bool awaiting_ = false;
    Clock::time_point requested_time_;
};

}  // namespace starling
