#include "stream/sasl.hpp"
#include "stream/scram_crypto.hpp"

namespace starling::sasl {

std::string_view hash_name(Hash hash) {
    switch (hash) {
    case Hash::sha1: return "SHA-1";
    case Hash::sha256: return "SHA-256";
    case Hash::sha512: return "SHA-512";
    }
    return "SHA-256";
}

bool parse_hash_name(std::string_view name, Hash& out) {
    for (Hash hash : {Hash::sha1, Hash::sha256, Hash::sha512}) {
        if (name == hash_name(hash)) {
            out = hash;
            return true;
        }
    }
    return false;
}

ScramSecret derive_secret(Hash hash, std::string_view password, std::string_view salt,
                          int iterations) {
    // RFC 5802 hashes Normalize(password), i.e. SASLprep. A password SASLprep refuses is used as
    // its raw bytes, as PostgreSQL and common clients do, rather than making it unusable.
    const auto prepared = saslprep(password);
    const std::string_view normalized = prepared ? std::string_view(*prepared) : password;
    std::string salted = salted_password(hash, normalized, salt, iterations);
    ScramSecret secret;
    secret.hash = hash;
    secret.salt = std::string(salt);
    secret.iterations = iterations;
    secret.stored_key = digest(hash, hmac(hash, salted, "Client Key"));
    secret.server_key = hmac(hash, salted, "Server Key");
    wipe(salted);
    return secret;
}

ScramSecret make_secret(Hash hash, std::string_view password, int iterations) {
    return derive_secret(hash, password, random_bytes(16), iterations);
}

std::vector<ScramSecret> make_all_secrets(std::string_view password, int iterations) {
    std::vector<ScramSecret> secrets;
    for (Hash hash : {Hash::sha1, Hash::sha256, Hash::sha512}) {
        secrets.push_back(make_secret(hash, password, iterations));
    }
    return secrets;
}

}  // namespace starling::sasl
