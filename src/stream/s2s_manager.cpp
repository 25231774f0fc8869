#include "stream/s2s_manager.hpp"

#include "core/server.hpp"
#include "stream/s2s_out_session.hpp"

namespace starling {

void S2sManager::send(StanzaPtr stanza) {
    std::pair<std::string, std::string> key{stanza->from().domain(), stanza->to().domain()};
    std::shared_ptr<S2sOutSession> stream;
    bool created = false;
    {
        std::lock_guard lock(mutex_);
        auto& slot = streams_[key];
        if (!slot) {
            // A stream lives on one I/O thread, taken in turn; it is forgotten when it ends (a
            // new one takes the slot only after that).
            slot = std::make_shared<S2sOutSession>(server_, server_.next_io(), key.first,
                                                   key.second, [this, key] {
                                                       std::lock_guard lock(mutex_);
                                                       streams_.erase(key);
                                                   });
            created = true;
        }
        stream = slot;
    }
    stream->deliver(std::move(stanza));
    if (created) stream->start();
}

void S2sManager::close_all() {
    std::map<std::pair<std::string, std::string>, std::shared_ptr<S2sOutSession>> streams;
    {
        std::lock_guard lock(mutex_);
        streams = streams_;
    }
    for (auto& [key, stream] : streams) stream->close("system-shutdown");
}

std::vector<std::shared_ptr<S2sOutSession>> S2sManager::streams() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<S2sOutSession>> out;
    for (const auto& [key, stream] : streams_) out.push_back(stream);
    return out;
}

}  // namespace starling
