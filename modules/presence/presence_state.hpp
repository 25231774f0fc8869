#pragma once
// The presence the server holds for each available resource: its last broadcast presence and
// the entities it sent directed presence to (RFC 6121 §4.6), which get its unavailable.

#include "core/stanza.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace starling::presence {

struct ResourcePresence {
    StanzaPtr last;                  // the last available presence it broadcast
    std::set<std::string> directed;  // JIDs it sent directed available presence to
};

class PresenceState {
public:
    /// Records a broadcast available presence; true when it is the resource's first.
    bool set_available(const Jid& full, StanzaPtr presence) {
        std::lock_guard lock(mutex_);
        auto& resources = users_[full.bare_str()];
        auto [entry, added] = resources.try_emplace(full.str());
        entry->second.last = std::move(presence);
        return added;
    }
    /// Forgets the resource; what it had, if it was available.
    std::optional<ResourcePresence> remove(const Jid& full) {
        std::lock_guard lock(mutex_);
        auto user = users_.find(full.bare_str());
        if (user == users_.end()) return std::nullopt;
        auto entry = user->second.find(full.str());
        if (entry == user->second.end()) return std::nullopt;
        ResourcePresence gone = std::move(entry->second);
        user->second.erase(entry);
        if (user->second.empty()) users_.erase(user);
        return gone;
    }
    void directed(const Jid& full, const std::string& to, bool available) {
        std::lock_guard lock(mutex_);
        auto user = users_.find(full.bare_str());
        if (user == users_.end()) return;
        auto entry = user->second.find(full.str());
        if (entry == user->second.end()) return;
        if (available)
            entry->second.directed.insert(to);
        else
            entry->second.directed.erase(to);
    }
    /// The last presence of each available resource of the user.
    std::vector<StanzaPtr> available(const std::string& bare) const {
        std::lock_guard lock(mutex_);
        std::vector<StanzaPtr> out;
        auto user = users_.find(bare);
        if (user == users_.end()) return out;
        for (const auto& [full, entry] : user->second) out.push_back(entry.last);
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::map<std::string, ResourcePresence>> users_;
};

}  // namespace starling::presence
