#include "omemo_payload.hpp"

#include "scenario.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace starling::e2ee {
namespace {

using scenarios::require;

constexpr int key_size = 16;
constexpr int tag_size = 16;
constexpr int iv_size = 12;

struct cipher_context_free {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using cipher_context = std::unique_ptr<EVP_CIPHER_CTX, cipher_context_free>;

const unsigned char* bytes(const std::string& data) {
    return reinterpret_cast<const unsigned char*>(data.data());
}
unsigned char* bytes(std::string& data) {
    return reinterpret_cast<unsigned char*>(data.data());
}

}  // namespace

sealed_payload seal_payload(const std::string& plaintext) {
    std::string key(key_size, '\0');
    std::string iv(iv_size, '\0');
    require(RAND_bytes(bytes(key), key_size) == 1 && RAND_bytes(bytes(iv), iv_size) == 1,
            "RAND_bytes failed");
    cipher_context ctx(EVP_CIPHER_CTX_new());
    std::string ciphertext(plaintext.size(), '\0');
    std::string tag(tag_size, '\0');
    int written = 0;
    int final_written = 0;
    const bool ok =
        ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, iv_size, nullptr) == 1 &&
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(iv)) == 1 &&
        EVP_EncryptUpdate(ctx.get(), bytes(ciphertext), &written, bytes(plaintext),
                          static_cast<int>(plaintext.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx.get(), bytes(ciphertext) + written, &final_written) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size, bytes(tag)) == 1;
    require(ok, "AES-128-GCM encryption failed");
    return {key + tag, iv, ciphertext};
}

std::string open_payload(const std::string& key_material, const std::string& iv,
                         const std::string& ciphertext) {
    require(key_material.size() == key_size + tag_size, "OMEMO key material is " +
                                                            std::to_string(key_material.size()) +
                                                            " bytes, expected 32 (key and tag)");
    require(iv.size() == iv_size || iv.size() == 16,
            "OMEMO iv is " + std::to_string(iv.size()) + " bytes");
    std::string key = key_material.substr(0, key_size);
    std::string tag = key_material.substr(key_size);
    cipher_context ctx(EVP_CIPHER_CTX_new());
    std::string plaintext(ciphertext.size(), '\0');
    int written = 0;
    int final_written = 0;
    const bool ok =
        ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                            nullptr) == 1 &&
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(iv)) == 1 &&
        EVP_DecryptUpdate(ctx.get(), bytes(plaintext), &written, bytes(ciphertext),
                          static_cast<int>(ciphertext.size())) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, bytes(tag)) == 1;
    require(ok, "AES-128-GCM decryption could not start");
    // The tag is checked here: a payload changed on the way fails instead of decrypting.
    require(EVP_DecryptFinal_ex(ctx.get(), bytes(plaintext) + written, &final_written) == 1,
            "the OMEMO payload does not authenticate (GCM tag mismatch)");
    plaintext.resize(static_cast<size_t>(written + final_written));
    return plaintext;
}

}  // namespace starling::e2ee
