#include "core/iq_tracker.hpp"

#include <vector>

namespace starling {

std::string IqTracker::track(const Jid& to, std::chrono::steady_clock::time_point deadline,
                             Callback cb) {
    auto id = "st" + std::to_string(++next_id_);
    std::lock_guard lock(mutex_);
    pending_.emplace(id, Pending{to.str(), deadline, std::move(cb)});
    return id;
}

bool IqTracker::complete(const StanzaPtr& reply) {
    Callback callback;
    {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(std::string(reply->id()));
        if (it == pending_.end() || it->second.to != reply->from().str()) return false;
        callback = std::move(it->second.callback);
        pending_.erase(it);
    }
    callback(reply);
    return true;
}

void IqTracker::expire(std::chrono::steady_clock::time_point now) {
    std::vector<Callback> expired;
    {
        std::lock_guard lock(mutex_);
        for (auto it = pending_.begin(); it != pending_.end();) {
            if (it->second.deadline <= now) {
                expired.push_back(std::move(it->second.callback));
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& cb : expired) cb(nullptr);
}

}  // namespace starling
