#pragma once
// The client side of SCRAM (RFC 5802, RFC 7677) without channel binding, over OpenSSL. The
// salted password is looked up in a process-wide cache first, as real clients keep it, so a
// login storm measures the server's PBKDF2 and not the generator's.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bench {

enum class scram_hash : std::uint8_t { sha1, sha256 };

/// Base64 without line breaks.
std::string base64_encode(std::string_view bytes);
/// Base64 decoding; nothing on invalid input.
std::optional<std::string> base64_decode(std::string_view text);
/// Random printable characters for a nonce, from OpenSSL's CSPRNG.
std::string random_nonce(std::size_t length);

/// Hi(password, salt, iterations) results by (hash, password, salt, iterations); thread-safe.
class salted_password_cache {
public:
    std::string get(scram_hash hash, std::string_view password, std::string_view salt,
                    int iterations);
    std::uint64_t computed() const;

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::string> entries_;
    std::uint64_t computed_ = 0;
};

/// One SCRAM exchange. Errors are returned as text a person can read; empty means fine.
class scram_client {
public:
    scram_client(scram_hash hash, std::string_view username, std::string_view password,
                 std::string client_nonce, salted_password_cache* cache);

    /// The client-first-message ("n,,n=user,r=nonce").
    std::string first_message() const;
    /// The client-final-message for `server_first`, or nothing with `error` set.
    std::optional<std::string> final_message(std::string_view server_first, std::string& error);
    /// Checks the server-final-message ("v=..."); false with `error` set.
    bool verify_server_final(std::string_view server_final, std::string& error) const;

private:
    scram_hash hash_;
    std::string username_;  // saslname-escaped
    std::string password_;
    std::string nonce_;
    salted_password_cache* cache_;
    std::string expected_server_signature_;
};

}  // namespace bench
