#include "stream/s2s_manager.hpp"

#include "core/server.hpp"
#include "stream/s2s_in_session.hpp"
#include "stream/s2s_out_session.hpp"
#include "stream/scram_crypto.hpp"
#include "stream/write_queue.hpp"

#include <set>

namespace starling {

S2sManager::S2sManager(Server& server)
    : server_(server), dialback_secret_(sasl::to_hex(sasl::random_bytes(32))) {}

std::shared_ptr<S2sOutSession> S2sManager::stream_for(const std::string& local,
                                                      const std::string& remote, bool& created) {
    std::pair<std::string, std::string> key{local, remote};
    const auto cap = server_.config()->s2s.max_outgoing_streams;
    std::lock_guard lock(mutex_);
    if (const auto it = streams_.find(key); it != streams_.end()) {
        created = false;
        return it->second;
    }
    // XEP-0220 §8.3: a stream from another of our domains to `remote` may carry this one too,
    // where the peer takes dialback; looked for once per pair, not per stanza.
    for (const auto& [pair, stream] : streams_)
        if (pair.second == remote && stream->carries_sender(local)) {
            created = false;
            streams_.emplace(key, stream);
            return stream;
        }
    if (streams_.size() >= cap) return nullptr;
    created = true;
    // A stream lives on one I/O thread, taken in turn; it is forgotten when it ends (a new one
    // takes the slot only after that), under each pair it carries.
    auto self = std::make_shared<const S2sOutSession*>(nullptr);
    auto stream =
        std::make_shared<S2sOutSession>(server_, server_.next_io(), local, remote, [this, self] {
            std::lock_guard lock(mutex_);
            std::erase_if(streams_, [&](const auto& entry) { return entry.second.get() == *self; });
        });
    *self = stream.get();
    streams_.emplace(key, stream);
    return stream;
}

void S2sManager::send(StanzaPtr stanza) {
    const auto& remote = stanza->to().domain();
    if (!server_.config()->s2s.federates_with(remote))
        return server_.router().bounce(nullptr, *stanza, "cancel", "policy-violation",
                                       "this server does not federate with " + remote);
    const auto& local = stanza->from().domain();
    if (auto incoming = route_for(local, remote)) return incoming->deliver(std::move(stanza));
    bool created = false;
    auto stream = stream_for(local, remote, created);
    if (!stream)
        return server_.router().bounce(nullptr, *stanza, "wait", "resource-constraint",
                                       "too many server-to-server streams are open");
    stream->deliver(std::move(stanza));
    if (created) stream->start();
}

void S2sManager::forget(const std::string& local, const std::string& remote,
                        const S2sOutSession* stream) {
    std::lock_guard lock(mutex_);
    if (const auto it = streams_.find({local, remote});
        it != streams_.end() && it->second.get() == stream)
        streams_.erase(it);
}

std::shared_ptr<S2sInSession> S2sManager::route_for(const std::string& local,
                                                   const std::string& remote) {
    const std::pair<std::string, std::string> key{local, remote};
    std::lock_guard lock(mutex_);
    // An outgoing stream already in use keeps the pair, so that stanzas stay in order.
    if (streams_.count(key)) return nullptr;
    const auto it = routes_.find(key);
    return it == routes_.end() ? nullptr : it->second.lock();
}

void S2sManager::add_route(const std::string& local, const std::string& remote,
                           const std::shared_ptr<S2sInSession>& stream) {
    std::lock_guard lock(mutex_);
    routes_[{local, remote}] = stream;
}

void S2sManager::remove_routes(const S2sInSession* stream) {
    std::lock_guard lock(mutex_);
    std::erase_if(routes_, [stream](const auto& route) {
        const auto carrier = route.second.lock();
        return !carrier || carrier.get() == stream;
    });
}

void S2sManager::verify(const std::string& local, const std::string& remote, std::string stream_id,
                        std::string key, std::function<void(dialback::Verdict)> done) {
    bool created = false;
    auto stream = stream_for(local, remote, created);
    if (!stream) return done(dialback::Verdict::error("resource-constraint"));
    stream->verify(local, std::move(stream_id), std::move(key), std::move(done));
    if (created) stream->start();
}

void S2sManager::bounce_unwritten(WriteQueue& out, std::string_view condition,
                                  const std::string& text) {
    const std::string type = condition == "remote-server-timeout" ? "wait" : "cancel";
    out.for_each_unwritten([&](WriteQueue::Entry& entry, bool) {
        if (entry.stanza && !entry.owned)
            server_.router().bounce(nullptr, *entry.stanza, type, std::string(condition), text);
    });
    out.clear();
}

bool S2sManager::take_incoming(const std::string& domain) {
    const int rate = server_.config()->s2s.stanza_rate;
    if (rate == 0) return true;
    std::lock_guard lock(rate_mutex_);
    if (!incoming_rate_ || rate != rate_) {
        incoming_rate_ = std::make_unique<RateLimit>(rate, std::chrono::seconds(1));
        rate_ = rate;
    }
    const auto now = RateLimit::clock::now();
    if (!incoming_rate_->allows(domain, now)) return false;
    incoming_rate_->take(domain, now);
    return true;
}

void S2sManager::close_all() {
    for (const auto& stream : streams()) stream->close("system-shutdown");
}

std::vector<std::shared_ptr<S2sOutSession>> S2sManager::streams() const {
    std::lock_guard lock(mutex_);
    // A stream that carries several pairs is listed once.
    std::set<const S2sOutSession*> seen;
    std::vector<std::shared_ptr<S2sOutSession>> out;
    for (const auto& [key, stream] : streams_)
        if (seen.insert(stream.get()).second) out.push_back(stream);
    return out;
}

}  // namespace starling
