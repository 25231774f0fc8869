// bench::scram_client against the exchanges of RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3
// (SCRAM-SHA-256), the server-signature check, the salted-password cache and base64.
#include "bench/scram_client.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

class ScramClientTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ScramClientTest);
    CPPUNIT_TEST(rfc5802_sha1_exchange);
    CPPUNIT_TEST(rfc7677_sha256_exchange);
    CPPUNIT_TEST(wrong_server_signature_is_refused);
    CPPUNIT_TEST(server_nonce_must_extend_client_nonce);
    CPPUNIT_TEST(cache_computes_each_salted_password_once);
    CPPUNIT_TEST(username_is_escaped);
    CPPUNIT_TEST(base64_round_trip);
    CPPUNIT_TEST_SUITE_END();

public:
    void rfc5802_sha1_exchange() {
        bench::scram_client client(bench::scram_hash::sha1, "user", "pencil",
                                   "fyko+d2lbbFgONRv9qkxdawL", nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"),
                             client.first_message());
        std::string error;
        auto final_message = client.final_message(
            "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", error);
        CPPUNIT_ASSERT_MESSAGE(error, final_message.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                         "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
                             *final_message);
        CPPUNIT_ASSERT_MESSAGE(error,
                               client.verify_server_final("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", error));
    }

    void rfc7677_sha256_exchange() {
        bench::salted_password_cache cache;
        bench::scram_client client(bench::scram_hash::sha256, "user", "pencil",
                                   "rOprNGfwEbeRWgbNEkqO", &cache);
        CPPUNIT_ASSERT_EQUAL(std::string("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"),
                             client.first_message());
        std::string error;
        auto final_message = client.final_message(
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            "i=4096",
            error);
        CPPUNIT_ASSERT_MESSAGE(error, final_message.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)"
                                         "hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
                             *final_message);
        CPPUNIT_ASSERT_MESSAGE(error, client.verify_server_final(
                                          "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", error));
    }

    void wrong_server_signature_is_refused() {
        bench::scram_client client(bench::scram_hash::sha1, "user", "pencil",
                                   "fyko+d2lbbFgONRv9qkxdawL", nullptr);
        std::string error;
        client.final_message(
            "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", error);
        CPPUNIT_ASSERT(!client.verify_server_final("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", error));
        CPPUNIT_ASSERT(!error.empty());
        CPPUNIT_ASSERT(!client.verify_server_final("e=invalid-proof", error));
        CPPUNIT_ASSERT(error.find("invalid-proof") != std::string::npos);
    }

    void server_nonce_must_extend_client_nonce() {
        bench::scram_client client(bench::scram_hash::sha256, "user", "pencil", "abc", nullptr);
        std::string error;
        CPPUNIT_ASSERT(!client.final_message("r=xyz123,s=QSXCR+Q6sek8bf92,i=4096", error));
        CPPUNIT_ASSERT(!client.final_message("r=abc123,s=QSXCR+Q6sek8bf92,i=0", error));
        CPPUNIT_ASSERT(!client.final_message("m=ext,r=abc123,s=QSXCR+Q6sek8bf92,i=1", error));
        CPPUNIT_ASSERT(client.final_message("r=abc123,s=QSXCR+Q6sek8bf92,i=1", error));
    }

    void cache_computes_each_salted_password_once() {
        bench::salted_password_cache cache;
        const auto a = cache.get(bench::scram_hash::sha256, "pencil", "salt", 4096);
        const auto b = cache.get(bench::scram_hash::sha256, "pencil", "salt", 4096);
        CPPUNIT_ASSERT(a == b);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), cache.computed());
        cache.get(bench::scram_hash::sha256, "pencil", "salt", 4097);
        cache.get(bench::scram_hash::sha1, "pencil", "salt", 4096);
        cache.get(bench::scram_hash::sha256, "pencil", "salu", 4096);
        cache.get(bench::scram_hash::sha256, "pencim", "salt", 4096);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), cache.computed());
    }

    void username_is_escaped() {
        bench::scram_client client(bench::scram_hash::sha256, "a,b=c", "p", "n", nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("n,,n=a=2Cb=3Dc,r=n"), client.first_message());
    }

    void base64_round_trip() {
        for (const std::string& text :
             std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
            auto decoded = bench::base64_decode(bench::base64_encode(text));
            CPPUNIT_ASSERT(decoded.has_value());
            CPPUNIT_ASSERT(*decoded == text);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("biws"), bench::base64_encode("n,,"));
        CPPUNIT_ASSERT(!bench::base64_decode("abc").has_value());
        CPPUNIT_ASSERT(!bench::base64_decode("ab!=").has_value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(24), bench::random_nonce(24).size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ScramClientTest);
