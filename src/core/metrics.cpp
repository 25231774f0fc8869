#include "core/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace starling {

struct Metrics::Family {
    std::string_view type;
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::unique_ptr<Histogram> histogram;
    std::map<std::uint64_t, SampleSource> sources;  // callback gauges, by registration
};

namespace {

// Prometheus names allow [a-zA-Z0-9_:]; ours are dotted ("mam.archived") and some hyphenated.
std::string exposition_name(const std::string& name) {
    std::string out = "starling_" + name;
    std::replace(out.begin(), out.end(), '.', '_');
    std::replace(out.begin(), out.end(), '-', '_');
    return out;
}

// The exposition format escapes backslash and newline in HELP, and the double quote as well in
// a label value.
void append_escaped(std::string& out, const std::string& text, bool in_quotes) {
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && in_quotes)
            out += "\\\"";
        else
            out += c;
    }
}

std::string label_text(const Labels& labels) {
    if (labels.empty()) return {};
    std::string out = "{";
    for (const auto& [name, value] : labels) {
        if (out.size() > 1) out += ',';
        out += name + "=\"";
        append_escaped(out, value, true);
        out += '"';
    }
    return out + "}";
}

// The format's floats, as Go's ParseFloat reads them.
std::string number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()))
        throw std::logic_error("metrics: a histogram's bounds must ascend");
}

void Histogram::observe(double value) {
    // A bucket counts the values up to and including its bound (Prometheus' "le").
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::counts() const {
    std::vector<std::uint64_t> out;
    out.reserve(counts_.size());
    for (const auto& count : counts_) out.push_back(count.load(std::memory_order_relaxed));
    return out;
}

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Family& Metrics::family(const std::string& name, std::string_view type,
                                 const std::string& help) {
    auto& slot = families_[name];
    if (!slot) slot = std::make_unique<Family>(Family{type, {}, {}, {}, {}, {}});
    if (slot->type != type)
        throw std::logic_error("metrics: '" + name + "' is a " + std::string(slot->type) +
                               ", not a " + std::string(type));
    if (slot->help.empty()) slot->help = help;
    return *slot;
}

Counter& Metrics::counter(const std::string& name, const Labels& labels, const std::string& help) {
    std::lock_guard lock(mutex_);
    auto& slot = family(name, "counter", help).counters[labels];
    if (!slot) slot = std::make_unique<Counter>();
    return *slot;
}

Gauge& Metrics::gauge(const std::string& name, const Labels& labels, const std::string& help) {
    std::lock_guard lock(mutex_);
    auto& slot = family(name, "gauge", help).gauges[labels];
    if (!slot) slot = std::make_unique<Gauge>();
    return *slot;
}

Histogram& Metrics::histogram(const std::string& name, const std::vector<double>& bounds,
                              const std::string& help) {
    std::lock_guard lock(mutex_);
    auto& slot = family(name, "histogram", help).histogram;
    if (!slot) slot = std::make_unique<Histogram>(bounds);
    if (slot->bounds() != bounds)
        throw std::logic_error("metrics: '" + name + "' has other bounds already");
    return *slot;
}

Registration Metrics::gauge_callback(const std::string& name, SampleSource source,
                                     const std::string& help) {
    std::lock_guard lock(mutex_);
    const auto id = next_source_++;
    family(name, "gauge", help).sources.emplace(id, std::move(source));
    return Registration([this, name, id] {
        std::lock_guard lock(mutex_);
        const auto it = families_.find(name);
        it->second->sources.erase(id);
        // A family nothing feeds any more is not exposed as if it were still measured.
        if (it->second->sources.empty() && it->second->gauges.empty()) families_.erase(it);
    });
}

namespace {

// A gauge family's samples, its own gauges and its callbacks' together, sorted by labels.
template <typename Family>
std::vector<std::pair<Labels, std::string>> gauge_samples(const Family& family) {
    std::vector<std::pair<Labels, std::string>> out;
    for (const auto& [labels, gauge] : family.gauges)
        out.emplace_back(labels, std::to_string(gauge->value()));
    for (const auto& [id, source] : family.sources)
        for (auto& sample : source())
            out.emplace_back(std::move(sample.labels), number(sample.value));
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

}  // namespace

std::map<std::string, std::int64_t> Metrics::snapshot() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::int64_t> out;
    for (const auto& [name, family] : families_) {
        for (const auto& [labels, counter] : family->counters)
            out[name + label_text(labels)] = counter->value();
        for (const auto& [labels, gauge] : family->gauges)
            out[name + label_text(labels)] = gauge->value();
        for (const auto& [id, source] : family->sources)
            for (const auto& sample : source())
                out[name + label_text(sample.labels)] = std::llround(sample.value);
    }
    return out;
}

std::string Metrics::prometheus() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, const Family*>> sorted;
    for (const auto& [name, family] : families_) {
        auto exposed = exposition_name(name);
        if (family->type == "counter") exposed += "_total";
        sorted.emplace_back(std::move(exposed), family.get());
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });

    std::string out;
    for (const auto& [name, family] : sorted) {
        if (!family->help.empty()) {
            out += "# HELP " + name + " ";
            append_escaped(out, family->help, false);
            out += '\n';
        }
        out += "# TYPE " + name + " " + std::string(family->type) + "\n";
        for (const auto& [labels, counter] : family->counters)
            out += name + label_text(labels) + " " + std::to_string(counter->value()) + "\n";
        for (const auto& [labels, value] : gauge_samples(*family))
            out += name + label_text(labels) + " " + value + "\n";
        if (const auto* histogram = family->histogram.get()) {
            const auto counts = histogram->counts();
            // Prometheus buckets are cumulative; the +Inf bucket is the count, so the two agree
            // however observations raced this read.
            std::uint64_t total = 0;
            for (std::size_t i = 0; i < histogram->bounds().size(); ++i) {
                total += counts[i];
                out += name + "_bucket{le=\"" + number(histogram->bounds()[i]) + "\"} " +
                       std::to_string(total) + "\n";
            }
            total += counts.back();
            out += name + "_bucket{le=\"+Inf\"} " + std::to_string(total) + "\n";
            out += name + "_sum " + number(histogram->sum()) + "\n";
            out += name + "_count " + std::to_string(total) + "\n";
        }
    }
    return out;
}

}  // namespace starling
