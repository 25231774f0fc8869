#pragma once
// Failed-authentication throttling: at most `limit` failures per key (an IP, an account) per
// window; past it further attempts are refused until the window moves on. The same counting
// limits work that is asked for asynchronously (accounts registered per IP): such a request
// reserves its event before the work starts, so requests in flight at once all count.

#include <chrono>
#include <deque>
#include <memory>
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
    /// True when `key` has used up its failures in the current window (reserved ones included).
    bool blocked(const std::string& key, clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        return used(key, now) >= limit_;
    }
    void record_failure(const std::string& key, clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        auto& list = failures_[key];
        prune(list, now);
        list.push_back(now);
    }

    /// Takes one event of `key` for work that has not happened yet: until it is committed or
    /// released it counts against the limit, so that a thousand requests pipelined before the
    /// first one's work is done cannot each find room. False, and nothing taken, when the key
    /// has used up its limit.
    bool reserve(const std::string& key, clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        if (used(key, now) >= limit_) return false;
        ++reserved_[key];
        return true;
    }
    /// The reserved work happened: the event is recorded at `now`.
    void commit(const std::string& key, clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        give_back(key);
        auto& list = failures_[key];
        prune(list, now);
        list.push_back(now);
    }
    /// The reserved work did not happen: the event is given back.
    void release(const std::string& key) {
        std::lock_guard lock(mutex_);
        give_back(key);
    }

private:
    int used(const std::string& key, clock::time_point now) {
        int count = 0;
        if (auto it = reserved_.find(key); it != reserved_.end()) count += it->second;
        auto it = failures_.find(key);
        if (it == failures_.end()) return count;
        prune(it->second, now);
        if (it->second.empty()) {
            failures_.erase(it);
            return count;
        }
        return count + static_cast<int>(it->second.size());
    }
    void give_back(const std::string& key) {
        auto it = reserved_.find(key);
        if (it != reserved_.end() && --it->second == 0) reserved_.erase(it);
    }
    void prune(std::deque<clock::time_point>& list, clock::time_point now) const {
        while (!list.empty() && now - list.front() >= window_) list.pop_front();
    }

    std::mutex mutex_;
    int limit_ = 5;
    std::chrono::seconds window_{60};
    std::unordered_map<std::string, std::deque<clock::time_point>> failures_;
    std::unordered_map<std::string, int> reserved_;
};

/// One event reserved by one request (Throttle::reserve), carried by the request's callbacks:
/// commit() records it once the work is done; destroyed uncommitted (the work failed, or its
/// callback was dropped) it is given back.
class ThrottleReservation {
public:
    /// Reserves an event of `key` on `throttle`; null when the key has used up its limit.
    static std::shared_ptr<ThrottleReservation> take(std::shared_ptr<Throttle> throttle,
                                                     std::string key) {
        if (!throttle->reserve(key)) return nullptr;
        return std::shared_ptr<ThrottleReservation>(
            new ThrottleReservation(std::move(throttle), std::move(key)));
    }
    ~ThrottleReservation() {
        if (throttle_) throttle_->release(key_);
    }
    ThrottleReservation(const ThrottleReservation&) = delete;
    ThrottleReservation& operator=(const ThrottleReservation&) = delete;

    void commit() {
        if (!throttle_) return;
        throttle_->commit(key_);
        throttle_.reset();
    }

private:
    ThrottleReservation(std::shared_ptr<Throttle> throttle, std::string key)
        : throttle_(std::move(throttle)), key_(std::move(key)) {}

    std::shared_ptr<Throttle> throttle_;
    std::string key_;
};

}  // namespace starling
