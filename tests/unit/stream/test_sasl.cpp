// SASL helpers: base64, SASLprep, secrets, the mechanism list and the mechanism registry.
#include "stream/sasl.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

using namespace starling::sasl;

class SaslTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SaslTest);
    CPPUNIT_TEST(base64_rfc4648_vectors);
    CPPUNIT_TEST(base64_rejects_invalid_input);
    CPPUNIT_TEST(saslprep_rfc4013_examples);
    CPPUNIT_TEST(hash_names);
    CPPUNIT_TEST(derived_secrets);
    CPPUNIT_TEST(made_secrets_have_fresh_salts);
    CPPUNIT_TEST(constant_time_compare);
    CPPUNIT_TEST(usernames_and_authzids);
    CPPUNIT_TEST(mechanism_names_strongest_first);
    CPPUNIT_TEST(mechanisms_by_name);
    CPPUNIT_TEST_SUITE_END();

public:
    void base64_rfc4648_vectors() {
        // RFC 4648 §10.
        const std::pair<const char*, const char*> vectors[] = {
            {"", ""},
            {"f", "Zg=="},
            {"fo", "Zm8="},
            {"foo", "Zm9v"},
            {"foob", "Zm9vYg=="},
            {"fooba", "Zm9vYmE="},
            {"foobar", "Zm9vYmFy"},
        };
        for (const auto& [raw, encoded] : vectors) {
            CPPUNIT_ASSERT_EQUAL(std::string(encoded), base64_encode(raw));
            CPPUNIT_ASSERT_EQUAL(std::string(raw), base64_decode(encoded).value());
        }
        const std::string binary("\0\xff\x10 ,=\n", 7);
        CPPUNIT_ASSERT_EQUAL(std::string("AP8QICw9Cg=="), base64_encode(binary));
        CPPUNIT_ASSERT_EQUAL(binary, base64_decode("AP8QICw9Cg==").value());
        CPPUNIT_ASSERT_EQUAL(std::string("n,,"), base64_decode("biws").value());
    }

    void base64_rejects_invalid_input() {
        const char* invalid[] = {
            "Zg=",  "Zg",        "Z===", "====", "Zm9v YmFy", " Zm9v", "Zm9v\n",
            "Zm=v", "Zm9vYmFy=", "Zh==", "Zm9=", "Zm9v!A==",  "Zm-_",  "=Zm9",
        };
        for (const char* text : invalid) {
            CPPUNIT_ASSERT_MESSAGE(text, !base64_decode(text).has_value());
        }
        CPPUNIT_ASSERT(!base64_decode(std::string("Zm9\0", 4)).has_value());
    }

    void saslprep_rfc4013_examples() {
        // RFC 4013 §3.
        CPPUNIT_ASSERT_EQUAL(std::string("IX"), saslprep("I\xc2\xadX").value());  // SOFT HYPHEN
        CPPUNIT_ASSERT_EQUAL(std::string("user"), saslprep("user").value());
        CPPUNIT_ASSERT_EQUAL(std::string("USER"), saslprep("USER").value());
        CPPUNIT_ASSERT_EQUAL(std::string("a"), saslprep("\xc2\xaa").value());       // U+00AA
        CPPUNIT_ASSERT_EQUAL(std::string("IX"), saslprep("\xe2\x85\xa8").value());  // U+2168
        CPPUNIT_ASSERT(!saslprep("\x07").has_value());                              // prohibited
        CPPUNIT_ASSERT(!saslprep("\xd8\xa7"
                                 "1")
                            .has_value());  // bidi rule
        // Non-ASCII spaces map to SPACE.
        CPPUNIT_ASSERT_EQUAL(std::string("a b"), saslprep("a\xc2\xa0"
                                                          "b")
                                                     .value());
        CPPUNIT_ASSERT_EQUAL(std::string(), saslprep("").value());
        CPPUNIT_ASSERT(!saslprep(std::string("a\0b", 3)).has_value());
        CPPUNIT_ASSERT(!saslprep("\xff").has_value());
    }

    void hash_names() {
        CPPUNIT_ASSERT_EQUAL(std::string("SHA-1"), std::string(hash_name(Hash::sha1)));
        CPPUNIT_ASSERT_EQUAL(std::string("SHA-256"), std::string(hash_name(Hash::sha256)));
        CPPUNIT_ASSERT_EQUAL(std::string("SHA-512"), std::string(hash_name(Hash::sha512)));
        Hash hash = Hash::sha1;
        CPPUNIT_ASSERT(parse_hash_name("SHA-512", hash) && hash == Hash::sha512);
        CPPUNIT_ASSERT(parse_hash_name("SHA-256", hash) && hash == Hash::sha256);
        CPPUNIT_ASSERT(parse_hash_name("SHA-1", hash) && hash == Hash::sha1);
        CPPUNIT_ASSERT(!parse_hash_name("sha-256", hash));
        CPPUNIT_ASSERT(!parse_hash_name("SHA-384", hash));
        CPPUNIT_ASSERT(hash == Hash::sha1);
    }

    void derived_secrets() {
        // RFC 7677 §3 values: SaltedPassword gives these keys for "pencil".
        const ScramSecret secret = derive_secret(
            Hash::sha256, "pencil", base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==").value(), 4096);
        CPPUNIT_ASSERT(secret.hash == Hash::sha256);
        CPPUNIT_ASSERT_EQUAL(4096, secret.iterations);
        CPPUNIT_ASSERT_EQUAL(std::string("W22ZaJ0SNY7soEsUEjb6gQ=="), base64_encode(secret.salt));
        CPPUNIT_ASSERT_EQUAL(std::string("WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="),
                             base64_encode(secret.stored_key));
        CPPUNIT_ASSERT_EQUAL(std::string("wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="),
                             base64_encode(secret.server_key));
        // Passwords are SASLprepped before hashing.
        CPPUNIT_ASSERT_EQUAL(derive_secret(Hash::sha1, "IX", "salt", 4096).stored_key,
                             derive_secret(Hash::sha1, "I\xc2\xadX", "salt", 4096).stored_key);
        CPPUNIT_ASSERT(derive_secret(Hash::sha1, "IX", "salt", 4096).stored_key !=
                       derive_secret(Hash::sha1, "IX", "salt", 4097).stored_key);
    }

    void made_secrets_have_fresh_salts() {
        const ScramSecret a = make_secret(Hash::sha256, "pencil");
        const ScramSecret b = make_secret(Hash::sha256, "pencil", 5000);
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), a.salt.size());
        CPPUNIT_ASSERT(a.salt != b.salt);
        CPPUNIT_ASSERT(a.stored_key != b.stored_key);
        CPPUNIT_ASSERT_EQUAL(4096, a.iterations);
        CPPUNIT_ASSERT_EQUAL(5000, b.iterations);
        CPPUNIT_ASSERT_EQUAL(a.stored_key,
                             derive_secret(Hash::sha256, "pencil", a.salt, 4096).stored_key);

        const auto all = make_all_secrets("pencil", 4096);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), all.size());
        const Hash hashes[] = {Hash::sha1, Hash::sha256, Hash::sha512};
        const std::size_t sizes[] = {20, 32, 64};
        for (std::size_t i = 0; i < 3; ++i) {
            CPPUNIT_ASSERT(all[i].hash == hashes[i]);
            CPPUNIT_ASSERT_EQUAL(sizes[i], all[i].stored_key.size());
            CPPUNIT_ASSERT_EQUAL(sizes[i], all[i].server_key.size());
            CPPUNIT_ASSERT_EQUAL(std::size_t(16), all[i].salt.size());
        }
        CPPUNIT_ASSERT(all[0].salt != all[1].salt);
    }

    void constant_time_compare() {
        CPPUNIT_ASSERT(equal_ct("", ""));
        CPPUNIT_ASSERT(equal_ct("abc", "abc"));
        CPPUNIT_ASSERT(!equal_ct("abc", "abd"));
        CPPUNIT_ASSERT(!equal_ct("abc", "abcd"));
        CPPUNIT_ASSERT(!equal_ct(std::string("a\0b", 3), std::string("a\0c", 3)));
    }

    void usernames_and_authzids() {
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), prepare_username("Juliet").value());
        CPPUNIT_ASSERT(!prepare_username("").has_value());
        CPPUNIT_ASSERT(!prepare_username("\xc2\xad").has_value());  // maps to nothing
        CPPUNIT_ASSERT(!prepare_username("a@b").has_value());
        CPPUNIT_ASSERT(authzid_matches("", "juliet", "example.test"));
        CPPUNIT_ASSERT(authzid_matches("JULIET@example.TEST.", "juliet", "example.test"));
        CPPUNIT_ASSERT(!authzid_matches("juliet@example.test/r", "juliet", "example.test"));
        CPPUNIT_ASSERT(!authzid_matches("example.test", "juliet", "example.test"));
        CPPUNIT_ASSERT(!authzid_matches("romeo@example.test", "juliet", "example.test"));
    }

    void mechanism_names_strongest_first() {
        ChannelBindings none;
        ChannelBindings bound;
        bound.data["tls-exporter"] = "x";
        const std::vector<std::string> plain_tcp = {"SCRAM-SHA-512", "SCRAM-SHA-256",
                                                    "SCRAM-SHA-1"};
        CPPUNIT_ASSERT(mechanism_names(false, none) == plain_tcp);
        const std::vector<std::string> tls = {"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1",
                                              "PLAIN"};
        CPPUNIT_ASSERT(mechanism_names(true, none) == tls);
        const std::vector<std::string> tls_bound = {"SCRAM-SHA-512-PLUS",
                                                    "SCRAM-SHA-256-PLUS",
                                                    "SCRAM-SHA-1-PLUS",
                                                    "SCRAM-SHA-512",
                                                    "SCRAM-SHA-256",
                                                    "SCRAM-SHA-1",
                                                    "PLAIN"};
        CPPUNIT_ASSERT(mechanism_names(true, bound) == tls_bound);
    }

    void mechanisms_by_name() {
        ChannelBindings bound;
        bound.data["tls-server-end-point"] = "x";
        const std::pair<const char*, Hash> known[] = {
            {"SCRAM-SHA-1", Hash::sha1},
            {"SCRAM-SHA-256", Hash::sha256},
            {"SCRAM-SHA-512", Hash::sha512},
            {"SCRAM-SHA-1-PLUS", Hash::sha1},
            {"SCRAM-SHA-256-PLUS", Hash::sha256},
            {"SCRAM-SHA-512-PLUS", Hash::sha512},
            {"PLAIN", Hash::sha256},
        };
        for (const auto& [name, hash] : known) {
            const auto mechanism = make_mechanism(name, "example.test", true, bound);
            CPPUNIT_ASSERT_MESSAGE(name, mechanism != nullptr);
            CPPUNIT_ASSERT(mechanism->hash() == hash);
        }
        const char* unknown[] = {"scram-sha-256",
                                 "SCRAM-SHA-384",
                                 "SCRAM-SHA-256-plus",
                                 "SCRAM-",
                                 "DIGEST-MD5",
                                 "",
                                 "SCRAM-SHA-256-PLUS-PLUS"};
        for (const char* name : unknown) {
            CPPUNIT_ASSERT_MESSAGE(name,
                                   make_mechanism(name, "example.test", true, bound) == nullptr);
        }
        // -PLUS needs channel binding data; PLAIN needs TLS.
        CPPUNIT_ASSERT(make_mechanism("SCRAM-SHA-256-PLUS", "example.test", true, {}) == nullptr);
        CPPUNIT_ASSERT(make_mechanism("PLAIN", "example.test", false, bound) == nullptr);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SaslTest);
