#pragma once
// What mod_push keeps in memory about users who are away: from the first message pushed while
// the user has no online resource until the user's next session, how many messages came (the
// summary's count) and, once read, the user's registrations, so that only the first message of
// an absence asks the database.
//
// Most offline messages are for users without push, and some users never come back: their
// entries would stay forever. So an entry that is known to have no registrations (or whose read
// failed) leaves memory once unused for a while (sweep); it costs one read when the next message
// comes. Entries with registrations stay, so that the count stays right; there are at most as
// many as users with registrations. Offline hooks run on the database thread and the others on
// I/O threads, hence the lock.

#include "storage/push_store.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace starling::push {

class AwayUsers {
public:
    using Clock = std::chrono::steady_clock;
    using Registrations = std::vector<storage::PushRegistration>;

    struct Noted {
        std::int64_t count = 0;        // messages since the user was last online, this one included
        std::uint64_t generation = 0;  // to hand back to remember()
        std::optional<Registrations> registrations;  // once read
    };

    /// A message for `user` (a bare JID) came while the user is away.
    Noted note_message(const std::string& user, Clock::time_point now = Clock::now()) {
        std::lock_guard lock(mutex_);
        auto [it, created] = users_.try_emplace(user);
        if (created) it->second.generation = ++generations_;
        it->second.used = now;
        return {++it->second.pushed, it->second.generation, it->second.registrations};
    }

    /// Keeps the registrations read for `user`, unless a change overtook the read.
    void remember(const std::string& user, std::uint64_t generation,
                  const Registrations& registrations) {
        std::lock_guard lock(mutex_);
        const auto it = users_.find(user);
        if (it != users_.end() && it->second.generation == generation)
            it->second.registrations = registrations;
    }

    /// The user's registrations changed (committed): the next message reads them again.
    void changed(const std::string& user) {
        std::lock_guard lock(mutex_);
        const auto it = users_.find(user);
        if (it == users_.end()) return;
        it->second.generation = ++generations_;
        it->second.registrations.reset();
    }

    /// The user is back online: the next push counts from one.
    void back(const std::string& user) {
        std::lock_guard lock(mutex_);
        users_.erase(user);
    }

    /// Forgets the users without known registrations that no message concerned since `before`.
    void sweep(Clock::time_point before) {
        std::lock_guard lock(mutex_);
        std::erase_if(users_, [before](const auto& pair) {
            const auto& away = pair.second;
            return away.used < before && (!away.registrations || away.registrations->empty());
        });
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return users_.size();
    }

private:
    struct Away {
        std::int64_t pushed = 0;
        std::uint64_t generation = 0;
        std::optional<Registrations> registrations;
        Clock::time_point used;
    };
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Away> users_;  // by bare JID
    std::uint64_t generations_ = 0;
};

}  // namespace starling::push
