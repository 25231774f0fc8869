#include "core/service_registry.hpp"

namespace starling {

std::optional<Registration> ServiceRegistry::add(Service service) {
    std::lock_guard lock(write_mutex_);
    auto table = std::make_shared<Table>(*table_.load());
    std::string domain = service.domain;
    if (auto it = table->find(domain);
        it != table->end() && (it->second->host != service.host || it->second->module != service.module))
        return std::nullopt;
    auto shared = std::make_shared<const Service>(std::move(service));
    const Service* raw = shared.get();
    (*table)[domain] = std::move(shared);
    table_.store(std::move(table));
    return Registration([this, domain = std::move(domain), raw] { remove(domain, raw); });
}

void ServiceRegistry::remove(const std::string& domain, const Service* service) {
    std::lock_guard lock(write_mutex_);
    auto table = std::make_shared<Table>(*table_.load());
    auto it = table->find(domain);
    if (it == table->end() || it->second.get() != service) return;
    table->erase(it);
    table_.store(std::move(table));
}

std::shared_ptr<const ServiceRegistry::Service> ServiceRegistry::find(
    std::string_view domain) const {
    const auto table = table_.load();
    const auto it = table->find(domain);
    return it == table->end() ? nullptr : it->second;
}

std::vector<std::string> ServiceRegistry::of_host(std::string_view host) const {
    std::vector<std::string> out;
    for (const auto& [domain, service] : *table_.load())
        if (service->host == host) out.push_back(domain);
    return out;
}

}  // namespace starling
