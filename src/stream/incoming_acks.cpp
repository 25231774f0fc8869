#include "stream/incoming_acks.hpp"

#include "stream/sm_elements.hpp"

namespace starling {

IncomingAcks::IncomingAcks(std::size_t max_unhandled, std::function<void()> wake)
    : max_unhandled_(max_unhandled), wake_(std::move(wake)) {}

Receipt IncomingAcks::arrived() {
    std::uint64_t seq;
    {
        std::lock_guard lock(mutex_);
        seq = counter_.arrived();
        if (counter_.unhandled() >= max_unhandled_) held_ = true;
    }
    return std::make_shared<const HandledMark<IncomingAcks>>(weak_from_this(), seq);
}

void IncomingAcks::finished(std::uint64_t seq) {
    bool wake;
    {
        std::lock_guard lock(mutex_);
        counter_.finished(seq);
        const bool resume = held_ && counter_.unhandled() <= max_unhandled_ / 2;
        if (resume) held_ = false;
        const bool answer = answer_wanted_ && counter_.handled() >= answer_at_;
        if (!resume && !answer) return;
        wake = take_wake();
    }
    if (wake) wake_();
}

void IncomingAcks::requested() {
    bool wake;
    {
        std::lock_guard lock(mutex_);
        answer_wanted_ = true;
        answer_at_ = counter_.received();
        if (counter_.handled() < answer_at_) return;
        wake = take_wake();
    }
    if (wake) wake_();
}

bool IncomingAcks::take_wake() {
    if (wake_pending_) return false;
    wake_pending_ = true;
    return true;
}

std::optional<std::string> IncomingAcks::woken() {
    std::lock_guard lock(mutex_);
    wake_pending_ = false;
    if (!answer_wanted_ || counter_.handled() < answer_at_) return std::nullopt;
    answer_wanted_ = false;
    return sm::ack(counter_.h());
}

bool IncomingAcks::backlogged() const {
    std::lock_guard lock(mutex_);
    return held_;
}

std::uint32_t IncomingAcks::h() const {
    std::lock_guard lock(mutex_);
    return counter_.h();
}

}  // namespace starling
