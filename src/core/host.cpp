#include "core/host.hpp"

#include "core/module_loader.hpp"

#include <algorithm>

namespace starling {

Host::Host(Server& server, std::string domain) : server_(server), domain_(std::move(domain)) {}

Host::~Host() {
    // Modules hold registrations into this host's tables: remove them while the tables live.
    std::vector<std::shared_ptr<LoadedModule>> modules;
    {
        std::lock_guard lock(mutex_);
        modules.swap(modules_);
    }
    while (!modules.empty()) modules.pop_back();
}

Registration Host::add_iq_handler(IqTarget target, std::string_view type, std::string xmlns,
                                  IqHandler handler) {
    std::lock_guard lock(mutex_);
    auto key = std::make_tuple(target, std::string(type), std::move(xmlns));
    const auto id = ++next_iq_id_;
    // A reload registers the new module's handler before the old one is removed, and the
    // newest answers. When the old instance goes, the newer handler stays; when the reload
    // fails and the new instance goes, the old handler answers again.
    iq_handlers_[key].emplace_back(id, std::move(handler));
    return Registration([this, key, id] {
        std::lock_guard lock(mutex_);
        auto it = iq_handlers_.find(key);
        if (it == iq_handlers_.end()) return;
        std::erase_if(it->second, [id](const auto& entry) { return entry.first == id; });
        if (it->second.empty()) iq_handlers_.erase(it);
    });
}

Host::IqHandler Host::find_iq_handler(IqTarget target, std::string_view type,
                                      std::string_view xmlns) const {
    std::lock_guard lock(mutex_);
    auto it = iq_handlers_.find(std::make_tuple(target, std::string(type), std::string(xmlns)));
    return it == iq_handlers_.end() ? nullptr : it->second.back().second;
}

Registration Host::add_feature(IqTarget target, std::string ns) {
    std::lock_guard lock(mutex_);
    auto it = features_.emplace(target, std::move(ns));
    return Registration([this, it] {
        std::lock_guard lock(mutex_);
        features_.erase(it);
    });
}

Registration Host::add_identity(IqTarget target, Identity identity) {
    std::lock_guard lock(mutex_);
    auto it = identities_.emplace(target, std::move(identity));
    return Registration([this, it] {
        std::lock_guard lock(mutex_);
        identities_.erase(it);
    });
}

std::vector<std::string> Host::features(IqTarget target) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [t, ns] : features_)
        if (t == target && (out.empty() || out.back() != ns)) out.push_back(ns);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<Identity> Host::identities(IqTarget target) const {
    std::lock_guard lock(mutex_);
    std::vector<Identity> out;
    for (const auto& [t, identity] : identities_)
        if (t == target) out.push_back(identity);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Registration Host::add_disco_contributor(IqTarget target, DiscoKind kind,
                                         DiscoContributor contributor) {
    std::lock_guard lock(mutex_);
    const auto id = ++next_disco_contributor_;
    disco_contributors_.emplace(id, std::make_tuple(target, kind, std::move(contributor)));
    return Registration([this, id] {
        std::lock_guard lock(mutex_);
        disco_contributors_.erase(id);
    });
}

std::vector<Host::DiscoContributor> Host::disco_contributors(IqTarget target,
                                                            DiscoKind kind) const {
    std::lock_guard lock(mutex_);
    std::vector<DiscoContributor> out;
    for (const auto& [id, entry] : disco_contributors_)
        if (std::get<0>(entry) == target && std::get<1>(entry) == kind)
            out.push_back(std::get<2>(entry));
    return out;
}

void Host::set_modules(std::vector<std::shared_ptr<LoadedModule>> modules) {
    std::vector<std::shared_ptr<LoadedModule>> old;
    {
        std::lock_guard lock(mutex_);
        old.swap(modules_);
        modules_ = std::move(modules);
    }
    // Unload the old instances newest first, outside the lock: their registrations take it.
    while (!old.empty()) old.pop_back();
}

std::vector<std::string> Host::module_names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& m : modules_) out.push_back(m->name());
    return out;
}

Registration Host::add_stream_feature(std::string xml) {
    std::lock_guard lock(mutex_);
    const auto id = ++next_stream_feature_;
    stream_features_.emplace(id, std::move(xml));
    return Registration([this, id] {
        std::lock_guard lock(mutex_);
        stream_features_.erase(id);
    });
}

std::vector<std::string> Host::stream_features() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [id, xml] : stream_features_) out.push_back(xml);
    return out;
}

Registration Host::add_stream_extension(StreamExtensionSpec spec) {
    std::lock_guard lock(mutex_);
    const auto id = ++next_stream_extension_;
    stream_extensions_.emplace(id, std::make_shared<const StreamExtensionSpec>(std::move(spec)));
    return Registration([this, id] {
        std::lock_guard lock(mutex_);
        stream_extensions_.erase(id);
    });
}

std::shared_ptr<const Host::StreamExtensionSpec> Host::find_stream_extension(
    std::string_view xmlns) const {
    std::lock_guard lock(mutex_);
    // The newest registration wins, so a reloaded module's instance replaces the old one.
    for (auto it = stream_extensions_.rbegin(); it != stream_extensions_.rend(); ++it)
        if (it->second->xmlns == xmlns) return it->second;
    return nullptr;
}

std::optional<ModuleOptions> Host::module_options(const std::string& name) const {
    std::lock_guard lock(mutex_);
    for (const auto& m : modules_)
        if (m->name() == name) return m->options();
    return std::nullopt;
}

bool Host::has_module(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return std::any_of(modules_.begin(), modules_.end(),
                       [&](const auto& m) { return m->name() == name; });
}

}  // namespace starling
