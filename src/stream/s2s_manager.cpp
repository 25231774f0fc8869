#include "stream/s2s_manager.hpp"

#include "core/server.hpp"
#include "stream/s2s_out_session.hpp"
#include "stream/scram_crypto.hpp"

namespace starling {

S2sManager::S2sManager(Server& server)
    : server_(server), dialback_secret_(sasl::to_hex(sasl::random_bytes(32))) {}

std::shared_ptr<S2sOutSession> S2sManager::stream_for(const std::string& local,
                                                      const std::string& remote, bool& created) {
    std::pair<std::string, std::string> key{local, remote};
    std::lock_guard lock(mutex_);
    auto& slot = streams_[key];
    created = !slot;
    if (created) {
        // A stream lives on one I/O thread, taken in turn; it is forgotten when it ends (a new
        // one takes the slot only after that).
        slot =
            std::make_shared<S2sOutSession>(server_, server_.next_io(), local, remote, [this, key] {
                std::lock_guard lock(mutex_);
                streams_.erase(key);
            });
    }
    return slot;
}

void S2sManager::send(StanzaPtr stanza) {
    bool created = false;
    auto stream = stream_for(stanza->from().domain(), stanza->to().domain(), created);
    stream->deliver(std::move(stanza));
    if (created) stream->start();
}

void S2sManager::verify(const std::string& local, const std::string& remote, std::string stream_id,
                        std::string key, std::function<void(dialback::Verdict)> done) {
    bool created = false;
    auto stream = stream_for(local, remote, created);
    stream->verify(std::move(stream_id), std::move(key), std::move(done));
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
