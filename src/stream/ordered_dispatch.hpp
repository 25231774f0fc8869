#pragma once
// Hands a stream the stanzas routed to it, on its I/O thread, in the order they were handed
// over. asio::dispatch alone runs a handler at once when called on that thread, ahead of what
// other threads posted before it: a stanza a module held back and let go from the database
// thread, say, followed by the same sender's next stanza routed on the stream's own thread.
// One sender's stanzas would then arrive out of order (docs/routing.md, "Order"). This runs the
// handler at once only when nothing handed over earlier is still queued; otherwise it queues
// behind. Four bytes per stream.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

namespace starling {

class OrderedDispatch {
public:
    /// Runs `handler` on `io`'s thread (each I/O thread runs its own io_context). `handler`
    /// keeps the stream alive (it holds a shared pointer to it), and with it this.
    template <class Handler>
    void operator()(boost::asio::io_context& io, Handler&& handler) {
        if (io.get_executor().running_in_this_thread() && !queued()) return handler();
        queued_.fetch_add(1, std::memory_order_acq_rel);
        boost::asio::post(io, [this, handler = std::forward<Handler>(handler)]() mutable {
            queued_.fetch_sub(1, std::memory_order_acq_rel);
            handler();
        });
    }

    /// True while something handed over is still queued.
    bool queued() const { return queued_.load(std::memory_order_acquire) != 0; }

private:
    std::atomic<std::uint32_t> queued_{0};
};

}  // namespace starling
