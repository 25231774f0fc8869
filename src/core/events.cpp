#include "core/events.hpp"

#include <deque>
#include <mutex>
#include <unordered_map>

namespace starling {
namespace {

struct Interner {
    std::mutex mutex;
    std::unordered_map<std::string, std::uint32_t> index;
    std::deque<std::string> names;  // a deque keeps references stable as it grows
};

Interner& interner() {
    static Interner instance;
    return instance;
}

}  // namespace

EventKey::EventKey(std::string_view name) {
    auto& in = interner();
    std::lock_guard lock(in.mutex);
    auto [it, inserted] = in.index.try_emplace(std::string(name), static_cast<std::uint32_t>(in.names.size()));
    if (inserted) in.names.emplace_back(name);
    index_ = it->second;
}

const std::string& EventKey::name() const {
    auto& in = interner();
    std::lock_guard lock(in.mutex);
    return in.names[index_];
}

thread_local Receipt current_receipt;

namespace events {
const EventKey message_bare{"message/bare"};
const EventKey message_full{"message/full"};
const EventKey message_host{"message/host"};
const EventKey message_offline{"message/offline"};
const EventKey presence_bare{"presence/bare"};
const EventKey presence_full{"presence/full"};
const EventKey presence_host{"presence/host"};
const EventKey presence_out{"presence/out"};
const EventKey stanza_out{"stanza/out"};
const EventKey stanza_in{"stanza/in"};
const EventKey session_bound{"session/bound"};
const EventKey session_available{"session/available"};
const EventKey session_closed{"session/closed"};
const EventKey session_hibernated{"session/hibernated"};
const EventKey session_resumed{"session/resumed"};
const EventKey message_hibernated{"message/hibernated"};
}  // namespace events

}  // namespace starling
