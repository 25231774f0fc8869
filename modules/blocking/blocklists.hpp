#pragma once
// The blocklists of the users the server is dealing with, in memory, so that filtering a stanza
// never waits for the database once a list is loaded. One table for every host (a stanza from a
// user of one host to a user of another is checked against both lists), sharded by bare JID so
// that no single mutex sits on the path of every message.

#include "core/stanza.hpp"
#include "storage/blocklist_store.hpp"

#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace starling::blocking {

using JidSet = std::set<std::string, std::less<>>;

/// XEP-0191 §4 (JID matching): `jids` holds `sender` itself, its bare JID, its domain/resource,
/// its domain, or a domain that `sender`'s domain is a subdomain of.
inline bool matches(const JidSet& jids, const Jid& sender) {
    if (jids.empty()) return false;
    if (jids.contains(sender.str()) || jids.contains(sender.bare_str())) return true;
    if (!sender.resource().empty() && jids.contains(sender.domain() + "/" + sender.resource()))
        return true;
    std::string_view domain = sender.domain();
    for (;;) {
        if (jids.contains(domain)) return true;
        const auto dot = domain.find('.');
        if (dot == std::string_view::npos) return false;
        domain.remove_prefix(dot + 1);
    }
}

enum class Answer { no, yes, unknown };

class Blocklists {
public:
    using Clock = std::chrono::steady_clock;

    /// Whether `user` (a bare JID) blocks `other`; unknown until the user's list is loaded.
    Answer blocks(const Jid& user, const Jid& other) {
        auto& shard = shard_of(user.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(user.str());
        if (found == shard.users.end() || !found->second.loaded) return Answer::unknown;
        found->second.used = Clock::now();
        return matches(found->second.jids, other) ? Answer::yes : Answer::no;
    }

    /// Runs `then(true)` once the user's list is loaded (at once when it is), or `then(false)`
    /// when the database could not say; loads it once for any number of waiters.
    void when_loaded(const Jid& user, storage::BlocklistStore& store,
                     std::function<void(bool ok)> then) {
        const std::string key = user.str();
        bool loaded = false;
        {
            auto& shard = shard_of(key);
            std::lock_guard lock(shard.mutex);
            auto& entry = shard.users[key];
            entry.used = Clock::now();
            loaded = entry.loaded;
            if (!loaded) {
                entry.waiting.push_back(std::move(then));
                if (entry.waiting.size() > 1) return;  // a load is already on its way
            }
        }
        if (loaded) return then(true);
        store.list(user.domain(), user.local(),
                   [this, key](bool ok, std::vector<std::string> jids) {
                       std::vector<std::function<void(bool)>> waiting;
                       {
                           auto& shard = shard_of(key);
                           std::lock_guard lock(shard.mutex);
                           auto& entry = shard.users[key];
                           waiting.swap(entry.waiting);
                           if (ok) {
                               entry.loaded = true;
                               entry.jids = JidSet(jids.begin(), jids.end());
                               entry.used = Clock::now();
                           } else {
                               shard.users.erase(key);
                           }
                       }
                       for (auto& then : waiting) then(ok);
                   });
    }

    /// The loaded list of `user` (empty when it is not loaded).
    JidSet list(const Jid& user) {
        auto& shard = shard_of(user.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(user.str());
        return found == shard.users.end() ? JidSet{} : found->second.jids;
    }

    /// Applies a committed change to a loaded list.
    void add(const Jid& user, const std::vector<std::string>& jids) {
        change(user, [&jids](JidSet& set) { set.insert(jids.begin(), jids.end()); });
    }
    void remove(const Jid& user, const std::vector<std::string>& jids) {
        change(user, [&jids](JidSet& set) {
            if (jids.empty()) return set.clear();
            for (const auto& jid : jids) set.erase(jid);
        });
    }

    /// Forgets the lists of users unused since `before` for whom `keep` says no (those with no
    /// session), so that the table holds about the users who are online.
    void sweep(Clock::time_point before, const std::function<bool(const std::string&)>& keep) {
        for (auto& shard : shards_) {
            std::lock_guard lock(shard.mutex);
            std::erase_if(shard.users, [&](const auto& pair) {
                const auto& entry = pair.second;
                return entry.loaded && entry.used < before && !keep(pair.first);
            });
        }
    }

private:
    struct Entry {
        bool loaded = false;
        JidSet jids;
        Clock::time_point used;
        std::vector<std::function<void(bool)>> waiting;
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Entry> users;
    };

    Shard& shard_of(const std::string& key) {
        return shards_[std::hash<std::string>{}(key) % shards_.size()];
    }
    void change(const Jid& user, const std::function<void(JidSet&)>& apply) {
        auto& shard = shard_of(user.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(user.str());
        if (found != shard.users.end() && found->second.loaded) apply(found->second.jids);
    }

    std::array<Shard, 16> shards_;
};

}  // namespace starling::blocking
