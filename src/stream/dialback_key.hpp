#pragma once
// Server Dialback keys (XEP-0185, for XEP-0220): what a server sends in <db:result> to prove,
// through its authoritative server's answer to <db:verify>, that it speaks for its domain.
// Nothing is stored: the key is an HMAC of the two domains and the receiving side's stream id
// under this process's secret, so the authoritative server recomputes it to check it.

#include <string>
#include <string_view>

namespace starling::dialback {

/// HMAC-SHA256(hex(SHA256(secret)), "receiving originating stream_id"), in lowercase hex.
std::string key(std::string_view secret, std::string_view receiving, std::string_view originating,
                std::string_view stream_id);

/// Whether `given` is the key for these values (compared in constant time; case-insensitive
/// hex, surrounding whitespace ignored, as it arrives as element text).
bool valid(std::string_view given, std::string_view secret, std::string_view receiving,
           std::string_view originating, std::string_view stream_id);

}  // namespace starling::dialback
