#include "stream/write_queue.hpp"

namespace starling {

void WriteQueue::write() {
    if (writing_ || queue_.empty() || owner_.write_stopped()) return;
    writing_ = true;
    ++writes_;
    if (socket_.framed()) {
        // One element per message (RFC 7395): the entries go out one by one.
        in_flight_.push_back(std::move(queue_.front()));
        queue_.erase(queue_.begin());
    } else {
        in_flight_.swap(queue_);
        queue_.clear();
    }
    if (in_flight_.size() == 1) {
        writing_bytes_ = in_flight_.front().bytes();
    } else {
        for (const auto& entry : in_flight_) joined_ += entry.bytes();
        writing_bytes_ = joined_;
    }
    write_pending();
}

void WriteQueue::write_pending() {
    if (owner_.write_stopped()) return;
    while (done_ < writing_bytes_.size()) {
        net::IoStatus status;
        const std::size_t n =
            socket_.write(writing_bytes_.data() + done_, writing_bytes_.size() - done_, status);
        if (status == net::IoStatus::want_read || status == net::IoStatus::want_write) {
            return socket_.async_wait(status,
                                      [this, keep = owner_.keep_alive()](const error_code& ec) {
                                          if (ec) return owner_.on_write_failed();
                                          write_pending();
                                      });
        }
        if (status != net::IoStatus::ok) return owner_.on_write_failed();
        done_ += n;
    }
    written();
}

void WriteQueue::written() {
    queued_bytes_ -= writing_bytes_.size();
    writing_bytes_ = {};
    done_ = 0;
    joined_.clear();
    in_flight_.clear();
    writing_ = false;
    const auto writes = writes_;
    owner_.on_written();
    // What on_written() queued went out in a write of its own, which goes on from here (it
    // may be waiting for the socket, with joined_ and in_flight_ in use).
    if (writes_ != writes) return;
    if (!queue_.empty()) return write();
    // Idle again: the buffers give their memory back.
    std::string().swap(joined_);
    std::vector<Entry>().swap(in_flight_);
    std::vector<Entry>().swap(queue_);
    owner_.on_idle();
}

void WriteQueue::clear() {
    queue_.clear();
    in_flight_.clear();
    std::string().swap(joined_);
    writing_bytes_ = {};
    done_ = 0;
    queued_bytes_ = 0;
    writing_ = false;
}

}  // namespace starling
