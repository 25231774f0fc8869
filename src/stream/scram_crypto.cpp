#include "stream/scram_crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace starling::sasl {

namespace {

const EVP_MD* md_of(Hash hash) {
    switch (hash) {
    case Hash::sha1: return EVP_sha1();
    case Hash::sha256: return EVP_sha256();
    case Hash::sha512: return EVP_sha512();
    }
    return EVP_sha256();
}

// OpenSSL wants a non-null pointer even for zero bytes.
const unsigned char* bytes_of(std::string_view s) {
    static const unsigned char none = 0;
    return s.empty() ? &none : reinterpret_cast<const unsigned char*>(s.data());
}

const std::string& process_key() {
    static const std::string key = random_bytes(32);
    return key;
}

}  // namespace

std::size_t digest_size(Hash hash) {
    return static_cast<std::size_t>(EVP_MD_get_size(md_of(hash)));
}

std::string digest(Hash hash, std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int size = 0;
    if (EVP_Digest(bytes_of(data), data.size(), reinterpret_cast<unsigned char*>(out.data()),
                   &size, md_of(hash), nullptr) != 1) {
        throw std::runtime_error("EVP_Digest failed");
    }
    out.resize(size);
    return out;
}

std::string hmac(Hash hash, std::string_view key, std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int size = 0;
    if (!HMAC(md_of(hash), bytes_of(key), static_cast<int>(key.size()), bytes_of(data),
              data.size(), reinterpret_cast<unsigned char*>(out.data()), &size)) {
        throw std::runtime_error("HMAC failed");
    }
    out.resize(size);
    return out;
}

std::string salted_password(Hash hash, std::string_view password, std::string_view salt,
                            int iterations) {
    if (iterations < 1) throw std::invalid_argument("SCRAM iteration count must be at least 1");
    std::string out(digest_size(hash), '\0');
    if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(bytes_of(password)),
                          static_cast<int>(password.size()), bytes_of(salt),
                          static_cast<int>(salt.size()), iterations, md_of(hash),
                          static_cast<int>(out.size()),
                          reinterpret_cast<unsigned char*>(out.data())) != 1) {
        throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
    }
    return out;
}

std::string random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
        throw std::runtime_error("RAND_bytes failed: the OpenSSL CSPRNG is not seeded");
    }
    return out;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char byte : bytes) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

void wipe(std::string& secret) {
    OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

bool usable(const ScramSecret& secret) {
    const std::size_t size = digest_size(secret.hash);
    return !secret.salt.empty() && secret.iterations >= 1 && secret.stored_key.size() == size &&
           secret.server_key.size() == size;
}

ScramSecret fake_secret(Hash hash, std::string_view username) {
    std::string label(hash_name(hash));
    label += '\0';
    label += username;
    ScramSecret secret;
    secret.hash = hash;
    secret.salt = hmac(Hash::sha256, process_key(), label).substr(0, 16);
    secret.iterations = 4096;
    // Keys derived from the process key are unknown to any client, so no proof can match them.
    secret.stored_key = hmac(hash, process_key(), "stored:" + label);
    secret.server_key = hmac(hash, process_key(), "server:" + label);
    return secret;
}

}  // namespace starling::sasl
