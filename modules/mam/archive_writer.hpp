#pragma once
// The archive's writes, batched and bounded. Every archived message is written twice (the
// sender's and the recipient's copy), so one insert each, even group-committed, made the
// database the bottleneck of a busy server: its queue grew without bound, and the memory with
// it. Here at most one batch is with the database at a time; what arrives meanwhile waits and
// goes as the next batch, one transaction of many rows, issued from the previous batch's
// callback (so Database::idle(), and with it shutdown, waits for the rows still pending).
// Past `max_queued` bytes waiting, the writer closes the server's ingress gate, so client
// streams stop reading until half of it is written: archiving slows senders down rather than
// stalling routing or running out of memory.

#include "core/ingress_gate.hpp"
#include "core/metrics.hpp"
#include "storage/archive_store.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace starling::mam {

class ArchiveWriter : public std::enable_shared_from_this<ArchiveWriter> {
public:
    /// Told of each message that could not be stored.
    using FailureReport = std::function<void(const storage::ArchivedMessage&)>;

    ArchiveWriter(std::shared_ptr<storage::ArchiveStore> store, IngressGate& gate,
                  std::size_t max_queued, Counter& throttled, Counter& failed,
                  FailureReport report);

    /// The row of a message about to be added (storage::ArchiveIds::next_row()); each
    /// reserve() is followed by the add() of that message, at once. Any thread.
    std::int64_t reserve();
    /// Queues the message, with its reserved row, for its archive and returns at once.
    void add(storage::ArchivedMessage message);
    /// Runs `fn` once every message queued before this call is written (or has failed): at
    /// once when none is waiting, else on the database thread. A query goes through here, so a
    /// client that got a message finds it in its archive. Any thread.
    void after_pending(std::function<void()> fn);

private:
    using Batch = std::vector<storage::ArchivedMessage>;

    void write(std::shared_ptr<Batch> batch);
    /// After a batch failed: each row in its own transaction, so that one bad row (an account
    /// deleted meanwhile) does not take the others with it.
    void write_singly(std::shared_ptr<Batch> batch);
    void failed(const storage::ArchivedMessage& message);
    void written(const Batch& batch);
    /// The next batch from the front of pending_ (mutex_ held); null when nothing waits.
    std::shared_ptr<Batch> take();

    std::shared_ptr<storage::ArchiveStore> store_;
    IngressGate& gate_;
    const std::size_t max_queued_;
    Counter& throttled_;
    Counter& failed_;
    FailureReport report_;

    std::mutex mutex_;
    std::deque<storage::ArchivedMessage> pending_;
    std::size_t queued_bytes_ = 0;  // pending and in flight
    std::uint64_t added_ = 0;       // messages ever reserved
    std::uint64_t done_ = 0;        // of them, written or failed
    std::deque<std::pair<std::uint64_t, std::function<void()>>> after_;  // by added_ then
    bool writing_ = false;      // a batch is with the database
    bool gate_closed_ = false;  // by this writer
};

}  // namespace starling::mam
