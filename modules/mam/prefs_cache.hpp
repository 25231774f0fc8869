#pragma once
// The archiving preferences (XEP-0441) of the users the server is dealing with, in memory, so
// that deciding whether to archive a message never waits for the database once they are loaded:
// the stored prefs (or the configured default), and for default='roster' the user's contacts.
// Sharded by bare JID so that no single mutex sits on the path of every message.
//
// A load can still be in flight when the module is unloaded (a reload), so the cache lives in a
// shared_ptr that the loads capture, and it shares the stores it reads.

#include "core/stanza.hpp"
#include "storage/archive_store.hpp"
#include "storage/roster_store.hpp"

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace starling::mam {

enum class Decision { archive, skip, unknown };

/// XEP-0441 §2.3: a listed full JID matches exactly, a listed bare JID (or domain) matches any
/// resource of it. 'never' wins over 'always'; the default decides for anyone else.
inline Decision decide(const storage::ArchivePrefs& prefs, const std::set<std::string>& roster,
                       const Jid& peer) {
    auto listed = [&peer](const std::vector<std::string>& jids) {
        for (const auto& jid : jids)
            if (jid == peer.str() || jid == peer.bare_str()) return true;
        return false;
    };
    if (listed(prefs.never)) return Decision::skip;
    if (listed(prefs.always)) return Decision::archive;
    if (prefs.default_mode == "always") return Decision::archive;
    if (prefs.default_mode == "roster" && roster.contains(peer.bare_str()))
        return Decision::archive;
    return Decision::skip;
}

class PrefsCache : public std::enable_shared_from_this<PrefsCache> {
public:
    using Clock = std::chrono::steady_clock;

    PrefsCache(std::shared_ptr<storage::ArchiveStore> archive,
               std::shared_ptr<storage::RosterStore> roster, std::string default_mode)
        : archive_(std::move(archive)),
          roster_(std::move(roster)),
          default_mode_(std::move(default_mode)) {}

    const std::string& default_mode() const { return default_mode_; }

    /// Whether `user` (a bare JID) archives a message with `peer`; unknown until loaded.
    Decision decide(const Jid& user, const Jid& peer) {
        auto& shard = shard_of(user.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(user.str());
        if (found == shard.users.end() || !found->second.loaded) return Decision::unknown;
        found->second.used = Clock::now();
        return mam::decide(found->second.prefs, found->second.roster, peer);
    }

    /// True while messages of `user` wait for the prefs to load: a message that needs no
    /// decision must wait behind them too, or it would overtake them.
    bool loading(const Jid& user) {
        auto& shard = shard_of(user.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(user.str());
        return found != shard.users.end() && !found->second.loaded;
    }

    /// The user's effective prefs, once loaded.
    storage::ArchivePrefs prefs(const Jid& user) {
        auto& shard = shard_of(user.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(user.str());
        if (found == shard.users.end()) return {default_mode_, {}, {}};
        return found->second.prefs;
    }

    /// Runs `then(true)` once the user's prefs (and roster, when they need it) are loaded, at
    /// once when they are; `then(false)` when the database could not say. One load serves any
    /// number of waiters.
    void when_loaded(const Jid& user, std::function<void(bool ok)> then) {
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
        archive_->prefs(
            user.domain(), user.local(),
            [self = shared_from_this(), user, key](bool ok,
                                                   std::optional<storage::ArchivePrefs> stored) {
                if (!ok) return self->finish(key, false, {}, {});
                auto prefs = stored.value_or(storage::ArchivePrefs{self->default_mode_, {}, {}});
                if (prefs.default_mode != "roster") return self->finish(key, true, prefs, {});
                self->load_roster(user, key, std::move(prefs));
            });
    }

    /// Forgets the user's prefs (after they changed) so that the next message reloads them.
    void forget(const Jid& user) {
        auto& shard = shard_of(user.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(user.str());
        if (found != shard.users.end() && found->second.waiting.empty()) shard.users.erase(found);
    }

    /// A committed roster change (the roster_push event): `contact` joined or left the roster.
    void roster_changed(const Jid& user, const std::string& contact, bool removed) {
        auto& shard = shard_of(user.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(user.str());
        if (found == shard.users.end() || !found->second.loaded) return;
        if (removed)
            found->second.roster.erase(contact);
        else
            found->second.roster.insert(contact);
    }

    /// Forgets users unused since `before` for whom `keep` says no (those with no session).
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
        storage::ArchivePrefs prefs;
        std::set<std::string> roster;  // contacts' bare JIDs, kept for default='roster' only
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

    void load_roster(const Jid& user, const std::string& key, storage::ArchivePrefs prefs) {
        roster_->items(user.domain(), user.local(),
                       [self = shared_from_this(), key, prefs = std::move(prefs)](
                           bool ok, std::vector<storage::RosterItem> items, std::int64_t) {
                           std::set<std::string> contacts;
                           for (const auto& item : items)
                               if (item.listed) contacts.insert(item.contact);
                           self->finish(key, ok, prefs, std::move(contacts));
                       });
    }

    void finish(const std::string& key, bool ok, storage::ArchivePrefs prefs,
                std::set<std::string> roster) {
        std::vector<std::function<void(bool)>> waiting;
        {
            auto& shard = shard_of(key);
            std::lock_guard lock(shard.mutex);
            auto& entry = shard.users[key];
            waiting.swap(entry.waiting);
            if (ok) {
                entry.loaded = true;
                entry.prefs = std::move(prefs);
                entry.roster = std::move(roster);
                entry.used = Clock::now();
            } else {
                shard.users.erase(key);
            }
        }
        for (auto& then : waiting) then(ok);
    }

    std::shared_ptr<storage::ArchiveStore> archive_;
    std::shared_ptr<storage::RosterStore> roster_;
    std::string default_mode_;
    std::array<Shard, 16> shards_;
};

}  // namespace starling::mam
