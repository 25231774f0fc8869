#pragma once
// Loading modules by name from module_path: dlopen, ABI check, option validation, load().

#include "core/config.hpp"
#include "core/module.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace starling {

/// A load failure, with a message naming the config file, line, module and what to do.
class ModuleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One module instance on one host. Destroying it unloads it.
class LoadedModule {
public:
    LoadedModule(std::shared_ptr<void> library, const ModuleDescriptor& descriptor,
                 std::unique_ptr<ModuleContext> context);
    ~LoadedModule();
    const std::string& name() const { return name_; }
    const ModuleOptions& options() const { return context_->options(); }

private:
    std::shared_ptr<void> library_;  // declared first: closed after the context is gone
    std::string name_;
    std::unique_ptr<ModuleContext> context_;
};

/// Loads the host's modules (with their dependencies first) in config order.
std::vector<std::shared_ptr<LoadedModule>> load_modules(Host& host, const config::Config& config);

/// Opens mod_<name>.so from the module path and returns its descriptor (for documentation and
/// option listings); throws ModuleError.
const ModuleDescriptor& open_module(const std::string& module_path, const std::string& name,
                                    std::shared_ptr<void>& library);

}  // namespace starling
