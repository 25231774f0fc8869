#pragma once
// Jobs that run one at a time per key, in the order they were given, however long each one waits
// for storage: a job holds its turn (a token) for as long as it keeps the token, and the next job
// of its key starts when the last copy of the token is gone. Any thread.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace starling::presence {

class ItemTurns {
public:
    using Turn = std::shared_ptr<void>;
    using Job = std::function<void(Turn)>;

    /// Runs `job` now if no job of `key` holds its turn, else once the jobs before it are done.
    void take(const std::string& key, Job job) {
        {
            std::lock_guard lock(mutex_);
            auto& queue = queues_[key];
            queue.push_back(std::move(job));
            if (queue.size() > 1) return;
        }
        start(key);
    }

private:
    void start(const std::string& key) {
        Job job;
        {
            std::lock_guard lock(mutex_);
            job = queues_.at(key).front();
        }
        job(Turn(nullptr, [this, key](void*) { done(key); }));
    }

    void done(const std::string& key) {
        {
            std::lock_guard lock(mutex_);
            auto it = queues_.find(key);
            it->second.pop_front();
            if (it->second.empty()) {
                queues_.erase(it);
                return;
            }
        }
        start(key);
    }

    std::mutex mutex_;
    std::map<std::string, std::deque<Job>> queues_;  // the job holding the turn first
};

}  // namespace starling::presence
