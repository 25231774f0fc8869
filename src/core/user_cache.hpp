#pragma once
// Per-user data that handlers read on the routing path (a blocklist, archiving preferences), in
// memory so that deciding about a stanza never waits for the database once the data is loaded.
// Sharded by key (a bare JID) so that no single mutex sits on the path of every message.
//
// A stanza that finds its user's data not loaded is held until the load, then goes through
// routing again. So that no later stanza of the same flow overtakes it (docs/routing.md,
// "Order"), a loaded entry stays closed to every other thread while its waiters run on the
// thread that finished the load; a stanza arriving meanwhile waits behind them, and the entry
// opens once no waiter is left.

#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace starling {

template <class Value>
class UserCache {
public:
    using Clock = std::chrono::steady_clock;
    /// Starts a load and calls its argument once, from any thread, with the outcome.
    using Loader = std::function<void(std::function<void(bool ok, Value value)>)>;

    /// `read(value)`, under the lock, when the value may be used now on this thread; nothing
    /// when the caller must wait for it (when_loaded).
    template <class Read>
    auto read(const std::string& key, Read&& read)
        -> std::optional<std::invoke_result_t<Read, const Value&>> {
        auto& shard = shard_of(key);
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(key);
        if (found == shard.users.end() || !usable(found->second)) return std::nullopt;
        found->second.used = Clock::now();
        return read(std::as_const(found->second.value));
    }

    /// True while stanzas of `key` wait for its load: one that needs no data must wait behind
    /// them as well, or it would overtake them.
    bool waiting(const std::string& key) {
        auto& shard = shard_of(key);
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(key);
        return found != shard.users.end() && !usable(found->second);
    }

    /// Runs `then(true)` once the value of `key` may be used on the calling thread (at once when
    /// it may), `then(false)` when the load failed. One load serves any number of waiters; the
    /// caller keeps this cache alive until `load` has called back.
    void when_loaded(const std::string& key, const Loader& load, std::function<void(bool)> then) {
        bool now = false;
        {
            auto& shard = shard_of(key);
            std::lock_guard lock(shard.mutex);
            auto [it, inserted] = shard.users.try_emplace(key);
            it->second.used = Clock::now();
            now = usable(it->second);
            if (!now) {
                it->second.waiting.push_back(std::move(then));
                if (!inserted) return;  // a load is already on its way
            }
        }
        if (now) return then(true);
        load([this, key](bool ok, Value value) { finish(key, ok, std::move(value)); });
    }

    /// Applies a committed change to a loaded value (none when it is not loaded).
    template <class Change>
    void update(const std::string& key, Change&& change) {
        auto& shard = shard_of(key);
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(key);
        if (found != shard.users.end() && found->second.state != State::loading)
            change(found->second.value);
    }

    /// Forgets a loaded value (it changed in the database), unless stanzas wait for it.
    void forget(const std::string& key) {
        auto& shard = shard_of(key);
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(key);
        if (found != shard.users.end() && found->second.state == State::ready)
            shard.users.erase(found);
    }

    /// Forgets the values unused since `before` for whom `keep` says no (users with no session),
    /// so that the table holds about the users who are online.
    void sweep(Clock::time_point before, const std::function<bool(const std::string&)>& keep) {
        for (auto& shard : shards_) {
            std::lock_guard lock(shard.mutex);
            std::erase_if(shard.users, [&](const auto& pair) {
                const auto& entry = pair.second;
                return entry.state == State::ready && entry.used < before && !keep(pair.first);
            });
        }
    }

private:
    enum class State { loading, draining, ready };
    struct Entry {
        State state = State::loading;
        Value value{};
        Clock::time_point used;
        std::vector<std::function<void(bool)>> waiting;
        std::thread::id drainer;  // while draining: the thread running the waiters
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Entry> users;
    };

    static bool usable(const Entry& entry) {
        return entry.state == State::ready ||
               (entry.state == State::draining && entry.drainer == std::this_thread::get_id());
    }

    Shard& shard_of(const std::string& key) {
        return shards_[std::hash<std::string>{}(key) % shards_.size()];
    }

    void finish(const std::string& key, bool ok, Value value) {
        auto& shard = shard_of(key);
        std::vector<std::function<void(bool)>> waiting;
        if (!ok) {
            {
                std::lock_guard lock(shard.mutex);
                waiting.swap(shard.users[key].waiting);
                shard.users.erase(key);
            }
            for (auto& then : waiting) then(false);
            return;
        }
        {
            std::lock_guard lock(shard.mutex);
            auto& entry = shard.users[key];
            entry.state = State::draining;
            entry.drainer = std::this_thread::get_id();
            entry.value = std::move(value);
            entry.used = Clock::now();
        }
        // Waiters that came while the previous ones ran are run next, in order; the entry opens
        // to other threads only when none is left.
        for (;;) {
            {
                std::lock_guard lock(shard.mutex);
                auto& entry = shard.users[key];
                waiting.clear();
                waiting.swap(entry.waiting);
                if (waiting.empty()) {
                    entry.state = State::ready;
                    return;
                }
            }
            for (auto& then : waiting) then(true);
        }
    }

    std::array<Shard, 16> shards_;
};

}  // namespace starling
