#pragma once
// The bounded write queue every stream (c2s, component, later s2s) writes through. What is queued
// since the last write goes out in one write: one TLS record, one system call (on a framed
// stream, a WebSocket, one message per entry instead). The queue keeps
// each entry until its bytes are on the wire, so that a stream that dies knows what its peer never
// got and can dispose of it (bounce it, store it, hand it to a resumed stream).
//
// Touched only on its stream's thread. The stream decides what the bound means for it (a client
// that does not read is closed, a component's stanza is bounced): the queue only counts.

#include "core/stanza.hpp"
#include "net/byte_stream.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace starling {

class WriteQueue {
public:
    struct Entry {
        StanzaPtr stanza;    // a routed stanza (its cached bytes are written), or
        std::string text;    // stream-level XML the stream made
        bool owned = false;  // disposed of elsewhere (an extension keeps it, or it was stored
                             // already): never bounce or store it again
        std::size_t size() const { return stanza ? stanza->bytes().size() : text.size(); }
        const std::string& bytes() const { return stanza ? stanza->bytes() : text; }
    };

    /// The stream the queue writes for.
    class Owner {
    public:
        /// Keeps the stream alive while a write waits for the socket.
        virtual std::shared_ptr<void> keep_alive() = 0;
        /// True once the stream may not write any more (closed, or its connection gone).
        virtual bool write_stopped() const = 0;
        /// A write finished; the stream may queue more (it is written next).
        virtual void on_written() = 0;
        /// Everything queued is on the wire and nothing more was queued.
        virtual void on_idle() = 0;
        /// The socket failed.
        virtual void on_write_failed() = 0;

    protected:
        ~Owner() = default;
    };

    WriteQueue(net::ByteStream& socket, Owner& owner) : socket_(socket), owner_(owner) {}

    /// The bound (limits.outbound_queue_bytes), read once when the stream starts.
    void set_limit(std::size_t bytes) { limit_ = bytes; }
    std::size_t limit() const { return limit_; }
    /// Queued bytes and the unwritten rest of the write in progress.
    std::size_t queued_bytes() const { return queued_bytes_; }
    /// True when `more` bytes would take the queue past its bound.
    bool over_limit(std::size_t more) const { return queued_bytes_ + more > limit_; }
    bool empty() const { return queue_.empty() && !writing_; }

    /// Queues an entry behind the others, past the bound too (the stream decides what the
    /// bound means); write() sends it.
    void push(Entry entry) {
        queued_bytes_ += entry.size();
        queue_.push_back(std::move(entry));
    }
    /// Writes what is queued, if no write is in progress.
    void write();

    /// Calls `fn(Entry&, bool queued)` for every entry whose bytes are not all on the wire,
    /// oldest first; `queued` says it is not yet taken into a write (drop_queued can drop it).
    template <class Fn>
    void for_each_unwritten(Fn&& fn) {
        std::size_t written = done_;
        for (auto& entry : in_flight_) {
            const std::size_t size = entry.size();
            const bool on_wire = written >= size;
            written -= std::min(written, size);
            if (!on_wire) fn(entry, false);
        }
        for (auto& entry : queue_) fn(entry, true);
    }
    /// Calls `fn(Entry&)` for every entry, the write in progress included, oldest first.
    template <class Fn>
    void for_each(Fn&& fn) {
        for (auto& entry : in_flight_) fn(entry);
        for (auto& entry : queue_) fn(entry);
    }
    /// Removes the entries not yet taken into a write for which `fn(Entry&)` returns true.
    template <class Fn>
    void drop_queued(Fn&& fn) {
        std::erase_if(queue_, [&](Entry& entry) {
            const std::size_t size = entry.size();
            if (!fn(entry)) return false;
            queued_bytes_ -= size;
            return true;
        });
    }
    /// Forgets everything, the write in progress included, and frees the buffers (the
    /// connection is gone).
    void clear();

private:
    void write_pending();
    void written();

    net::ByteStream& socket_;
    Owner& owner_;
    // Vectors, not deques: an empty vector holds no memory, and most streams are idle.
    std::vector<Entry> queue_;
    std::vector<Entry> in_flight_;  // what the write in progress holds
    std::string joined_;  // in_flight_'s bytes joined, when there are several; freed when idle
    // What the write in progress writes: joined_, or the bytes of in_flight_'s only entry,
    // which are not copied (a room's copy to an idle occupant is one stanza).
    std::string_view writing_bytes_;
    std::size_t done_ = 0;  // how much of writing_bytes_ is written
    std::size_t queued_bytes_ = 0;
    std::size_t limit_ = 0;
    std::uint64_t writes_ = 0;  // writes started, to tell whether on_written() started one
    bool writing_ = false;
};

}  // namespace starling
