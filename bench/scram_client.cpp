#include "bench/scram_client.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>

namespace bench {
namespace {

const EVP_MD* digest_of(scram_hash hash) {
    return hash == scram_hash::sha1 ? EVP_sha1() : EVP_sha256();
}

std::string hmac(scram_hash hash, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(digest_of(hash), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
    return std::string(reinterpret_cast<char*>(out), length);
}

std::string digest(scram_hash hash, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), out, &length, digest_of(hash), nullptr);
    return std::string(reinterpret_cast<char*>(out), length);
}

std::string hi(scram_hash hash, std::string_view password, std::string_view salt, int iterations) {
    std::string out(static_cast<std::size_t>(EVP_MD_get_size(digest_of(hash))), '\0');
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, digest_of(hash),
                      static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

// RFC 5802 §5.1: ',' and '=' in a username are written =2C and =3D.
std::string saslname(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (c == ',')
            out += "=2C";
        else if (c == '=')
            out += "=3D";
        else
            out += c;
    }
    return out;
}

// The value of attribute `key` ("r", "s", "i", "v", "e") in a comma-separated SCRAM message.
std::optional<std::string_view> attribute(std::string_view message, char key) {
    while (!message.empty()) {
        const auto comma = message.find(',');
        const auto part = message.substr(0, comma);
        if (part.size() >= 2 && part[0] == key && part[1] == '=') return part.substr(2);
        if (comma == std::string_view::npos) break;
        message.remove_prefix(comma + 1);
    }
    return std::nullopt;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<const unsigned char*>(bytes.data()),
                                       static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(length));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out(3 * text.size() / 4, '\0');
    const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                       reinterpret_cast<const unsigned char*>(text.data()),
                                       static_cast<int>(text.size()));
    if (length < 0) return std::nullopt;
    // EVP_DecodeBlock counts the bytes the '=' padding stands for; drop them.
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
    out.resize(static_cast<std::size_t>(length) - padding);
    return out;
}

std::string random_nonce(std::size_t length) {
    std::string bytes(length, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(length)) != 1)
        throw std::runtime_error("OpenSSL's random generator failed");
    auto text = base64_encode(bytes);
    text.resize(length);
    // '+' and '/' are printable and legal in a nonce; only ',' is not, and base64 has none.
    return text;
}

std::string salted_password_cache::get(scram_hash hash, std::string_view password,
                                       std::string_view salt, int iterations) {
    std::string key;
    key.reserve(password.size() + salt.size() + 16);
    key += hash == scram_hash::sha1 ? '1' : '2';
    key += std::to_string(iterations);
    key += '\0';
    key += salt;
    key += '\0';
    key += password;
    {
        std::lock_guard lock(mutex_);
        if (auto found = entries_.find(key); found != entries_.end()) return found->second;
    }
    // Computed outside the lock: two threads racing on one account both compute, harmlessly.
    auto salted = hi(hash, password, salt, iterations);
    std::lock_guard lock(mutex_);
    ++computed_;
    entries_.emplace(std::move(key), salted);
    return salted;
}

std::uint64_t salted_password_cache::computed() const {
    std::lock_guard lock(mutex_);
    return computed_;
}

scram_client::scram_client(scram_hash hash, std::string_view username, std::string_view password,
                           std::string client_nonce, salted_password_cache* cache)
    : hash_(hash),
      username_(saslname(username)),
      password_(password),
      nonce_(std::move(client_nonce)),
      cache_(cache) {}

std::string scram_client::first_message() const {
    return "n,,n=" + username_ + ",r=" + nonce_;
}

std::optional<std::string> scram_client::final_message(std::string_view server_first,
                                                       std::string& error) {
    if (attribute(server_first, 'm')) {
        error = "the server requires an unsupported SCRAM extension: " + std::string(server_first);
        return std::nullopt;
    }
    const auto nonce = attribute(server_first, 'r');
    const auto salt_text = attribute(server_first, 's');
    const auto iterations_text = attribute(server_first, 'i');
    if (!nonce || !salt_text || !iterations_text) {
        error = "malformed server-first-message: " + std::string(server_first);
        return std::nullopt;
    }
    if (nonce->size() <= nonce_.size() || nonce->substr(0, nonce_.size()) != nonce_) {
        error = "the server nonce does not extend the client nonce: " + std::string(server_first);
        return std::nullopt;
    }
    int iterations = 0;
    const auto [end, parse_error] = std::from_chars(
        iterations_text->data(), iterations_text->data() + iterations_text->size(), iterations);
    const auto salt = base64_decode(*salt_text);
    if (parse_error != std::errc() || end != iterations_text->data() + iterations_text->size() ||
        iterations < 1 || !salt) {
        error = "bad salt or iteration count in server-first-message: " + std::string(server_first);
        return std::nullopt;
    }
    const std::string salted = cache_ ? cache_->get(hash_, password_, *salt, iterations)
                                      : hi(hash_, password_, *salt, iterations);
    const std::string without_proof = "c=biws,r=" + std::string(*nonce);
    const std::string auth_message =
        "n=" + username_ + ",r=" + nonce_ + "," + std::string(server_first) + "," + without_proof;
    const std::string client_key = hmac(hash_, salted, "Client Key");
    const std::string stored_key = digest(hash_, client_key);
    std::string proof = hmac(hash_, stored_key, auth_message);
    for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= client_key[i];
    expected_server_signature_ = hmac(hash_, hmac(hash_, salted, "Server Key"), auth_message);
    return without_proof + ",p=" + base64_encode(proof);
}

bool scram_client::verify_server_final(std::string_view server_final, std::string& error) const {
    if (const auto server_error = attribute(server_final, 'e')) {
        error = "the server rejected the proof: " + std::string(*server_error);
        return false;
    }
    const auto verifier = attribute(server_final, 'v');
    const auto signature = verifier ? base64_decode(*verifier) : std::nullopt;
    if (!signature || expected_server_signature_.empty() ||
        *signature != expected_server_signature_) {
        error = "the server signature does not match: " + std::string(server_final);
        return false;
    }
    return true;
}

}  // namespace bench
