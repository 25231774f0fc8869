#include "core/component_registry.hpp"

namespace starling {

void ComponentRegistry::configure(std::vector<std::string> domains) {
    for (auto& domain : domains) connected_.try_emplace(std::move(domain), nullptr);
}

std::vector<std::string> ComponentRegistry::domains() const {
    std::vector<std::string> out;
    for (const auto& [domain, stream] : connected_) out.push_back(domain);
    return out;
}

bool ComponentRegistry::serves(std::string_view domain) const {
    return connected_.find(domain) != connected_.end();
}

SessionPtr ComponentRegistry::find(std::string_view domain) const {
    const auto it = connected_.find(domain);
    return it == connected_.end() ? nullptr : it->second.load();
}

bool ComponentRegistry::attach(const std::string& domain, const SessionPtr& session) {
    const auto it = connected_.find(domain);
    if (it == connected_.end()) return false;
    SessionPtr none;
    return it->second.compare_exchange_strong(none, session);
}

void ComponentRegistry::detach(const std::string& domain, const Session& session) {
    const auto it = connected_.find(domain);
    if (it == connected_.end()) return;
    SessionPtr current = it->second.load();
    // Only this stream's own entry: a newer stream that attached since keeps the domain.
    if (current.get() == &session) it->second.compare_exchange_strong(current, nullptr);
}

}  // namespace starling
