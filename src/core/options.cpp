#include "core/options.hpp"

#include "core/config.hpp"
#include "core/config_reader.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace starling {

namespace {

const char* type_name(OptionType type) {
    switch (type) {
        case OptionType::boolean: return "a boolean";
        case OptionType::integer: return "an integer";
        case OptionType::string: return "a string";
        case OptionType::string_list: return "a list of strings";
        case OptionType::duration: return "a duration";
    }
    return "a value";
}

template <typename T>
const T& lookup(const std::map<std::string, OptionValue>& values, const std::string& name,
                OptionType wanted) {
    const auto found = values.find(name);
    if (found == values.end()) {
        throw std::logic_error("module option \"" + name + "\" is not declared");
    }
    const T* value = std::get_if<T>(&found->second);
    if (value == nullptr) {
        throw std::logic_error("module option \"" + name + "\" is not declared as " +
                               type_name(wanted));
    }
    return *value;
}

OptionValue read_value(const config::NodeReader& reader, const YAML::Node& node,
                       const std::string& key, const OptionSpec& spec) {
    switch (spec.type) {
        case OptionType::boolean: return reader.boolean(node, key);
        case OptionType::integer: return reader.integer(node, key, spec.min, spec.max);
        case OptionType::string: return reader.string(node, key);
        case OptionType::string_list: return reader.string_list(node, key);
        case OptionType::duration:
            return reader.duration(node, key, std::max<std::int64_t>(spec.min, 0), spec.max);
    }
    throw std::logic_error("unknown OptionType for " + key);
}

// A default that does not validate is the module author's mistake, not the operator's: it is
// reported as a logic_error so that it cannot be mistaken for a configuration problem.
OptionValue default_value(const std::string& module, const OptionSpec& spec) {
    const std::string key = "modules." + module + "." + spec.name;
    if (spec.default_value.empty() && spec.type == OptionType::string) return std::string();
    try {
        return read_value(config::NodeReader("default of " + module),
                          YAML::Load(spec.default_value), key, spec);
    } catch (const std::exception& e) {
        throw std::logic_error("module " + module + " declares an invalid default for option " +
                               spec.name + ": " + e.what());
    }
}

std::string known_names(const std::vector<OptionSpec>& specs) {
    std::vector<std::string> names;
    for (const auto& spec : specs) names.push_back(spec.name);
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

}  // namespace

bool ModuleOptions::get_bool(const std::string& name) const {
    return lookup<bool>(values_, name, OptionType::boolean);
}

std::int64_t ModuleOptions::get_int(const std::string& name) const {
    return lookup<std::int64_t>(values_, name, OptionType::integer);
}

const std::string& ModuleOptions::get_string(const std::string& name) const {
    return lookup<std::string>(values_, name, OptionType::string);
}

const std::vector<std::string>& ModuleOptions::get_list(const std::string& name) const {
    return lookup<std::vector<std::string>>(values_, name, OptionType::string_list);
}

ModuleOptions validate_options(const std::string& file, const std::string& module,
                               const YAML::Node& node, const std::vector<OptionSpec>& specs) {
    const config::NodeReader reader(file);
    const std::string base = "modules." + module;
    const bool given = node.IsDefined() && !node.IsNull();
    if (given && !node.IsMap()) {
        reader.fail(node, base, "expected a map of options, got " + config::describe(node));
    }
    if (given) {
        // Unknown names first: a misspelt option is reported as such, not silently defaulted.
        std::set<std::string> seen;
        for (const auto& entry : node) {
            const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
            const auto declared = std::find_if(specs.begin(), specs.end(),
                                               [&](const OptionSpec& s) { return s.name == name; });
            if (declared == specs.end()) {
                reader.fail(entry.first, base + "." + name,
                            specs.empty() ? "unknown option; this module takes no options"
                                          : "unknown option; known options: " + known_names(specs));
            }
            if (!seen.insert(name).second) {
                reader.fail(entry.first, base + "." + name, "given twice; keep one of them");
            }
        }
    }
    ModuleOptions options;
    for (const auto& spec : specs) {
        const YAML::Node value = given ? node[spec.name] : YAML::Node();
        if (given && value.IsDefined()) {
            options.set(spec.name, read_value(reader, value, base + "." + spec.name, spec));
        } else {
            options.set(spec.name, default_value(module, spec));
        }
    }
    return options;
}

}  // namespace starling
