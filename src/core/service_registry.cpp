#include "core/service_registry.hpp"

namespace starling {

std::optional<Registration> ServiceRegistry::add(Service service) {
    std::lock_guard lock(write_mutex_);
    auto table = std::make_shared<Table>(*table_.load());
    std::string domain = service.domain;
    auto& loaded = (*table)[domain];
    if (!loaded.empty() &&
        (loaded.back()->host != service.host || loaded.back()->module != service.module))
        return std::nullopt;
    auto shared = std::make_shared<const Service>(std::move(service));
    const Service* raw = shared.get();
    loaded.push_back(std::move(shared));
    table_.store(std::move(table));
    return Registration([this, domain = std::move(domain), raw] { remove(domain, raw); });
}

void ServiceRegistry::remove(const std::string& domain, const Service* service) {
    std::lock_guard lock(write_mutex_);
    auto table = std::make_shared<Table>(*table_.load());
    auto it = table->find(domain);
    if (it == table->end()) return;
    std::erase_if(it->second, [service](const auto& entry) { return entry.get() == service; });
    if (it->second.empty()) table->erase(it);
    table_.store(std::move(table));
}

std::shared_ptr<const ServiceRegistry::Service> ServiceRegistry::find(
    std::string_view domain) const {
    const auto table = table_.load();
    const auto it = table->find(domain);
    return it == table->end() ? nullptr : it->second.back();
}

std::vector<std::string> ServiceRegistry::of_host(std::string_view host) const {
    std::vector<std::string> out;
    for (const auto& [domain, loaded] : *table_.load())
        if (loaded.back()->host == host) out.push_back(domain);
    return out;
}

}  // namespace starling
