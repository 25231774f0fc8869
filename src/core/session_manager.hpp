#pragma once
// Bound sessions, sharded by bare JID so that lookups on the message path take one shard's lock
// and never a global one. Behind an interface so a cluster-wide registry can replace it.

#include "core/session.hpp"

#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace starling {

class SessionManager {
public:
    /// Binds the session under its full JID; returns the session it replaced (same full JID),
    /// which the caller closes with <conflict/>.
    SessionPtr bind(const SessionPtr& session);
    /// Removes the session if it is still the one bound under its JID.
    void unbind(const Session& session);
    SessionPtr find(const Jid& full) const;
    /// Every session of the bare JID.
    std::vector<SessionPtr> resources(const Jid& bare) const;
    std::size_t count_resources(const Jid& bare) const;
    bool has_sessions(const Jid& bare) const { return count_resources(bare) > 0; }
    /// A snapshot of all sessions (admin commands, idle pings); not for the message path.
    std::vector<SessionPtr> all() const;
    std::size_t size() const;

private:
    static constexpr std::size_t shard_count = 64;
    struct Shard {
        mutable std::mutex mutex;
        // bare JID string -> resources
        std::unordered_map<std::string, std::vector<SessionPtr>> users;
    };
    Shard& shard_for(const std::string& bare) const;
    mutable std::array<Shard, shard_count> shards_;
};

}  // namespace starling
