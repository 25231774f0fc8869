#include "signal_crypto_openssl.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits>
#include <vector>

namespace starling::e2ee {
namespace {

int random_bytes(uint8_t* data, size_t len, void*) {
    if (len > static_cast<size_t>(std::numeric_limits<int>::max())) return SG_ERR_INVAL;
    return RAND_bytes(data, static_cast<int>(len)) == 1 ? 0 : SG_ERR_UNKNOWN;
}

// HMAC through the EVP_MAC interface (the HMAC_* calls are deprecated in OpenSSL 3).
int hmac_init(void** context, const uint8_t* key, size_t key_len, void*) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return SG_ERR_UNKNOWN;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (ctx == nullptr) return SG_ERR_NOMEM;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx, key, key_len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return SG_ERR_UNKNOWN;
    }
    *context = ctx;
    return 0;
}

int hmac_update(void* context, const uint8_t* data, size_t data_len, void*) {
    return EVP_MAC_update(static_cast<EVP_MAC_CTX*>(context), data, data_len) == 1 ? 0
                                                                                   : SG_ERR_UNKNOWN;
}

int hmac_final(void* context, signal_buffer** output, void*) {
    uint8_t mac[EVP_MAX_MD_SIZE];
    size_t length = 0;
    if (EVP_MAC_final(static_cast<EVP_MAC_CTX*>(context), mac, &length, sizeof mac) != 1)
        return SG_ERR_UNKNOWN;
    *output = signal_buffer_create(mac, length);
    return *output ? 0 : SG_ERR_NOMEM;
}

void hmac_cleanup(void* context, void*) {
    EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(context));
}

int sha512_init(void** context, void*) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) return SG_ERR_NOMEM;
    if (EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) != 1) {
        EVP_MD_CTX_free(ctx);
        return SG_ERR_UNKNOWN;
    }
    *context = ctx;
    return 0;
}

int sha512_update(void* context, const uint8_t* data, size_t data_len, void*) {
    return EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context), data, data_len) == 1
               ? 0
               : SG_ERR_UNKNOWN;
}

// The library calls final once per digest and may reuse the context, so it is re-initialised.
int sha512_final(void* context, signal_buffer** output, void*) {
    auto* ctx = static_cast<EVP_MD_CTX*>(context);
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx, digest, &length) != 1) return SG_ERR_UNKNOWN;
    if (EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) != 1) return SG_ERR_UNKNOWN;
    *output = signal_buffer_create(digest, length);
    return *output ? 0 : SG_ERR_NOMEM;
}

void sha512_cleanup(void* context, void*) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context));
}

const EVP_CIPHER* aes_cipher(int cipher, size_t key_len) {
    const bool ctr = cipher == SG_CIPHER_AES_CTR_NOPADDING;
    if (!ctr && cipher != SG_CIPHER_AES_CBC_PKCS5) return nullptr;
    switch (key_len) {
        case 16:
            return ctr ? EVP_aes_128_ctr() : EVP_aes_128_cbc();
        case 24:
            return ctr ? EVP_aes_192_ctr() : EVP_aes_192_cbc();
        case 32:
            return ctr ? EVP_aes_256_ctr() : EVP_aes_256_cbc();
        default:
            return nullptr;
    }
}

// One function for both directions: EVP_CipherInit_ex's `enc` flag picks encryption (1) or
// decryption (0); CBC gets PKCS#5 padding (OpenSSL's default), CTR none.
int aes_crypt(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
              const uint8_t* iv, size_t iv_len, const uint8_t* input, size_t input_len,
              int encrypt) {
    const EVP_CIPHER* evp = aes_cipher(cipher, key_len);
    if (evp == nullptr || iv_len != 16) return SG_ERR_INVAL;
    if (input_len > static_cast<size_t>(std::numeric_limits<int>::max() - 32)) return SG_ERR_INVAL;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr) return SG_ERR_NOMEM;
    std::vector<uint8_t> out(input_len + EVP_CIPHER_block_size(evp) + 16);
    int written = 0;
    int final_written = 0;
    const bool ok =
        EVP_CipherInit_ex(ctx, evp, nullptr, key, iv, encrypt) == 1 &&
        EVP_CIPHER_CTX_set_padding(ctx, cipher == SG_CIPHER_AES_CBC_PKCS5 ? 1 : 0) == 1 &&
        EVP_CipherUpdate(ctx, out.data(), &written, input, static_cast<int>(input_len)) == 1 &&
        EVP_CipherFinal_ex(ctx, out.data() + written, &final_written) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) return SG_ERR_UNKNOWN;
    *output = signal_buffer_create(out.data(), static_cast<size_t>(written + final_written));
    return *output ? 0 : SG_ERR_NOMEM;
}

int encrypt(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
            const uint8_t* iv, size_t iv_len, const uint8_t* plaintext, size_t plaintext_len,
            void*) {
    return aes_crypt(output, cipher, key, key_len, iv, iv_len, plaintext, plaintext_len, 1);
}

int decrypt(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
            const uint8_t* iv, size_t iv_len, const uint8_t* ciphertext, size_t ciphertext_len,
            void*) {
    return aes_crypt(output, cipher, key, key_len, iv, iv_len, ciphertext, ciphertext_len, 0);
}

}  // namespace

signal_crypto_provider openssl_crypto_provider() {
    signal_crypto_provider provider{};
    provider.random_func = random_bytes;
    provider.hmac_sha256_init_func = hmac_init;
    provider.hmac_sha256_update_func = hmac_update;
    provider.hmac_sha256_final_func = hmac_final;
    provider.hmac_sha256_cleanup_func = hmac_cleanup;
    provider.sha512_digest_init_func = sha512_init;
    provider.sha512_digest_update_func = sha512_update;
    provider.sha512_digest_final_func = sha512_final;
    provider.sha512_digest_cleanup_func = sha512_cleanup;
    provider.encrypt_func = encrypt;
    provider.decrypt_func = decrypt;
    provider.user_data = nullptr;
    return provider;
}

}  // namespace starling::e2ee
