#include "bench/report.hpp"

#include <cmath>
#include <cstdio>

namespace bench {
namespace {

std::string format_double(double value) {
    if (!std::isfinite(value)) return "null";
    char text[64];
    std::snprintf(text, sizeof text, "%.3f", value);
    return text;
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

}  // namespace

void report::add_integer(std::string key, std::int64_t value) {
    entries_.push_back({std::move(key), value});
}

void report::add(std::string key, double value) {
    entries_.push_back({std::move(key), value});
}

void report::add(std::string key, std::string value) {
    entries_.push_back({std::move(key), std::move(value)});
}

report& report::group(std::string key) {
    auto nested = std::make_shared<report>();
    entries_.push_back({std::move(key), nested});
    return *nested;
}

std::string report::json() const {
    std::string out = "{";
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (i > 0) out += ",";
        out += json_string(entries_[i].key) + ":";
        const auto& data = entries_[i].data;
        if (auto* integer = std::get_if<std::int64_t>(&data))
            out += std::to_string(*integer);
        else if (auto* real = std::get_if<double>(&data))
            out += format_double(*real);
        else if (auto* text = std::get_if<std::string>(&data))
            out += json_string(*text);
        else
            out += std::get<std::shared_ptr<report>>(data)->json();
    }
    return out + "}";
}

void report::write_text(std::string& out, const std::string& indent) const {
    for (const auto& [key, data] : entries_) {
        out += indent + key + ":";
        if (auto* integer = std::get_if<std::int64_t>(&data))
            out += " " + std::to_string(*integer);
        else if (auto* real = std::get_if<double>(&data))
            out += " " + format_double(*real);
        else if (auto* text = std::get_if<std::string>(&data))
            out += " " + *text;
        else {
            out += "\n";
            std::get<std::shared_ptr<report>>(data)->write_text(out, indent + "  ");
            continue;
        }
        out += "\n";
    }
}

std::string report::text() const {
    std::string out;
    write_text(out, "");
    return out;
}

}  // namespace bench
