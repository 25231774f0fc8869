#pragma once
// Typed reads out of YAML nodes for the configuration loader and module option validation. Every
// mistake becomes a ConfigError "<file>:<line>: <dotted.key>: <what is wrong>", so both report
// errors in the same words.

#include "core/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace starling::config {

/// The 1-based line a node starts on, or 0 when yaml-cpp has no position for it.
int line_of(const YAML::Node& node);

/// What a node holds, as an error message shows it after "got": "abc" quoted, or "a list".
std::string describe(const YAML::Node& node);

/// `parent.name`, or `name` at the top level.
std::string join_key(const std::string& parent, const std::string& name);

/// ASCII lowercase: domains and enumerations compare case-insensitively.
std::string lowercase(std::string text);

class NodeReader {
public:
    explicit NodeReader(std::string file) : file_(std::move(file)) {}

    const std::string& file() const { return file_; }

    /// Throws the ConfigError for `key` at the node's line; `key` may be empty (the whole file).
    [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                           const std::string& what) const;
    [[noreturn]] void fail_at(int line, const std::string& key, const std::string& what) const;

    bool boolean(const YAML::Node& node, const std::string& key) const;
    std::int64_t integer(const YAML::Node& node, const std::string& key, std::int64_t min,
                         std::int64_t max) const;
    /// Any scalar, as written; a list, a map or an empty value is an error.
    std::string string(const YAML::Node& node, const std::string& key) const;
    std::vector<std::string> string_list(const YAML::Node& node, const std::string& key) const;
    /// Seconds: an integer, or a number with an s, m, h or d suffix ("90s", "5m").
    std::int64_t duration(const YAML::Node& node, const std::string& key, std::int64_t min,
                          std::int64_t max) const;
    /// A scalar that must be one of `allowed` (compared case-insensitively; returned lowercase).
    std::string one_of(const YAML::Node& node, const std::string& key,
                       const std::vector<std::string>& allowed) const;

    /// Requires a map whose keys are all in `known` and none repeated.
    void expect_map(const YAML::Node& node, const std::string& key,
                    const std::vector<std::string>& known) const;
    /// Requires `map[name]` to be present; the error points at the map when it is not.
    YAML::Node require(const YAML::Node& map, const std::string& key, const std::string& name,
                       const std::string& what_to_do) const;

private:
    std::string file_;
};

}  // namespace starling::config
