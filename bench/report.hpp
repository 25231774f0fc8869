#pragma once
// The figures of a run, in the order they were added, printed as one JSON object or as text.

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace bench {

class report {
public:
    report() = default;

    template <typename Integer>
    requires std::is_integral_v<Integer>
    void add(std::string key, Integer value) {
        add_integer(std::move(key), static_cast<std::int64_t>(value));
    }
    void add(std::string key, double value);
    void add(std::string key, std::string value);
    void add(std::string key, const char* value) { add(std::move(key), std::string(value)); }
    /// A nested object ("latency_ms": {...}); the reference stays valid while this report lives.
    report& group(std::string key);

    std::string json() const;
    std::string text() const;

private:
    void add_integer(std::string key, std::int64_t value);

    using value = std::variant<std::int64_t, double, std::string, std::shared_ptr<report>>;
    struct entry {
        std::string key;
        value data;
    };
    void write_text(std::string& out, const std::string& indent) const;

    std::vector<entry> entries_;
};

}  // namespace bench
