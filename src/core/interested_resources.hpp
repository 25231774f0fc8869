#pragma once
// The resources of each user that asked for a list the server keeps for it (the roster, the
// blocklist), and so get a push of every change to it (RFC 6121 §2.1.6, XEP-0191 §3.3); the
// others would not know what a push is a change to.

#include "core/session_manager.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace starling {

class InterestedResources {
public:
    void add(const Jid& full) {
        std::lock_guard lock(mutex_);
        users_[full.bare_str()].insert(full.str());
    }
    void remove(const Jid& full) {
        std::lock_guard lock(mutex_);
        auto found = users_.find(full.bare_str());
        if (found == users_.end()) return;
        found->second.erase(full.str());
        if (found->second.empty()) users_.erase(found);
    }

    /// Delivers a copy of `iq` (an iq set) to each interested resource of `bare`, addressed to
    /// it and with a fresh id.
    void push(SessionManager& sessions, const std::string& bare, const xml::Element& iq) {
        for (const auto& full : of(bare)) {
            auto jid = Jid::parse(full);
            auto session = jid ? sessions.find(*jid) : nullptr;
            if (!session) continue;
            auto copy = iq.clone();
            copy->set_attr("to", full);
            copy->set_attr("id", "push-" + std::to_string(++pushes_));
            session->deliver(make_stanza(std::move(copy)));
        }
    }

private:
    std::vector<std::string> of(const std::string& bare) const {
        std::lock_guard lock(mutex_);
        auto found = users_.find(bare);
        if (found == users_.end()) return {};
        return {found->second.begin(), found->second.end()};
    }

    mutable std::mutex mutex_;
    std::map<std::string, std::set<std::string>> users_;
    std::atomic<std::uint64_t> pushes_ = 0;
};

}  // namespace starling
