#pragma once
// What a message-based transport (a WebSocket message, a BOSH request's payloads) has for the
// stream's reader: bytes handed out in order, the memory given back as soon as all are read, so
// that an idle connection holds none.

#include <algorithm>
#include <cstring>
#include <string>

namespace starling::net {

class InputBuffer {
public:
    bool empty() const { return pos_ == bytes_.size(); }
    /// Adds `bytes`, taken over when nothing is held (a translated message, without a copy).
    void append(std::string bytes) {
        if (empty()) {
            bytes_ = std::move(bytes);
            pos_ = 0;
        } else {
            bytes_ += bytes;
        }
    }

    /// Copies up to `size` bytes out; returns how many.
    std::size_t take(char* data, std::size_t size) {
        const std::size_t n = std::min(size, bytes_.size() - pos_);
        std::memcpy(data, bytes_.data() + pos_, n);
        pos_ += n;
        if (empty()) {
            std::string().swap(bytes_);
            pos_ = 0;
        }
        return n;
    }

private:
    std::string bytes_;
    std::size_t pos_ = 0;
};

}  // namespace starling::net
