#pragma once

#include "process.hpp"
#include "scenario.hpp"

#include <string>
#include <vector>

namespace starling::scenarios {

/// Fails unless `result` exited with `code`; `what` names the command in the message.
inline void require_exit(const split_result& result, int code, const std::string& what) {
    require(result.exited_with(code),
            what + ": expected exit " + std::to_string(code) + ", got " + result.describe());
}

/// Fails unless `result` exited with `code` and wrote exactly `out` to standard output.
inline void require_exact(const split_result& result, int code, const std::string& out,
                          const std::string& what) {
    require_exit(result, code, what);
    require(result.out == out, what + ": expected stdout [" + out + "], got " + result.describe());
}

/// Fails unless `haystack` contains `needle`; `where` says which text it is.
inline void require_contains(const std::string& haystack, const std::string& needle,
                             const std::string& where) {
    require(haystack.find(needle) != std::string::npos,
            where + " lacks [" + needle + "]: [" + haystack + "]");
}

/// The lines of `text`, without their newlines.
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::string::size_type start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

}  // namespace starling::scenarios
