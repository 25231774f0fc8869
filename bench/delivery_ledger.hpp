#pragma once
// Which (sender, seq) messages arrived, and how often: each worker thread logs its own deliveries
// without locks, and the ledgers are merged once at the end of a run.

#include <cstdint>
#include <vector>

namespace bench {

struct delivery_totals {
    std::uint64_t sent = 0;
    std::uint64_t deliveries = 0;  ///< every delivery, duplicates included
    std::uint64_t unique = 0;      ///< distinct (sender, seq) delivered
    std::uint64_t lost = 0;        ///< sent - unique
    std::uint64_t duplicated = 0;  ///< deliveries of an already delivered (sender, seq)
    std::uint64_t unknown = 0;     ///< deliveries of a (sender, seq) that was never sent
};

class delivery_ledger {
public:
    void record_sent(std::uint32_t sender, std::uint32_t seq);
    void record_delivery(std::uint32_t sender, std::uint32_t seq);
    void merge(delivery_ledger&& other);
    /// Counts from everything recorded (call after the grace period).
    delivery_totals totals() const;

private:
    // Sequence numbers are per sender and dense from 0, so "sent" is one count per sender.
    std::vector<std::uint32_t> sent_per_sender_;
    std::vector<std::uint64_t> deliveries_;  // sender << 32 | seq
};

}  // namespace bench
