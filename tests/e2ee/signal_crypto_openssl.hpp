#pragma once

#include <signal_protocol.h>

namespace starling::e2ee {

/// The crypto provider libsignal-protocol-c asks the application for, built on OpenSSL 3:
/// a CSPRNG, HMAC-SHA256, SHA-512 and AES in CTR (no padding) and CBC (PKCS#5) modes with
/// 128-, 192- or 256-bit keys. The library keeps a copy of the struct, so a temporary will do.
signal_crypto_provider openssl_crypto_provider();

}  // namespace starling::e2ee
