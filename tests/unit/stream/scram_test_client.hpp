#pragma once
// A SCRAM client for the tests, written straight from the formulas of RFC 5802 §3 with OpenSSL
// calls, so that the server is checked against an independent computation and not against its
// own helpers.

#include "stream/sasl.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>
#include <utility>

namespace scram_test {

inline const EVP_MD* md_of(starling::sasl::Hash hash) {
    switch (hash) {
    case starling::sasl::Hash::sha1: return EVP_sha1();
    case starling::sasl::Hash::sha256: return EVP_sha256();
    case starling::sasl::Hash::sha512: return EVP_sha512();
    }
    return nullptr;
}

inline std::string hmac(starling::sasl::Hash hash, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(md_of(hash), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
    return std::string(reinterpret_cast<char*>(out), size);
}

inline std::string h(starling::sasl::Hash hash, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), out, &size, md_of(hash), nullptr);
    return std::string(reinterpret_cast<char*>(out), size);
}

inline std::string hi(starling::sasl::Hash hash, std::string_view password, std::string_view salt,
                      int iterations) {
    std::string out(static_cast<std::size_t>(EVP_MD_get_size(md_of(hash))), '\0');
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, md_of(hash),
                      static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

/// Returns the value of attribute `name` ("s", "i", ...) in a server-first-message.
inline std::string attribute(std::string_view message, char name) {
    std::size_t start = 0;
    while (start <= message.size()) {
        std::size_t comma = message.find(',', start);
        if (comma == std::string_view::npos) comma = message.size();
        const std::string_view field = message.substr(start, comma - start);
        if (field.size() >= 2 && field[0] == name && field[1] == '=') {
            return std::string(field.substr(2));
        }
        start = comma + 1;
    }
    return {};
}

struct Client {
    Client(starling::sasl::Hash hash_, std::string username_, std::string password_)
        : hash(hash_), username(std::move(username_)), password(std::move(password_)) {}

    starling::sasl::Hash hash;
    std::string username;
    std::string password;
    std::string gs2_header = "n,,";
    std::string cb_data;  // appended to the GS2 header in c=
    std::string nonce = "clientnonce0123";

    std::string client_first_bare() const { return "n=" + username + ",r=" + nonce; }
    std::string client_first() const { return gs2_header + client_first_bare(); }

    /// The client-final-message for `server_first`; sets expected_server_final.
    std::string client_final(std::string_view server_first) {
        const auto salt = starling::sasl::base64_decode(attribute(server_first, 's'));
        const int iterations = std::stoi(attribute(server_first, 'i'));
        const std::string salted = hi(hash, password, salt.value_or(""), iterations);
        const std::string client_key = hmac(hash, salted, "Client Key");
        const std::string stored_key = h(hash, client_key);
        const std::string without_proof =
            "c=" + starling::sasl::base64_encode(gs2_header + cb_data) + ",r=" +
            attribute(server_first, 'r');
        const std::string auth_message =
            client_first_bare() + "," + std::string(server_first) + "," + without_proof;
        const std::string signature = hmac(hash, stored_key, auth_message);
        std::string proof = client_key;
        for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];
        const std::string server_key = hmac(hash, salted, "Server Key");
        expected_server_final =
            "v=" + starling::sasl::base64_encode(hmac(hash, server_key, auth_message));
        return without_proof + ",p=" + starling::sasl::base64_encode(proof);
    }

    std::string expected_server_final;
};

}  // namespace scram_test
