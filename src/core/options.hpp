#pragma once
// Module options declared as data: each declaration drives validation of the YAML the operator
// wrote, the typed value the module reads, and the documentation.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace starling {

enum class OptionType { boolean, integer, string, string_list, duration };

struct OptionSpec {
    std::string name;
    OptionType type = OptionType::string;
    std::string default_value;  // as it would be written in YAML ("true", "30", "300s", "[]")
    std::int64_t min = INT64_MIN;
    std::int64_t max = INT64_MAX;
    std::string doc;
};

using OptionValue = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;

/// Validated option values of one module instance.
class ModuleOptions {
public:
    bool get_bool(const std::string& name) const;
    std::int64_t get_int(const std::string& name) const;  // integers, and durations in seconds
    const std::string& get_string(const std::string& name) const;
    const std::vector<std::string>& get_list(const std::string& name) const;
    void set(const std::string& name, OptionValue value) { values_[name] = std::move(value); }

private:
    std::map<std::string, OptionValue> values_;
};

/// Validates `node` (a map, or null for all defaults) against the specs; throws
/// config::ConfigError "file:line: modules.<module>.<option>: ..." on an unknown option, a wrong
/// type or a value out of bounds.
ModuleOptions validate_options(const std::string& file, const std::string& module,
                               const YAML::Node& node, const std::vector<OptionSpec>& specs);

}  // namespace starling

