#include "byte_range.hpp"

#include <charconv>

namespace starling::http_upload {

namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Digits only: from_chars alone would take a sign.
bool parse_number(std::string_view text, std::uint64_t& value) {
    if (text.empty() || text.size() > 19) return false;
    for (const char c : text)
        if (c < '0' || c > '9') return false;
    return std::from_chars(text.data(), text.data() + text.size(), value).ec == std::errc();
}

}  // namespace

RangeAnswer parse_range(std::string_view header, std::uint64_t size) {
    using Kind = RangeAnswer::Kind;
    header = trim(header);
    constexpr std::string_view unit = "bytes=";
    if (header.size() < unit.size()) return {};
    for (std::size_t i = 0; i < unit.size(); ++i)
        if ((header[i] | 0x20) != unit[i] && header[i] != unit[i]) return {};
    const auto spec = trim(header.substr(unit.size()));
    if (spec.find(',') != std::string_view::npos) return {};
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) return {};
    const auto first_text = trim(spec.substr(0, dash));
    const auto last_text = trim(spec.substr(dash + 1));
    std::uint64_t first = 0, last = 0;
    if (first_text.empty()) {
        // A suffix: the last N bytes.
        if (!parse_number(last_text, last)) return {};
        if (last == 0 || size == 0) return {Kind::unsatisfiable};
        const auto length = last < size ? last : size;
        return {Kind::part, size - length, length};
    }
    if (!parse_number(first_text, first)) return {};
    if (last_text.empty())
        last = size == 0 ? 0 : size - 1;
    else if (!parse_number(last_text, last) || last < first)
        return {};
    if (first >= size) return {Kind::unsatisfiable};
    if (last >= size) last = size - 1;
    return {Kind::part, first, last - first + 1};
}

}  // namespace starling::http_upload
