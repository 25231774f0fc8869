#pragma once
// The archiving preferences (XEP-0441) of the users the server is dealing with, in memory, so
// that deciding whether to archive a message never waits for the database once they are loaded:
// the stored prefs (or the configured default), and for default='roster' the user's contacts
// (core/user_cache.hpp keeps them, and keeps held messages in order).
//
// A load can still be in flight when the module is unloaded (a reload), so the cache lives in a
// shared_ptr that the loads capture, and it shares the stores it reads.

#include "core/stanza.hpp"
#include "core/user_cache.hpp"
#include "storage/archive_store.hpp"
#include "storage/roster_store.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
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
        return users_
            .read(user.str(),
                  [&peer](const Loaded& loaded) {
                      return mam::decide(loaded.prefs, loaded.roster, peer);
                  })
            .value_or(Decision::unknown);
    }

    /// True while messages of `user` wait for the prefs to load: a message that needs no
    /// decision must wait behind them too, or it would overtake them.
    bool loading(const Jid& user) { return users_.waiting(user.str()); }

    /// The user's effective prefs, once loaded.
    storage::ArchivePrefs prefs(const Jid& user) {
        return users_.read(user.str(), [](const Loaded& loaded) { return loaded.prefs; })
            .value_or(storage::ArchivePrefs{default_mode_, {}, {}});
    }

    /// Runs `then(true)` once the user's prefs (and roster, when they need it) are loaded, at
    /// once when they are; `then(false)` when the database could not say. One load serves any
    /// number of waiters.
    void when_loaded(const Jid& user, std::function<void(bool ok)> then) {
        users_.when_loaded(
            user.str(),
            [self = shared_from_this(), user](std::function<void(bool, Loaded)> done) {
                self->archive_->prefs(
                    user.domain(), user.local(),
                    [self, user, done = std::move(done)](
                        bool ok, std::optional<storage::ArchivePrefs> stored) mutable {
                        if (!ok) return done(false, {});
                        auto prefs =
                            stored.value_or(storage::ArchivePrefs{self->default_mode_, {}, {}});
                        if (prefs.default_mode != "roster") return done(true, {prefs, {}});
                        self->load_roster(user, std::move(prefs), std::move(done));
                    });
            },
            std::move(then));
    }

    /// Forgets the user's prefs (after they changed) so that the next message reloads them.
    void forget(const Jid& user) { users_.forget(user.str()); }

    /// A committed roster change (the roster_push event): `contact` joined or left the roster.
    void roster_changed(const Jid& user, const std::string& contact, bool removed) {
        users_.update(user.str(), [&](Loaded& loaded) {
            if (removed)
                loaded.roster.erase(contact);
            else
                loaded.roster.insert(contact);
        });
    }

    /// Forgets users unused since `before` for whom `keep` says no (those with no session).
    void sweep(Clock::time_point before, const std::function<bool(const std::string&)>& keep) {
        users_.sweep(before, keep);
    }

private:
    struct Loaded {
        storage::ArchivePrefs prefs;
        std::set<std::string> roster;  // contacts' bare JIDs, kept for default='roster' only
    };

    void load_roster(const Jid& user, storage::ArchivePrefs prefs,
                     std::function<void(bool, Loaded)> done) {
        // `self`: the load keeps the cache alive (a reload may let go of it meanwhile).
        roster_->items(user.domain(), user.local(),
                       [self = shared_from_this(), prefs = std::move(prefs), done = std::move(done)](
                           bool ok, std::vector<storage::RosterItem> items, std::int64_t) {
                           std::set<std::string> contacts;
                           for (const auto& item : items)
                               if (item.listed) contacts.insert(item.contact);
                           done(ok, {prefs, std::move(contacts)});
                       });
    }

    std::shared_ptr<storage::ArchiveStore> archive_;
    std::shared_ptr<storage::RosterStore> roster_;
    std::string default_mode_;
    UserCache<Loaded> users_;
};

}  // namespace starling::mam
