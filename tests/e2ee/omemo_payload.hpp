#pragma once

#include <string>

namespace starling::e2ee {

/// A message body sealed the way OMEMO 0.3 (Conversations) does it: AES-128-GCM under a fresh
/// random 16-byte key and 12-byte IV. The payload is the ciphertext without its tag; the
/// 16-byte key followed by the 16-byte tag is what the ratchet encrypts for each device.
struct sealed_payload {
    std::string key_material;  ///< key || tag, 32 bytes
    std::string iv;            ///< 12 bytes
    std::string ciphertext;    ///< as long as the plaintext
};

sealed_payload seal_payload(const std::string& plaintext);

/// The plaintext, or a scenario failure if the key material is malformed or the tag does not
/// authenticate the ciphertext.
std::string open_payload(const std::string& key_material, const std::string& iv,
                         const std::string& ciphertext);

}  // namespace starling::e2ee
