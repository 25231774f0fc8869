#include "stream/outgoing_acks.hpp"

#include "stream/handled_counter.hpp"

namespace starling {

void OutgoingAcks::stop() {
    started_ = false;
    awaiting_ = false;
    unacked_.clear();
    unacked_bytes_ = 0;
}

void OutgoingAcks::sent(StanzaPtr stanza) {
    unacked_bytes_ += stanza->bytes().size();
    unacked_.push_back(std::move(stanza));
    ++sent_;
}

bool OutgoingAcks::acknowledged(std::uint32_t h) {
    const auto newly = newly_acknowledged(h, acked_h_, unacked_.size());
    if (!newly) return false;
    for (std::size_t i = 0; i < *newly; ++i) {
        unacked_bytes_ -= unacked_.front()->bytes().size();
        unacked_.pop_front();
    }
    acked_h_ = h;
    // An <a/> answers the outstanding <r/> (an unrequested one says at least as much).
    awaiting_ = false;
    return true;
}

void OutgoingAcks::requested(Clock::time_point now) {
    awaiting_ = true;
    requested_at_ = sent_;
    requested_time_ = now;
}

std::optional<OutgoingAcks::Clock::time_point> OutgoingAcks::awaiting_since() const {
    if (!awaiting_) return std::nullopt;
    return requested_time_;
}

std::deque<StanzaPtr> OutgoingAcks::take_unacked() {
    auto out = std::move(unacked_);
    unacked_.clear();
    unacked_bytes_ = 0;
    return out;
}

}  // namespace starling
