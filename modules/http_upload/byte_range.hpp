#pragma once
// The one Range a download honours (RFC 9110 §14.1.2, §14.2): a single byte range of a file of
// known size. Several ranges, or a header that is not a byte range at all, are ignored (the
// whole file is served, which the RFC allows); a range that starts past the end is 416.

#include <cstdint>
#include <string_view>

namespace starling::http_upload {

struct RangeAnswer {
    enum class Kind { whole, part, unsatisfiable };
    Kind kind = Kind::whole;
    std::uint64_t first = 0;   // for part: the first byte served
    std::uint64_t length = 0;  // for part: how many
};

RangeAnswer parse_range(std::string_view header, std::uint64_t size);

}  // namespace starling::http_upload
