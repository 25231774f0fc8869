#pragma once
// Which instance of a module acts on a host while a reload has two of them loaded.
//
// A reload loads a host's new module instances while the old ones still run, and both see the
// stanzas routed in between (docs/modules.md). A module whose state outlives an instance (in
// storage, or shared by the process) would then act twice on such a stanza: archive it twice,
// copy it twice. So only the newest live instance of a host acts: an instance marks itself its
// host's active one when made, and when it goes, the newest one still loaded takes over (the
// old one, after a reload that failed). A stanza reads the mark with one atomic load.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace starling {

class ActiveInstance {
public:
    /// `key` names the module and host, e.g. "mam@example.test".
    explicit ActiveInstance(const std::string& key) {
        std::lock_guard lock(mutex());
        auto& state = keys()[key];
        id_ = ++state.last;
        state.live.insert(id_);
        state.active.store(id_);
        state_ = &state;
    }
    ~ActiveInstance() {
        std::lock_guard lock(mutex());
        state_->live.erase(id_);
        state_->active.store(state_->live.empty() ? 0 : *state_->live.rbegin());
    }
    ActiveInstance(const ActiveInstance&) = delete;
    ActiveInstance& operator=(const ActiveInstance&) = delete;

    /// True while this is the newest live instance for its key.
    bool active() const { return state_->active.load(std::memory_order_relaxed) == id_; }

private:
    struct Key {
        std::uint64_t last = 0;
        std::set<std::uint64_t> live;
        std::atomic<std::uint64_t> active{0};
    };
    static std::mutex& mutex() {
        static std::mutex m;
        return m;
    }
    static std::map<std::string, Key>& keys() {  // a node map: a Key never moves
        static std::map<std::string, Key> k;
        return k;
    }
    std::uint64_t id_ = 0;
    Key* state_ = nullptr;
};

}  // namespace starling
