#pragma once
// XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.sss]TZD) to and from microseconds since the epoch: the
// times a client gives (a MAM query's start and end, a MUC history's since) and XEP-0203 stamps.

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace starling {

/// Microseconds since the epoch, or nullopt when `text` is not a XEP-0082 DateTime.
inline std::optional<std::int64_t> parse_datetime(std::string_view text) {
    auto digits = [&text](std::size_t at, std::size_t count) -> std::optional<int> {
        if (at + count > text.size()) return std::nullopt;
        int value = 0;
        for (std::size_t i = at; i < at + count; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    auto is = [&text](std::size_t at, char c) { return at < text.size() && text[at] == c; };
    const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
    const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || !is(4, '-') || !is(7, '-') ||
        !is(10, 'T') || !is(13, ':') || !is(16, ':'))
        return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        *second > 60)
        return std::nullopt;
    std::size_t at = 19;
    std::int64_t micros = 0;
    if (is(at, '.')) {
        ++at;
        std::size_t count = 0;
        std::int64_t scale = 100000;
        while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
            micros += (text[at] - '0') * scale;
            scale /= 10;
            ++at;
            ++count;
        }
        if (count == 0) return std::nullopt;
    }
    std::int64_t offset = 0;  // seconds east of UTC
    if (is(at, 'Z')) {
        ++at;
    } else if (is(at, '+') || is(at, '-')) {
        const bool east = text[at] == '+';
        const auto hours = digits(at + 1, 2), minutes = digits(at + 4, 2);
        if (!hours || !minutes || !is(at + 3, ':') || *hours > 23 || *minutes > 59)
            return std::nullopt;
        offset = (*hours * 3600 + *minutes * 60) * (east ? 1 : -1);
        at += 6;
    } else {
        return std::nullopt;
    }
    if (at != text.size()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    const std::int64_t seconds = timegm(&tm) - offset;
    return seconds * 1000000 + micros;
}

/// UTC with microseconds ("2026-12-02T05:59:01.123456Z"): archive order within one second
/// stays visible to a client that compares stamps.
inline std::string format_datetime(std::int64_t micros) {
    std::int64_t seconds = micros / 1000000;
    std::int64_t fraction = micros % 1000000;
    if (fraction < 0) {
        fraction += 1000000;
        --seconds;
    }
    const std::time_t t = seconds;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[40];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(text + n, sizeof text - n, ".%06lldZ", static_cast<long long>(fraction));
    return text;
}

}  // namespace starling
