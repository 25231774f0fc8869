#pragma once
// The messages on their way to an account's offline storage (docs/routing.md, "Order"). The
// router counts each from the moment it finds no session to take it until the message_offline
// handlers are done with it (stored, or bounced); a session coming online fetches the stored
// messages only once none is on its way, so that the fetch sees every message sent before the
// session became available, and none stays behind in storage overtaken by live ones.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace starling {

/// Made with std::make_shared: a handle keeps it alive.
class OfflineFlows : public std::enable_shared_from_this<OfflineFlows> {
public:
    /// Counts one message on its way to `bare`'s storage until the handle is released.
    std::shared_ptr<const void> enter(const std::string& bare) {
        {
            std::lock_guard lock(mutex_);
            ++flows_[bare].in_flight;
        }
        return std::shared_ptr<const void>(
            this, [self = shared_from_this(), bare](const void*) { self->leave(bare); });
    }

    /// Runs `then` once no message is on its way to `bare`'s storage: at once, on this thread,
    /// when none is; otherwise on the thread that finishes the last one.
    void when_settled(const std::string& bare, std::function<void()> then) {
        {
            std::lock_guard lock(mutex_);
            auto found = flows_.find(bare);
            if (found != flows_.end()) return found->second.waiting.push_back(std::move(then));
        }
        then();
    }

private:
    struct Flow {
        int in_flight = 0;
        std::vector<std::function<void()>> waiting;
    };

    void leave(const std::string& bare) {
        std::vector<std::function<void()>> waiting;
        {
            std::lock_guard lock(mutex_);
            auto found = flows_.find(bare);
            if (found == flows_.end() || --found->second.in_flight > 0) return;
            waiting = std::move(found->second.waiting);
            flows_.erase(found);
        }
        for (auto& then : waiting) then();
    }

    std::mutex mutex_;
    std::unordered_map<std::string, Flow> flows_;
};

}  // namespace starling
