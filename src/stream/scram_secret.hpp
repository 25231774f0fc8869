#pragma once
// What an account stores for SCRAM: salted secrets, never the password (RFC 5802 §3).

#include <string>
#include <string_view>

namespace starling::sasl {

enum class Hash { sha1, sha256, sha512 };

/// "SHA-1", "SHA-256", "SHA-512": the names used in mechanism names and in storage.
std::string_view hash_name(Hash hash);
bool parse_hash_name(std::string_view name, Hash& out);

struct ScramSecret {
    Hash hash = Hash::sha256;
    std::string salt;        // raw bytes
    int iterations = 4096;
    std::string stored_key;  // raw bytes: H(ClientKey)
    std::string server_key;  // raw bytes: HMAC(SaltedPassword, "Server Key")
};

}  // namespace starling::sasl
