#pragma once
// The archive's writes, batched and bounded. Every archived message is written twice (the
// sender's and the recipient's copy), so one insert each, even group-committed, made the
// database the bottleneck of a busy server: its queue grew without bound, and the memory with
// it. Here at most one batch is with the database at a time; what arrives meanwhile waits and
// goes as the next batch, one transaction of many rows, issued from the previous batch's
// callback (so Database::idle(), and with it shutdown, waits for the rows still pending).
// Past `max_queued` bytes waiting, the writer closes the server's ingress gate, so client
// streams stop reading until half of it is written: archiving slows senders down rather than
// stalling routing or running out of memory. A batch that could not reach the database (a
// restart, a lost connection) is written again after a pause that grows while it keeps
// failing, with the gate closed meanwhile; only a row the database refuses is lost (and
// reported), or, at shutdown, what still waits for a database that is not there.

#include "core/ingress_gate.hpp"
#include "core/metrics.hpp"
#include "storage/archive_store.hpp"

#include <chrono>
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
    /// Runs a function once, after a delay, on some thread that may call into storage.
    using Scheduler = std::function<void(std::chrono::milliseconds, std::function<void()>)>;
    /// What the writer needs of the server: where to wait before a retry, and whether the
    /// server is shutting down (then nothing is retried: it would outlive the process).
    struct Server {
        IngressGate& gate;
        Scheduler later;
        std::function<bool()> stopping;
    };

    ArchiveWriter(std::shared_ptr<storage::ArchiveStore> store, Server server,
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
    /// Messages reserved and not yet written (or failed): the depth of the queue, waiting or
    /// with the database. Any thread; takes the writer's lock briefly.
    std::uint64_t queued();

private:
    using Batch = std::vector<storage::ArchivedMessage>;

    void write(std::shared_ptr<Batch> batch);
    /// After the database refused a batch: each row in its own transaction, so that one bad
    /// row (an account deleted meanwhile) does not take the others with it.
    void write_singly(std::shared_ptr<Batch> batch);
    /// After the database could not be reached: the rows of `batch` not yet written go again,
    /// first, after a pause.
    void retry_later(std::shared_ptr<Batch> batch);
    void failed(const storage::ArchivedMessage& message);
    /// `count` rows from the front of the queue are done with (written, refused or given up).
    void written(std::size_t bytes, std::size_t count);
    /// The next batch from the front of pending_ (mutex_ held); null when nothing waits.
    std::shared_ptr<Batch> take();

    std::shared_ptr<storage::ArchiveStore> store_;
    Server server_;
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
    bool writing_ = false;      // a batch is with the database, or waits to go again
    bool gate_closed_ = false;  // by this writer, for what is queued
    // Waiting to retry (only one batch is ever in flight, so only its callbacks touch these).
    std::chrono::milliseconds retry_pause_{0};  // 0 while the database answers
    bool gate_closed_for_retry_ = false;
};

}  // namespace starling::mam
