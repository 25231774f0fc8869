#pragma once
// The SCRAM primitives of RFC 5802 §3 over OpenSSL, shared by the SCRAM and PLAIN mechanisms and
// by secret derivation; modules use its random bytes, HMAC and hex for ids (mod_muc).

#include "stream/scram_secret.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace starling::sasl {

/// Output size of H() in bytes.
std::size_t digest_size(Hash hash);
/// H(data).
std::string digest(Hash hash, std::string_view data);
/// HMAC(key, data).
std::string hmac(Hash hash, std::string_view key, std::string_view data);
/// Hi(password, salt, iterations), i.e. PBKDF2 with HMAC-H and a digest-sized output.
std::string salted_password(Hash hash, std::string_view password, std::string_view salt,
                            int iterations);
/// Bytes from OpenSSL's CSPRNG; throws std::runtime_error when it cannot be seeded.
std::string random_bytes(std::size_t count);

/// Lowercase hexadecimal of `bytes` (ids made from random_bytes or a digest).
std::string to_hex(std::string_view bytes);

/// Overwrites key material before its memory is released.
void wipe(std::string& secret);

/// True when a stored secret can be used: a salt, iterations >= 1 and digest-sized keys.
bool usable(const ScramSecret& secret);

/// The secret used for an account that does not exist: its salt is a keyed hash of the username
/// under a per-process random key, so asking twice gives the same salt (as a real account would)
/// and the exchange fails only at the proof, like a wrong password. Its keys match no proof.
ScramSecret fake_secret(Hash hash, std::string_view username);

}  // namespace starling::sasl
