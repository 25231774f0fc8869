#pragma once
// The blocklists of the users the server is dealing with, in memory (core/user_cache.hpp), so
// that filtering a stanza never waits for the database once a list is loaded. One table for
// every host: a stanza from a user of one host to a user of another is checked against both.

#include "core/stanza.hpp"
#include "core/user_cache.hpp"
#include "storage/blocklist_store.hpp"

#include <functional>
#include <set>
#include <string>
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
    using Clock = UserCache<JidSet>::Clock;

    /// Whether `user` (a bare JID) blocks `other`; unknown until the user's list is loaded.
    Answer blocks(const Jid& user, const Jid& other) {
        const auto blocked =
            lists_.read(user.str(), [&other](const JidSet& jids) { return matches(jids, other); });
        if (!blocked) return Answer::unknown;
        return *blocked ? Answer::yes : Answer::no;
    }

    /// Runs `then(true)` once the user's list is loaded (at once when it is), or `then(false)`
    /// when the database could not say; loads it once for any number of waiters.
    void when_loaded(const Jid& user, storage::BlocklistStore& store,
                     std::function<void(bool ok)> then) {
        lists_.when_loaded(
            user.str(),
            [&store, user](std::function<void(bool, JidSet)> done) {
                store.list(user.domain(), user.local(),
                           [done = std::move(done)](bool ok, std::vector<std::string> jids) {
                               done(ok, JidSet(jids.begin(), jids.end()));
                           });
            },
            std::move(then));
    }

    /// The loaded list of `user` (empty when it is not loaded).
    JidSet list(const Jid& user) {
        return lists_.read(user.str(), [](const JidSet& jids) { return jids; }).value_or(JidSet{});
    }

    /// Applies a committed change to a loaded list.
    void add(const Jid& user, const std::vector<std::string>& jids) {
        lists_.update(user.str(), [&jids](JidSet& set) { set.insert(jids.begin(), jids.end()); });
    }
    void remove(const Jid& user, const std::vector<std::string>& jids) {
        lists_.update(user.str(), [&jids](JidSet& set) {
            if (jids.empty()) return set.clear();
            for (const auto& jid : jids) set.erase(jid);
        });
    }

    /// Forgets the lists of users unused since `before` for whom `keep` says no (those with no
    /// session), so that the table holds about the users who are online.
    void sweep(Clock::time_point before, const std::function<bool(const std::string&)>& keep) {
        lists_.sweep(before, keep);
    }

private:
    UserCache<JidSet> lists_;
};

}  // namespace starling::blocking
