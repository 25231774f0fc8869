#pragma once

#include <string>

namespace starling::scenarios {

/// A certificate and its private key, both PEM files.
struct certificate_files {
    std::string certificate;
    std::string key;
};

/// Generates a self-signed EC certificate for `domain` (CN and subjectAltName) into `dir`.
certificate_files make_self_signed_certificate(const std::string& dir, const std::string& domain);

/// Generates a private certificate authority (a self-signed CA certificate) into `dir`.
certificate_files make_test_ca(const std::string& dir);

/// Generates a certificate for `domain` (subjectAltName DNS:domain) signed by `ca`, into `dir`,
/// valid for `days` from now (-1: it expired a day ago).
certificate_files make_signed_certificate(const std::string& dir, const certificate_files& ca,
                                          const std::string& domain, int days = 2);

}  // namespace starling::scenarios
