#include "archive_writer.hpp"

#include <atomic>
#include <utility>

namespace starling::mam {

namespace {

// A batch is one transaction, and it is only as big as what queued while the previous one was
// written: small while the database keeps up. When it does not, big batches are what let it
// catch up: each row also goes into two per-user indexes, so a batch that holds several rows of
// each user rewrites each of those index pages once for all of them (on a bench archive of a
// million rows, 2,048-row batches under an 8 MiB bound sustained 7,150 messages a second;
// 16,384-row batches under 32 MiB, 10,650 to 11,500). Other work then waits behind a batch for
// up to about half a second, but only while the archive is already behind.
constexpr std::size_t max_batch_rows = 16384;
constexpr std::size_t max_batch_bytes = 16 << 20;

// The pause before a batch that could not reach the database goes again: short at first (a
// dropped connection is back at once), doubling up to a few seconds (a database restarting).
constexpr std::chrono::milliseconds first_retry_pause{50};
constexpr std::chrono::milliseconds max_retry_pause{4000};

// What a queued message holds in memory, near enough.
std::size_t bytes_of(const storage::ArchivedMessage& m) {
    return sizeof m + m.host.size() + m.user.size() + m.archive_id.size() + m.with_bare.size() +
           m.with_resource.size() + m.stanza.size();
}

std::size_t bytes_of(const std::vector<storage::ArchivedMessage>& batch) {
    std::size_t bytes = 0;
    for (const auto& message : batch) bytes += bytes_of(message);
    return bytes;
}

}  // namespace

ArchiveWriter::ArchiveWriter(std::shared_ptr<storage::ArchiveStore> store, Server server,
                             std::size_t max_queued, Counter& throttled, Counter& failed,
                             FailureReport report)
    : store_(std::move(store)),
      server_(std::move(server)),
      max_queued_(max_queued),
      throttled_(throttled),
      failed_(failed),
      report_(std::move(report)) {}

void ArchiveWriter::add(storage::ArchivedMessage message) {
    std::shared_ptr<Batch> batch;
    {
        std::lock_guard lock(mutex_);
        queued_bytes_ += bytes_of(message);
        pending_.push_back(std::move(message));
        if (!gate_closed_ && queued_bytes_ > max_queued_) {
            gate_closed_ = true;
            server_.gate.close();
            throttled_.add();
        }
        if (writing_) return;
        writing_ = true;
        batch = take();
    }
    write(std::move(batch));
}

std::int64_t ArchiveWriter::reserve() {
    // Under the lock, so that a query that comes after it waits for this message too.
    std::lock_guard lock(mutex_);
    ++added_;
    return storage::ArchiveIds::next_row();
}

void ArchiveWriter::after_pending(std::function<void()> fn) {
    {
        std::lock_guard lock(mutex_);
        if (done_ < added_) {
            after_.emplace_back(added_, std::move(fn));
            return;
        }
    }
    fn();
}

std::uint64_t ArchiveWriter::queued() {
    std::lock_guard lock(mutex_);
    return added_ - done_;
}

std::shared_ptr<ArchiveWriter::Batch> ArchiveWriter::take() {
    if (pending_.empty()) return nullptr;
    auto batch = std::make_shared<Batch>();
    std::size_t bytes = 0;
    while (!pending_.empty() && batch->size() < max_batch_rows && bytes < max_batch_bytes) {
        bytes += bytes_of(pending_.front());
        batch->push_back(std::move(pending_.front()));
        pending_.pop_front();
    }
    return batch;
}

void ArchiveWriter::write(std::shared_ptr<Batch> batch) {
    store_->append(*batch, [self = shared_from_this(), batch](storage::WriteStatus status) {
        switch (status) {
            case storage::WriteStatus::committed:
                return self->written(bytes_of(*batch), batch->size());
            case storage::WriteStatus::unavailable:
                return self->retry_later(batch);
            case storage::WriteStatus::refused:
                if (batch->size() > 1) return self->write_singly(batch);
                self->failed(batch->front());
                return self->written(bytes_of(*batch), batch->size());
        }
    });
}

void ArchiveWriter::write_singly(std::shared_ptr<Batch> batch) {
    struct Outcome {
        std::vector<storage::WriteStatus> status;
        std::atomic<std::size_t> left;
    };
    auto outcome = std::make_shared<Outcome>();
    outcome->status.resize(batch->size());
    outcome->left = batch->size();
    for (std::size_t i = 0; i < batch->size(); ++i)
        store_->append({(*batch)[i]},
                       [self = shared_from_this(), batch, outcome, i](storage::WriteStatus status) {
                           outcome->status[i] = status;
                           if (outcome->left.fetch_sub(1) != 1) return;
                           // Should the database have gone meanwhile, the whole batch goes again:
                           // the rows already written are written again as nothing (append() is
                           // idempotent), and a row refused now is refused, and reported, then.
                           for (const auto each : outcome->status)
                               if (each == storage::WriteStatus::unavailable)
                                   return self->retry_later(batch);
                           for (std::size_t j = 0; j < batch->size(); ++j)
                               if (outcome->status[j] == storage::WriteStatus::refused)
                                   self->failed((*batch)[j]);
                           self->written(bytes_of(*batch), batch->size());
                       });
}

void ArchiveWriter::retry_later(std::shared_ptr<Batch> batch) {
    if (server_.stopping()) {
        // The process is ending and the database is not there: what waits is lost, and said.
        for (const auto& message : *batch) failed(message);
        return written(bytes_of(*batch), batch->size());
    }
    retry_pause_ =
        retry_pause_.count() == 0 ? first_retry_pause : std::min(2 * retry_pause_, max_retry_pause);
    if (!gate_closed_for_retry_) {
        // Nothing gets written until the database is back: clients stop sending meanwhile.
        gate_closed_for_retry_ = true;
        server_.gate.close();
        throttled_.add();
    }
    server_.later(retry_pause_, [self = shared_from_this(), batch] { self->write(batch); });
}

void ArchiveWriter::failed(const storage::ArchivedMessage& message) {
    failed_.add();
    report_(message);
}

void ArchiveWriter::written(std::size_t bytes, std::size_t count) {
    if (gate_closed_for_retry_) {
        gate_closed_for_retry_ = false;
        server_.gate.open();
    }
    retry_pause_ = std::chrono::milliseconds(0);
    bool open = false;
    std::shared_ptr<Batch> next;
    std::vector<std::function<void()>> due;
    {
        std::lock_guard lock(mutex_);
        queued_bytes_ -= bytes;
        done_ += count;
        while (!after_.empty() && after_.front().first <= done_) {
            due.push_back(std::move(after_.front().second));
            after_.pop_front();
        }
        if (gate_closed_ && queued_bytes_ <= max_queued_ / 2) {
            gate_closed_ = false;
            open = true;
        }
        next = take();
        writing_ = next != nullptr;
    }
    if (open) server_.gate.open();
    for (auto& fn : due) fn();
    if (next) write(std::move(next));
}

}  // namespace starling::mam
