#include "scram_client.hpp"

#include "scenario.hpp"

#include <map>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace starling::scenarios {
namespace {

const EVP_MD* digest_named(const std::string& hash) {
    if (hash == "SHA-1") return EVP_sha1();
    if (hash == "SHA-256") return EVP_sha256();
    if (hash == "SHA-512") return EVP_sha512();
    throw scenario_failure("unknown SCRAM hash " + hash);
}

std::string hmac(const EVP_MD* digest, const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(digest, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
    return std::string(reinterpret_cast<char*>(out), length);
}

std::string hash_of(const EVP_MD* digest, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), out, &length, digest, nullptr);
    return std::string(reinterpret_cast<char*>(out), length);
}

// "r=abc,s=xyz,i=4096" → {r: abc, s: xyz, i: 4096}
std::map<char, std::string> parse_attributes(const std::string& message) {
    std::map<char, std::string> attributes;
    std::size_t start = 0;
    while (start < message.size()) {
        std::size_t end = message.find(',', start);
        if (end == std::string::npos) end = message.size();
        std::string item = message.substr(start, end - start);
        if (item.size() >= 2 && item[1] == '=') attributes[item[0]] = item.substr(2);
        start = end + 1;
    }
    return attributes;
}

// RFC 5802 §5.1: ',' and '=' in a username are escaped.
std::string escape_username(const std::string& name) {
    std::string escaped;
    for (char c : name) {
        if (c == ',') escaped += "=2C";
        else if (c == '=') escaped += "=3D";
        else escaped += c;
    }
    return escaped;
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(length));
    return out;
}

std::string base64_decode(const std::string& text) {
    require(text.size() % 4 == 0, "invalid base64: " + text);
    std::string out(3 * text.size() / 4 + 1, '\0');
    int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(text.data()),
                                 static_cast<int>(text.size()));
    require(length >= 0, "invalid base64: " + text);
    // EVP_DecodeBlock counts padding as zero bytes.
    std::size_t padding = 0;
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
    out.resize(static_cast<std::size_t>(length) - padding);
    return out;
}

scram_client::scram_client(std::string hash, std::string username, std::string password,
                           std::string binding_type, std::string binding_data)
    : hash_(std::move(hash)),
      username_(std::move(username)),
      password_(std::move(password)),
      gs2_header_(binding_type.empty() ? "n,," : "p=" + binding_type + ",,"),
      binding_data_(std::move(binding_data)) {}

std::string scram_client::first_message() {
    unsigned char random[18];
    require(RAND_bytes(random, sizeof random) == 1, "RAND_bytes failed");
    nonce_ = base64_encode(std::string(reinterpret_cast<char*>(random), sizeof random));
    first_bare_ = "n=" + escape_username(username_) + ",r=" + nonce_;
    return gs2_header_ + first_bare_;
}

std::string scram_client::final_message(const std::string& server_first) {
    auto attributes = parse_attributes(server_first);
    const std::string& nonce = attributes['r'];
    require(nonce.rfind(nonce_, 0) == 0 && nonce.size() > nonce_.size(),
            "server nonce does not extend the client nonce: " + server_first);
    require(!attributes['s'].empty() && !attributes['i'].empty(),
            "server-first-message lacks salt or iterations: " + server_first);
    int iterations = std::stoi(attributes['i']);
    require(iterations >= 4096, "server asks for only " + attributes['i'] + " iterations");
    std::string salt = base64_decode(attributes['s']);

    const EVP_MD* digest = digest_named(hash_);
    std::string salted(static_cast<std::size_t>(EVP_MD_get_size(digest)), '\0');
    PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, digest,
                      static_cast<int>(salted.size()),
                      reinterpret_cast<unsigned char*>(salted.data()));
    std::string client_key = hmac(digest, salted, "Client Key");
    std::string stored_key = hash_of(digest, client_key);
    std::string without_proof = "c=" + base64_encode(gs2_header_ + binding_data_) + ",r=" + nonce;
    std::string auth_message = first_bare_ + "," + server_first + "," + without_proof;
    std::string signature = hmac(digest, stored_key, auth_message);
    std::string proof = client_key;
    for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];
    expected_server_signature_ =
        base64_encode(hmac(digest, hmac(digest, salted, "Server Key"), auth_message));
    return without_proof + ",p=" + base64_encode(proof);
}

bool scram_client::server_signature_valid(const std::string& server_final) const {
    return parse_attributes(server_final)['v'] == expected_server_signature_;
}

}  // namespace starling::scenarios
