#include "core/component_registry.hpp"

namespace starling {

void ComponentRegistry::configure(std::vector<std::string> domains) {
    std::lock_guard lock(mutex_);
    for (auto& domain : domains) connected_.emplace(std::move(domain), nullptr);
}

bool ComponentRegistry::serves(std::string_view domain) const {
    std::lock_guard lock(mutex_);
    return connected_.find(domain) != connected_.end();
}

SessionPtr ComponentRegistry::find(std::string_view domain) const {
    std::lock_guard lock(mutex_);
    const auto it = connected_.find(domain);
    return it == connected_.end() ? nullptr : it->second;
}

bool ComponentRegistry::attach(const std::string& domain, const SessionPtr& session) {
    std::lock_guard lock(mutex_);
    const auto it = connected_.find(domain);
    if (it == connected_.end() || it->second) return false;
    it->second = session;
    return true;
}

void ComponentRegistry::detach(const std::string& domain, const Session& session) {
    std::lock_guard lock(mutex_);
    const auto it = connected_.find(domain);
    if (it != connected_.end() && it->second.get() == &session) it->second.reset();
}

}  // namespace starling
