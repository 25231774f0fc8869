#pragma once

#include <string>

namespace starling::scenarios {

/// The client side of SCRAM (RFC 5802 / RFC 7677), built on OpenSSL's PBKDF2 and HMAC, so a
/// scenario can force one exact mechanism — libstrophe 0.12 always picks the strongest offered.
class scram_client {
public:
    /// `hash` is "SHA-1", "SHA-256" or "SHA-512". An empty `binding_type` means no channel
    /// binding (gs2 header "n,,"); otherwise "p=<binding_type>,," with `binding_data` (-PLUS).
    scram_client(std::string hash, std::string username, std::string password,
                 std::string binding_type = "", std::string binding_data = "");

    /// The client-first-message.
    std::string first_message();
    /// The client-final-message answering `server_first`; fails the scenario if it is malformed.
    std::string final_message(const std::string& server_first);
    /// True if `server_final` carries the server signature this exchange expects.
    bool server_signature_valid(const std::string& server_final) const;

private:
    std::string hash_;
    std::string username_;
    std::string password_;
    std::string gs2_header_;
    std::string binding_data_;
    std::string nonce_;
    std::string first_bare_;
    std::string expected_server_signature_;
};

/// Base64 with OpenSSL's encoder, no line breaks.
std::string base64_encode(const std::string& bytes);
/// Base64 decoding; fails the scenario on invalid input.
std::string base64_decode(const std::string& text);

}  // namespace starling::scenarios
