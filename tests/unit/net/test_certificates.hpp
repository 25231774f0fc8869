#pragma once
// Certificates for TLS unit tests, made with OpenSSL in memory and written as PEM files: a
// private CA, server certificates it signs (with the subjectAltNames a test asks for, valid or
// expired), and self-signed ones.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cppunit/extensions/HelperMacros.h>

#include <cstdio>
#include <memory>
#include <string>

namespace starling::net::test {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

inline Key make_key() {
    return Key(EVP_EC_gen("P-256"), EVP_PKEY_free);
}

struct CertOptions {
    std::string common_name;
    std::string alt_names;    // OpenSSL's subjectAltName syntax: "DNS:a.test,otherName:…"; or ""
    long valid_from = -3600;  // seconds from now
    long valid_until = 86400;
    bool ca = false;
};

/// A certificate for `key`, signed by `issuer` (or by itself when `issuer_key` is null).
inline Cert make_certificate(EVP_PKEY* key, const CertOptions& options, X509* issuer = nullptr,
                             EVP_PKEY* issuer_key = nullptr) {
    Cert cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), options.valid_from);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), options.valid_until);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(options.common_name.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    const auto add = [&](int nid, const std::string& value) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        CPPUNIT_ASSERT_MESSAGE(value, ext != nullptr);
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    };
    add(NID_basic_constraints, options.ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (options.ca) add(NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!options.alt_names.empty()) add(NID_subject_alt_name, options.alt_names);
    CPPUNIT_ASSERT(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return cert;
}

inline void write_pem(const std::string& path, X509* cert) {
    FILE* file = std::fopen(path.c_str(), "w");
    CPPUNIT_ASSERT(file);
    PEM_write_X509(file, cert);
    std::fclose(file);
}

inline void write_pem(const std::string& path, EVP_PKEY* key) {
    FILE* file = std::fopen(path.c_str(), "w");
    CPPUNIT_ASSERT(file);
    PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(file);
}

}  // namespace starling::net::test
