#include "core/module_loader.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <set>

namespace starling {

LoadedModule::LoadedModule(std::shared_ptr<void> library, const ModuleDescriptor& descriptor,
                           std::unique_ptr<ModuleContext> context)
    : library_(std::move(library)), name_(descriptor.name), context_(std::move(context)) {}

LoadedModule::~LoadedModule() { context_.reset(); }

const ModuleDescriptor& open_module(const std::string& module_path, const std::string& name,
                                    std::shared_ptr<void>& library) {
    // One handle per file for the life of the process: every host's instance of a module shares
    // the code, and dlopen's own reference counting keeps it mapped.
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<void>> libraries;

    const auto path = (std::filesystem::path(module_path) / ("mod_" + name + ".so")).string();
    std::lock_guard lock(mutex);
    auto& handle = libraries[path];
    if (!handle) {
        void* raw = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!raw) {
            libraries.erase(path);
            throw ModuleError("cannot load module '" + name + "': " + dlerror() +
                              " (check module_path and that the module is installed)");
        }
        handle = std::shared_ptr<void>(raw, [](void* h) { dlclose(h); });
    }
    auto* descriptor = static_cast<const ModuleDescriptor*>(dlsym(handle.get(), "starling_module"));
    if (!descriptor) {
        libraries.erase(path);
        throw ModuleError("cannot load module '" + name + "': " + path +
                          " has no starling_module descriptor (is it a Starling module?)");
    }
    if (descriptor->abi_version != module_abi_version) {
        libraries.erase(path);
        throw ModuleError("cannot load module '" + name + "': " + path + " was built for module ABI " +
                          std::to_string(descriptor->abi_version) + ", this server has ABI " +
                          std::to_string(module_abi_version) + "; rebuild the module");
    }
    library = handle;
    return *descriptor;
}

namespace {

struct LoadState {
    Host& host;
    const config::Config& config;
    std::map<std::string, config::ModuleEntry> entries;  // configured modules by name
    std::set<std::string> loading;
    std::set<std::string> loaded;
    std::vector<std::shared_ptr<LoadedModule>> out;
};

std::string where(const config::Config& config, const config::ModuleEntry& entry) {
    return config.path + ":" + std::to_string(entry.line) + ": modules." + entry.name + ": ";
}

void load_one(LoadState& state, const config::ModuleEntry& entry) {
    if (state.loaded.count(entry.name)) return;
    if (!state.loading.insert(entry.name).second)
        throw ModuleError(where(state.config, entry) + "circular module dependency");

    std::shared_ptr<void> library;
    const ModuleDescriptor* descriptor;
    try {
        descriptor = &open_module(state.config.module_path, entry.name, library);
    } catch (const ModuleError& e) {
        throw ModuleError(where(state.config, entry) + e.what());
    }
    for (auto dep = descriptor->depends; dep && *dep; ++dep) {
        auto it = state.entries.find(*dep);
        // A dependency not named in the config is loaded with its defaults.
        load_one(state, it != state.entries.end() ? it->second
                                                  : config::ModuleEntry{*dep, YAML::Node(), entry.line});
    }
    auto options = validate_options(state.config.path, entry.name, entry.options,
                                    descriptor->options ? descriptor->options()
                                                        : std::vector<OptionSpec>{});
    auto context = std::make_unique<ModuleContext>(state.host, entry.name, std::move(options));
    try {
        descriptor->load(*context);
    } catch (const std::exception& e) {
        throw ModuleError(where(state.config, entry) + "module failed to start on host " +
                          state.host.domain() + ": " + e.what());
    }
    state.out.push_back(std::make_shared<LoadedModule>(std::move(library), *descriptor, std::move(context)));
    state.loading.erase(entry.name);
    state.loaded.insert(entry.name);
}

}  // namespace

std::vector<std::shared_ptr<LoadedModule>> load_modules(Host& host, const config::Config& config) {
    LoadState state{host, config, {}, {}, {}, {}};
    const auto entries = config.modules_for(host.domain());
    for (const auto& entry : entries) state.entries[entry.name] = entry;
    try {
        for (const auto& entry : entries) load_one(state, entry);
    } catch (...) {
        // Unload what this attempt loaded, newest first, before reporting.
        while (!state.out.empty()) state.out.pop_back();
        throw;
    }
    return std::move(state.out);
}

}  // namespace starling
