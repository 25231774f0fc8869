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

// What a queued message holds in memory, near enough.
std::size_t bytes_of(const storage::ArchivedMessage& m) {
    return sizeof m + m.host.size() + m.user.size() + m.archive_id.size() + m.with_bare.size() +
           m.with_resource.size() + m.stanza.size();
}

}  // namespace

ArchiveWriter::ArchiveWriter(std::shared_ptr<storage::ArchiveStore> store, IngressGate& gate,
                             std::size_t max_queued, Counter& throttled, Counter& failed,
                             FailureReport report)
    : store_(std::move(store)),
      gate_(gate),
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
            gate_.close();
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
    store_->append(*batch, [self = shared_from_this(), batch](bool ok) {
        if (ok) return self->written(*batch);
        if (batch->size() > 1) return self->write_singly(batch);
        self->failed(batch->front());
        self->written(*batch);
    });
}

void ArchiveWriter::write_singly(std::shared_ptr<Batch> batch) {
    auto left = std::make_shared<std::atomic<std::size_t>>(batch->size());
    for (std::size_t i = 0; i < batch->size(); ++i)
        store_->append({(*batch)[i]}, [self = shared_from_this(), batch, left, i](bool ok) {
            if (!ok) self->failed((*batch)[i]);
            if (left->fetch_sub(1) == 1) self->written(*batch);
        });
}

void ArchiveWriter::failed(const storage::ArchivedMessage& message) {
    failed_.add();
    report_(message);
}

void ArchiveWriter::written(const Batch& batch) {
    bool open = false;
    std::shared_ptr<Batch> next;
    std::vector<std::function<void()>> due;
    {
        std::lock_guard lock(mutex_);
        for (const auto& message : batch) queued_bytes_ -= bytes_of(message);
        done_ += batch.size();
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
    if (open) gate_.open();
    for (auto& fn : due) fn();
    if (next) write(std::move(next));
}

}  // namespace starling::mam
