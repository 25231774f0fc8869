#include "bench/delivery_ledger.hpp"

#include <algorithm>

namespace bench {

void delivery_ledger::record_sent(std::uint32_t sender, std::uint32_t seq) {
    if (sender >= sent_per_sender_.size()) sent_per_sender_.resize(sender + 1, 0);
    sent_per_sender_[sender] = std::max(sent_per_sender_[sender], seq + 1);
}

void delivery_ledger::record_delivery(std::uint32_t sender, std::uint32_t seq) {
    deliveries_.push_back(std::uint64_t{sender} << 32 | seq);
}

void delivery_ledger::merge(delivery_ledger&& other) {
    if (other.sent_per_sender_.size() > sent_per_sender_.size())
        sent_per_sender_.resize(other.sent_per_sender_.size(), 0);
    for (std::size_t i = 0; i < other.sent_per_sender_.size(); ++i)
        sent_per_sender_[i] = std::max(sent_per_sender_[i], other.sent_per_sender_[i]);
    deliveries_.insert(deliveries_.end(), other.deliveries_.begin(), other.deliveries_.end());
    other = delivery_ledger();
}

delivery_totals delivery_ledger::totals() const {
    delivery_totals t;
    for (auto count : sent_per_sender_) t.sent += count;
    auto sorted = deliveries_;
    std::sort(sorted.begin(), sorted.end());
    t.deliveries = sorted.size();
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (i > 0 && sorted[i] == sorted[i - 1]) {
            ++t.duplicated;
            continue;
        }
        const auto sender = static_cast<std::uint32_t>(sorted[i] >> 32);
        const auto seq = static_cast<std::uint32_t>(sorted[i]);
        if (sender < sent_per_sender_.size() && seq < sent_per_sender_[sender])
            ++t.unique;
        else
            ++t.unknown;
    }
    t.lost = t.sent - t.unique;
    return t;
}

}  // namespace bench
