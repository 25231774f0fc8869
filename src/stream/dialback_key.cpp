#include "stream/dialback_key.hpp"

#include "stream/scram_crypto.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace starling::dialback {

std::string key(std::string_view secret, std::string_view receiving, std::string_view originating,
                std::string_view stream_id) {
    // XEP-0185 §3: the secret is hashed first (an HMAC key should be at least half the hash's
    // size) and used in its hexadecimal form, as the XEP's example does.
    const std::string hmac_key = sasl::to_hex(sasl::digest(sasl::Hash::sha256, secret));
    std::string text;
    text.reserve(receiving.size() + originating.size() + stream_id.size() + 2);
    text.append(receiving).append(" ").append(originating).append(" ").append(stream_id);
    return sasl::to_hex(sasl::hmac(sasl::Hash::sha256, hmac_key, text));
}

bool valid(std::string_view given, std::string_view secret, std::string_view receiving,
           std::string_view originating, std::string_view stream_id) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!given.empty() && space(given.front())) given.remove_prefix(1);
    while (!given.empty() && space(given.back())) given.remove_suffix(1);
    std::string lower(given);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'F' ? char(c - 'A' + 'a') : c; });
    const std::string expected = key(secret, receiving, originating, stream_id);
    return lower.size() == expected.size() &&
           CRYPTO_memcmp(lower.data(), expected.data(), expected.size()) == 0;
}

}  // namespace starling::dialback
