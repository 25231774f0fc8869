#pragma once
// XEP-0198 `h` for stanzas a peer sent (a client, or another server on an incoming s2s stream):
// a count, so it may only cover a contiguous prefix of them. Stanzas finish out of order (one is stored offline, asynchronously, while the next is
// delivered at once); each is numbered when it arrives, and `handled()` advances only over the
// ones whose every predecessor has finished too.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

namespace starling {

class HandledCounter {
public:
    /// Starts counting at `start` (0 for a stream; tests start near 2^32 to see the wrap).
    explicit HandledCounter(std::uint64_t start = 0) : received_(start), handled_(start) {}
    /// Numbers the next stanza the peer sent.
    std::uint64_t arrived() { return received_++; }
    /// Marks stanza `seq` finished (delivered, stored or bounced).
    void finished(std::uint64_t seq) {
        if (seq != handled_) {
            if (seq > handled_) early_.insert(seq);
            return;
        }
        ++handled_;
        while (!early_.empty() && *early_.begin() == handled_) {
            early_.erase(early_.begin());
            ++handled_;
        }
    }
    std::uint64_t received() const { return received_; }
    /// Stanzas that arrived and have not all finished: the most `early_` can hold, so a stream
    /// that bounds this (by pausing its reads) bounds the counter's memory too.
    std::uint64_t unhandled() const { return received_ - handled_; }
    /// How many stanzas, from the first, have all finished.
    std::uint64_t handled() const { return handled_; }
    /// The value of `h` on the wire: the count modulo 2^32 (XEP-0198 §4).
    std::uint32_t h() const { return static_cast<std::uint32_t>(handled_); }

private:
    std::uint64_t received_ = 0;
    std::uint64_t handled_ = 0;
    std::set<std::uint64_t> early_;  // finished, with an unfinished predecessor
};

/// How many queued stanzas an <a h='h'/> acknowledges when the previous one said `last` and
/// `queued` are unacknowledged; nullopt when it acknowledges more than was sent. Counts wrap at
/// 2^32 (XEP-0198 §4), so the difference is taken modulo 2^32.
inline std::optional<std::size_t> newly_acknowledged(std::uint32_t h, std::uint32_t last,
                                                     std::size_t queued) {
    const std::uint32_t newly = h - last;
    if (newly > queued) return std::nullopt;
    return newly;
}

/// The 'h' of an <a/> or <resumed/>: an unsigned 32-bit number, or nullopt when it is missing
/// or not one.
inline std::optional<std::uint32_t> parse_h(std::string_view text) {
    if (text.empty() || text.size() > 10) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > 0xffffffffULL) return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

/// A stream's XEP-0198 receipt (core/events.hpp) for its stanza `seq`: released wherever the
/// stanza ends (delivered to a session's queue, committed to storage, bounced), it tells the
/// counting `Owner` (finished(seq), from any thread) that the stanza is handled. Made in place
/// with make_shared and never copied: a copy's destructor would count the stanza as handled
/// while the original still travels (a temporary passed to make_shared did exactly that, and
/// `h` ran ahead of every commit).
template <class Owner>
class HandledMark {
public:
    HandledMark(std::weak_ptr<Owner> owner, std::uint64_t seq) : owner_(std::move(owner)), seq_(seq) {}
    HandledMark(const HandledMark&) = delete;
    HandledMark& operator=(const HandledMark&) = delete;
    ~HandledMark() {
        if (auto owner = owner_.lock()) owner->finished(seq_);
    }

private:
    std::weak_ptr<Owner> owner_;
    std::uint64_t seq_;
};

}  // namespace starling
