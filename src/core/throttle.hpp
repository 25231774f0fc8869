#pragma once
// Failed-authentication throttling: at most `limit` failures per key (an IP, an account) per
// window; past it further attempts are refused until the window moves on.

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace starling {

class Throttle {
public:
    using clock = std::chrono::steady_clock;

    void set_limit(int failures, std::chrono::seconds window) {
        std::lock_guard lock(mutex_);
        limit_ = failures;
        window_ = window;
    }
    /// True when `key` has used up its failures in the current window.
    bool blocked(const std::string& key, clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        auto it = failures_.find(key);
        if (it == failures_.end()) return false;
        prune(it->second, now);
        if (it->second.empty()) {
            failures_.erase(it);
            return false;
        }
        return static_cast<int>(it->second.size()) >= limit_;
    }
    void record_failure(const std::string& key, clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        auto& list = failures_[key];
        prune(list, now);
        list.push_back(now);
    }

private:
    void prune(std::deque<clock::time_point>& list, clock::time_point now) const {
        while (!list.empty() && now - list.front() >= window_) list.pop_front();
    }

    std::mutex mutex_;
    int limit_ = 5;
    std::chrono::seconds window_{60};
    std::unordered_map<std::string, std::deque<clock::time_point>> failures_;
};

}  // namespace starling
