#pragma once
// Back-pressure on what clients send. A part of the server whose work queues up faster than it
// can finish it (the archive's database writes) closes the gate; client streams then stop
// reading, so TCP slows their senders, until every part that closed the gate has opened it
// again. Only reading pauses: what is already in flight is still routed and delivered, which
// is what lets the queue drain.

#include "core/metrics.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace starling {

class IngressGate {
public:
    IngressGate() = default;
    /// `closures` counts the times an open gate closes (a nested close() is not one).
    explicit IngressGate(Counter& closures) : closures_(&closures) {}

    /// Closures nest: the gate opens when each close() has had its open(). Any thread.
    void close() {
        std::lock_guard lock(mutex_);
        if (closers_++ == 0 && closures_) closures_->add();
        closed_.store(true, std::memory_order_relaxed);
    }
    /// Runs the callbacks that waited, on this thread. Any thread.
    void open() {
        std::vector<std::function<void()>> waiting;
        {
            std::lock_guard lock(mutex_);
            if (closers_ == 0 || --closers_ > 0) return;
            closed_.store(false, std::memory_order_relaxed);
            waiting.swap(waiting_);
        }
        for (auto& fn : waiting) fn();
    }
    /// The cheap check on every read; when_open() decides under the lock.
    bool closed() const { return closed_.load(std::memory_order_relaxed); }
    /// Runs `fn` once the gate is open: now, on this thread, when it already is; else on the
    /// thread that opens it (so `fn` should only post its work to where it belongs).
    void when_open(std::function<void()> fn) {
        {
            std::lock_guard lock(mutex_);
            if (closers_ > 0) return waiting_.push_back(std::move(fn));
        }
        fn();
    }

private:
    Counter* closures_ = nullptr;
    std::mutex mutex_;
    int closers_ = 0;
    std::atomic<bool> closed_{false};
    std::vector<std::function<void()>> waiting_;
};

}  // namespace starling
