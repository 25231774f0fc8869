#include "core/config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace starling::config {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

// The full text must be a decimal integer: from_chars alone would accept "12abc" as 12.
bool parse_int(const std::string& text, std::int64_t& value) {
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    return !text.empty() && ec == std::errc() && ptr == end;
}

// 0 for a suffix that is not a unit of time.
std::int64_t seconds_per_unit(char suffix) {
    switch (suffix) {
        case 's': return 1;
        case 'm': return 60;
        case 'h': return 3600;
        case 'd': return 86400;
        default: return 0;
    }
}

std::string integer_range(std::int64_t min, std::int64_t max) {
    if (min != INT64_MIN && max != INT64_MAX) {
        return "from " + std::to_string(min) + " to " + std::to_string(max);
    }
    if (min != INT64_MIN) return "of at least " + std::to_string(min);
    if (max != INT64_MAX) return "of at most " + std::to_string(max);
    return {};
}

std::string with_range(const std::string& noun, std::int64_t min, std::int64_t max,
                       const std::string& unit = {}) {
    const std::string range = integer_range(min, max);
    if (range.empty()) return noun;
    return noun + " " + range + unit;
}

}  // namespace

int line_of(const YAML::Node& node) {
    if (!node.IsDefined()) return 0;
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : mark.line + 1;
}

std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "nothing";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a map";
    return "\"" + node.Scalar() + "\"";
}

std::string join_key(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "." + name;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

void NodeReader::fail(const YAML::Node& node, const std::string& key,
                      const std::string& what) const {
    fail_at(line_of(node), key, what);
}

void NodeReader::fail_at(int line, const std::string& key, const std::string& what) const {
    std::string message = file_;
    if (line > 0) message += ":" + std::to_string(line);
    message += ": ";
    if (!key.empty()) message += key + ": ";
    throw ConfigError(message + what);
}

bool NodeReader::boolean(const YAML::Node& node, const std::string& key) const {
    if (node.IsScalar()) {
        const std::string text = lowercase(node.Scalar());
        if (text == "true" || text == "yes" || text == "on") return true;
        if (text == "false" || text == "no" || text == "off") return false;
    }
    fail(node, key, "expected true or false, got " + describe(node));
}

std::int64_t NodeReader::integer(const YAML::Node& node, const std::string& key, std::int64_t min,
                                 std::int64_t max) const {
    std::int64_t value = 0;
    if (!node.IsScalar() || !parse_int(node.Scalar(), value) || value < min || value > max) {
        fail(node, key,
             "expected " + with_range("an integer", min, max) + ", got " + describe(node));
    }
    return value;
}

std::string NodeReader::string(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "expected a string, got " + describe(node));
    return node.Scalar();
}

std::vector<std::string> NodeReader::string_list(const YAML::Node& node,
                                                 const std::string& key) const {
    if (!node.IsSequence()) fail(node, key, "expected a list of strings, got " + describe(node));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < node.size(); ++i) {
        out.push_back(string(node[i], key + "[" + std::to_string(i) + "]"));
    }
    return out;
}

std::int64_t NodeReader::duration(const YAML::Node& node, const std::string& key, std::int64_t min,
                                  std::int64_t max) const {
    std::int64_t seconds = -1;
    if (node.IsScalar()) {
        std::string digits = node.Scalar();
        std::int64_t unit = 1;  // a bare integer counts seconds
        if (!digits.empty() && !std::isdigit(static_cast<unsigned char>(digits.back()))) {
            unit = seconds_per_unit(digits.back());
            digits.pop_back();
        }
        std::int64_t count = 0;
        // The overflow check keeps "9999999999999999d" an error instead of a negative number.
        if (unit > 0 && parse_int(digits, count) && count >= 0 && count <= INT64_MAX / unit) {
            seconds = count * unit;
        }
    }
    if (seconds < 0) {
        fail(node, key,
             "expected a duration such as 30 (seconds), 90s, 5m, 1h or 2d, got " + describe(node));
    }
    if (seconds < min || seconds > max) {
        fail(node, key,
             "expected " + with_range("a duration", min, max, " seconds") + ", got " +
                 describe(node));
    }
    return seconds;
}

std::string NodeReader::one_of(const YAML::Node& node, const std::string& key,
                               const std::vector<std::string>& allowed) const {
    if (node.IsScalar()) {
        const std::string value = lowercase(node.Scalar());
        if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
    }
    fail(node, key, "expected one of " + join(allowed) + ", got " + describe(node));
}

void NodeReader::expect_map(const YAML::Node& node, const std::string& key,
                            const std::vector<std::string>& known) const {
    if (!node.IsMap()) fail(node, key, "expected a map, got " + describe(node));
    std::set<std::string> seen;
    for (const auto& entry : node) {
        const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            fail(entry.first, join_key(key, name.empty() ? describe(entry.first) : name),
                 "unknown key; known keys: " + join(known));
        }
        // yaml-cpp keeps both copies of a repeated key and lookups see only the first: say so.
        if (!seen.insert(name).second) {
            fail(entry.first, join_key(key, name), "given twice; keep one of them");
        }
    }
}

YAML::Node NodeReader::require(const YAML::Node& map, const std::string& key,
                               const std::string& name, const std::string& what_to_do) const {
    const YAML::Node value = map[name];
    if (!value.IsDefined()) {
        fail_at(std::max(line_of(map), 1), join_key(key, name),
                "missing required key; " + what_to_do);
    }
    return value;
}

}  // namespace starling::config
