#pragma once
// XEP-0198 on the receiving end of a stream whose peer enabled it (an incoming server-to-server
// stream): numbers each stanza the peer sends and gives it a Receipt (core/events.hpp), which
// marks the stanza handled when its last copy is released, that is once it is delivered,
// committed to storage or bounced. The peer's <r/> is answered with an <a/> counting only such
// stanzas (HandledCounter), so an acknowledgement is a promise that survives a crash.
//
// Receipts are released on any thread (a storage callback); everything else runs on the
// stream's thread. When the stream has something to do, an <a/> became due or the backlog of
// unhandled stanzas shrank, `wake` is called, once until the stream calls woken(): it must post
// to the stream's thread, which then calls woken().

#include "core/events.hpp"
#include "stream/handled_counter.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace starling {

class IncomingAcks : public std::enable_shared_from_this<IncomingAcks> {
public:
    /// Reading pauses once `max_unhandled` stanzas wait to be handled, and goes on when half of
    /// them are: that bounds the counter's bookkeeping and what one peer keeps in flight.
    IncomingAcks(std::size_t max_unhandled, std::function<void()> wake);

    /// Numbers the next stanza the peer sent; hold the receipt while it is routed.
    Receipt arrived();
    /// The peer sent <r/>. Answered through wake/woken, so that many <r/> in one read get one
    /// <a/>, and only once everything sent before them is handled (XEP-0198 §4: an <a/> that
    /// says less would make the peer ask again, or bounce what is stored).
    void requested();
    /// On the stream's thread, after `wake`: the <a/> to write, if one is due.
    std::optional<std::string> woken();
    /// True while reading should pause: too many stanzas are unhandled.
    bool backlogged() const;
    /// The current count, for the final <a/> before the stream closes.
    std::uint32_t h() const;

private:
    /// Stanza `seq` is handled (its receipt was released). Any thread.
    void finished(std::uint64_t seq);
    /// Under mutex_: whether `wake` must be called now (and notes that it was).
    bool take_wake();

    friend class HandledMark<IncomingAcks>;

    const std::size_t max_unhandled_;
    const std::function<void()> wake_;
    mutable std::mutex mutex_;
    HandledCounter counter_;
    bool answer_wanted_ = false;  // an <r/> waits for every stanza before it to be handled
    std::uint64_t answer_at_ = 0;
    bool held_ = false;           // reading paused for the backlog
    bool wake_pending_ = false;   // `wake` was called and woken() has not run yet
};

}  // namespace starling
