#pragma once
// AES-256-GCM as OMEMO media sharing uses it (XEP-0454): the ciphertext with its 16-byte tag
// appended, and the aesgcm:// fragment of IV and key in hex. For the E2EE scenarios, which
// must show that the server stores and serves only what it cannot read.

#include "scenario.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <optional>
#include <string>

namespace starling::scenarios {

inline std::string random_string(std::size_t size) {
    std::string out(size, '\0');
    require(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) == 1,
            "RAND_bytes failed");
    return out;
}

/// Encrypts (`encrypt`) plaintext into ciphertext+tag, or decrypts ciphertext+tag; decryption
/// that fails authentication returns nullopt.
inline std::optional<std::string> aes_256_gcm(bool encrypt, const std::string& key,
                                              const std::string& iv, const std::string& input) {
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                         EVP_CIPHER_CTX_free);
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    const auto* v = reinterpret_cast<const unsigned char*>(iv.data());
    require(key.size() == 32 && iv.size() == 12, "AES-256-GCM needs a 32-byte key and a 12-byte IV");
    EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0);
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr);
    EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, k, v, encrypt ? 1 : 0);
    std::string data = input;
    std::string tag;
    if (!encrypt) {
        if (data.size() < 16) return std::nullopt;
        tag = data.substr(data.size() - 16);
        data.resize(data.size() - 16);
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data());
    }
    std::string out(data.size() + 16, '\0');
    int n = 0, last = 0;
    EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                     reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &last) != 1)
        return std::nullopt;
    out.resize(static_cast<std::size_t>(n + last));
    if (encrypt) {
        tag.resize(16);
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag.data());
        out += tag;
    }
    return out;
}

inline std::string hex(const std::string& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

inline std::string unhex(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2)
        out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
    return out;
}

inline std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

inline std::string unbase64(const std::string& text) {
    std::string out(text.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    require(n >= 0, "not base64: " + text);
    out.resize(static_cast<std::size_t>(n));
    // EVP_DecodeBlock counts the padding as zero bytes.
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) out.pop_back();
    return out;
}

}  // namespace starling::scenarios
