#pragma once
// Counters the server and modules bump, shown by `starlingctl status`. A counter is looked up
// once (at load) and then incremented without a lock.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace starling {

class Counter {
public:
    void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

class Metrics {
public:
    Counter& counter(const std::string& name) {
        std::lock_guard lock(mutex_);
        auto& slot = counters_[name];
        if (!slot) slot = std::make_unique<Counter>();
        return *slot;
    }
    std::map<std::string, std::int64_t> snapshot() const {
        std::lock_guard lock(mutex_);
        std::map<std::string, std::int64_t> out;
        for (const auto& [name, counter] : counters_) out[name] = counter->value();
        return out;
    }

    /// Every counter in the Prometheus text format.
    std::string prometheus() const {
        std::string out;
        for (const auto& [key, value] : snapshot()) {
            std::string name = key;
            for (auto& c : name)
                if (c == '.' || c == '-') c = '_';
            out += "# TYPE starling_" + name + "_total counter\nstarling_" + name + "_total " +
                   std::to_string(value) + "\n";
        }
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Counter>> counters_;
};

}  // namespace starling
