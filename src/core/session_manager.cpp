#include "core/session_manager.hpp"

#include <algorithm>

namespace starling {

SessionManager::Shard& SessionManager::shard_for(const std::string& bare) const {
    return shards_[std::hash<std::string>{}(bare) % shard_count];
}

SessionPtr SessionManager::bind(const SessionPtr& session) {
    const auto bare = session->jid().bare_str();
    auto& shard = shard_for(bare);
    std::lock_guard lock(shard.mutex);
    auto& list = shard.users[bare];
    for (auto& existing : list) {
        if (existing->jid().resource() == session->jid().resource()) {
            auto replaced = std::move(existing);
            replaced->listed_.store(false, std::memory_order_release);
            existing = session;
            session->listed_.store(true, std::memory_order_release);
            return replaced;
        }
    }
    list.push_back(session);
    session->listed_.store(true, std::memory_order_release);
    return nullptr;
}

void SessionManager::unbind(const Session& session) {
    const auto bare = session.jid().bare_str();
    auto& shard = shard_for(bare);
    std::lock_guard lock(shard.mutex);
    auto it = shard.users.find(bare);
    if (it == shard.users.end()) return;
    auto& list = it->second;
    const auto gone = std::remove_if(list.begin(), list.end(),
                                     [&](const SessionPtr& s) { return s.get() == &session; });
    if (gone != list.end()) session.listed_.store(false, std::memory_order_release);
    list.erase(gone, list.end());
    if (list.empty()) shard.users.erase(it);
}

SessionPtr SessionManager::find(const Jid& full) const {
    const auto bare = full.bare_str();
    auto& shard = shard_for(bare);
    std::lock_guard lock(shard.mutex);
    auto it = shard.users.find(bare);
    if (it == shard.users.end()) return nullptr;
    for (const auto& s : it->second)
        if (s->jid().resource() == full.resource()) return s;
    return nullptr;
}

std::vector<SessionPtr> SessionManager::resources(const Jid& bare) const {
    const auto key = bare.bare_str();
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.users.find(key);
    return it == shard.users.end() ? std::vector<SessionPtr>{} : it->second;
}

std::size_t SessionManager::count_resources(const Jid& bare) const {
    const auto key = bare.bare_str();
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.users.find(key);
    return it == shard.users.end() ? 0 : it->second.size();
}

std::vector<SessionPtr> SessionManager::all() const {
    std::vector<SessionPtr> out;
    for (auto& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        for (const auto& [bare, list] : shard.users) out.insert(out.end(), list.begin(), list.end());
    }
    return out;
}

std::size_t SessionManager::size() const {
    std::size_t n = 0;
    for (auto& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        for (const auto& [bare, list] : shard.users) n += list.size();
    }
    return n;
}

}  // namespace starling
