// SCRAM server mechanisms: the RFC 5802 and RFC 7677 test vectors, channel binding, the authzid
// rule, unknown accounts and malformed messages.
#include "stream/sasl.hpp"
#include "stream/scram_mechanism.hpp"

#include "scram_test_client.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>

using namespace starling::sasl;

namespace {

const std::string domain = "example.test";

std::string decode(std::string_view text) {
    return base64_decode(text).value();
}

void assert_status(Status expected, const Step& step) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE("condition: " + step.condition + ", text: " + step.text,
                                 static_cast<int>(expected), static_cast<int>(step.status));
}

void assert_failure(const std::string& condition, const Step& step) {
    assert_status(Status::failure, step);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(step.text, condition, step.condition);
    CPPUNIT_ASSERT(!step.text.empty());
}

ChannelBindings tls_bindings() {
    ChannelBindings bindings;
    bindings.data["tls-exporter"] = std::string("\x01\x02exporter-bytes\x00\xff", 18);
    bindings.data["tls-server-end-point"] = "certificate-hash";
    bindings.plus_offered = true;
    return bindings;
}

// Runs a whole exchange with `client` against an account with password `account_password`
// (or no account when it is null) and returns the final step.
Step run(Mechanism& mechanism, scram_test::Client& client, const char* account_password) {
    const Step first = mechanism.start(client.client_first());
    if (first.status != Status::need_secret) return first;
    std::optional<ScramSecret> secret;
    if (account_password) secret = make_secret(client.hash, account_password);
    const Step challenge = mechanism.resume(secret);
    if (challenge.status != Status::challenge) return challenge;
    return mechanism.step(client.client_final(challenge.data));
}

}  // namespace

class ScramTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ScramTest);
    CPPUNIT_TEST(rfc5802_sha1_vector);
    CPPUNIT_TEST(rfc7677_sha256_vector);
    CPPUNIT_TEST(sha512_round_trip);
    CPPUNIT_TEST(every_hash_and_plus_variant_round_trips);
    CPPUNIT_TEST(random_server_nonce_extends_the_client_nonce);
    CPPUNIT_TEST(wrong_password_is_not_authorized);
    CPPUNIT_TEST(unknown_user_fails_at_the_final_step);
    CPPUNIT_TEST(authzid_must_be_the_own_bare_jid);
    CPPUNIT_TEST(username_is_decoded_and_prepared);
    CPPUNIT_TEST(plus_with_each_binding_type);
    CPPUNIT_TEST(plus_with_wrong_binding_data_fails);
    CPPUNIT_TEST(plus_with_unavailable_binding_type_fails);
    CPPUNIT_TEST(y_flag_is_a_downgrade_when_plus_was_offered);
    CPPUNIT_TEST(binding_flag_must_fit_the_mechanism);
    CPPUNIT_TEST(malformed_client_first_messages);
    CPPUNIT_TEST(malformed_client_final_messages);
    CPPUNIT_TEST(empty_initial_response_gets_an_empty_challenge);
    CPPUNIT_TEST(calls_out_of_order_fail);
    CPPUNIT_TEST(unusable_secret_is_a_temporary_failure);
    CPPUNIT_TEST_SUITE_END();

public:
    void rfc5802_sha1_vector() {
        // RFC 5802 §5: user "user", password "pencil".
        const ScramSecret secret =
            derive_secret(Hash::sha1, "pencil", decode("QSXCR+Q6sek8bf92"), 4096);
        auto mechanism = make_scram_mechanism(Hash::sha1, false, domain, {}, "3rfcNHYJY1ZVvWVs7j");
        assert_status(Status::need_secret,
                      mechanism->start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
        CPPUNIT_ASSERT_EQUAL(std::string("user"), mechanism->username());
        CPPUNIT_ASSERT(mechanism->hash() == Hash::sha1);
        const Step challenge = mechanism->resume(secret);
        assert_status(Status::challenge, challenge);
        CPPUNIT_ASSERT_EQUAL(
            std::string("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
            challenge.data);
        const Step final_step = mechanism->step(
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
        assert_status(Status::success, final_step);
        CPPUNIT_ASSERT_EQUAL(std::string("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), final_step.data);
    }

    void rfc7677_sha256_vector() {
        // RFC 7677 §3: user "user", password "pencil".
        const ScramSecret secret =
            derive_secret(Hash::sha256, "pencil", decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
        auto mechanism =
            make_scram_mechanism(Hash::sha256, false, domain, {}, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        assert_status(Status::need_secret, mechanism->start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        CPPUNIT_ASSERT(mechanism->hash() == Hash::sha256);
        const Step challenge = mechanism->resume(secret);
        CPPUNIT_ASSERT_EQUAL(std::string("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                         "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
                             challenge.data);
        const Step final_step = mechanism->step(
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        assert_status(Status::success, final_step);
        CPPUNIT_ASSERT_EQUAL(std::string("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
                             final_step.data);
    }

    void sha512_round_trip() {
        const ScramSecret secret = derive_secret(Hash::sha512, "correct horse", "NaCl-salt", 5000);
        auto mechanism = make_mechanism("SCRAM-SHA-512", domain, true, {});
        CPPUNIT_ASSERT(mechanism);
        scram_test::Client client{Hash::sha512, "juliet", "correct horse"};
        assert_status(Status::need_secret, mechanism->start(client.client_first()));
        CPPUNIT_ASSERT(mechanism->hash() == Hash::sha512);
        const Step challenge = mechanism->resume(secret);
        CPPUNIT_ASSERT_EQUAL(std::string("NaCl-salt"),
                             decode(scram_test::attribute(challenge.data, 's')));
        CPPUNIT_ASSERT_EQUAL(std::string("5000"), scram_test::attribute(challenge.data, 'i'));
        const Step final_step = mechanism->step(client.client_final(challenge.data));
        assert_status(Status::success, final_step);
        CPPUNIT_ASSERT_EQUAL(client.expected_server_final, final_step.data);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2 + 88), final_step.data.size());  // 64 bytes in base64
    }

    void every_hash_and_plus_variant_round_trips() {
        const auto bindings = tls_bindings();
        for (const std::string& name : mechanism_names(true, bindings)) {
            if (name == "PLAIN") continue;
            auto mechanism = make_mechanism(name, domain, true, bindings);
            CPPUNIT_ASSERT_MESSAGE(name, mechanism != nullptr);
            scram_test::Client client{mechanism->hash(), "romeo", "s3cret"};
            if (name.ends_with("-PLUS")) {
                client.gs2_header = "p=tls-exporter,,";
                client.cb_data = bindings.data.at("tls-exporter");
            }
            const Step result = run(*mechanism, client, "s3cret");
            assert_status(Status::success, result);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, client.expected_server_final, result.data);
        }
    }

    void random_server_nonce_extends_the_client_nonce() {
        auto first = make_mechanism("SCRAM-SHA-256", domain, false, {});
        auto second = make_mechanism("SCRAM-SHA-256", domain, false, {});
        first->start("n,,n=juliet,r=abc");
        second->start("n,,n=juliet,r=abc");
        const std::string a = scram_test::attribute(first->resume(std::nullopt).data, 'r');
        const std::string b = scram_test::attribute(second->resume(std::nullopt).data, 'r');
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), a.substr(0, 3));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3 + 32), a.size());  // 24 random bytes in base64
        CPPUNIT_ASSERT(a != b);
    }

    void wrong_password_is_not_authorized() {
        auto mechanism = make_mechanism("SCRAM-SHA-256", domain, true, {});
        scram_test::Client client{Hash::sha256, "juliet", "wrong"};
        assert_failure("not-authorized", run(*mechanism, client, "right"));
    }

    void unknown_user_fails_at_the_final_step() {
        scram_test::Client client{Hash::sha256, "nobody", "guess"};
        auto mechanism = make_mechanism("SCRAM-SHA-256", domain, true, {});
        assert_status(Status::need_secret, mechanism->start(client.client_first()));
        const Step challenge = mechanism->resume(std::nullopt);
        // The challenge looks like a real account's: a 16-byte salt and the default iterations.
        assert_status(Status::challenge, challenge);
        const std::string salt = decode(scram_test::attribute(challenge.data, 's'));
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), salt.size());
        CPPUNIT_ASSERT_EQUAL(std::string("4096"), scram_test::attribute(challenge.data, 'i'));
        assert_failure("not-authorized", mechanism->step(client.client_final(challenge.data)));

        // Asking again gives the same salt, as a real account would; another name another salt.
        auto again = make_mechanism("SCRAM-SHA-256", domain, true, {});
        again->start(client.client_first());
        CPPUNIT_ASSERT_EQUAL(salt, decode(scram_test::attribute(again->resume({}).data, 's')));
        auto other = make_mechanism("SCRAM-SHA-256", domain, true, {});
        other->start("n,,n=somebody,r=abc");
        CPPUNIT_ASSERT(salt != decode(scram_test::attribute(other->resume({}).data, 's')));
    }

    void authzid_must_be_the_own_bare_jid() {
        auto mismatch = make_mechanism("SCRAM-SHA-1", domain, false, {});
        assert_failure("invalid-authzid", mismatch->start("n,a=romeo@example.test,n=juliet,r=abc"));
        auto other_domain = make_mechanism("SCRAM-SHA-1", domain, false, {});
        assert_failure("invalid-authzid",
                       other_domain->start("n,a=juliet@example.org,n=juliet,r=abc"));
        auto full_jid = make_mechanism("SCRAM-SHA-1", domain, false, {});
        assert_failure("invalid-authzid",
                       full_jid->start("n,a=juliet@example.test/balcony,n=juliet,r=abc"));

        // Compared prepared: case differences do not matter.
        scram_test::Client client{Hash::sha256, "juliet", "pencil"};
        client.gs2_header = "n,a=Juliet@EXAMPLE.test,";
        auto matching = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_status(Status::success, run(*matching, client, "pencil"));
    }

    void username_is_decoded_and_prepared() {
        auto escaped = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_status(Status::need_secret, escaped->start("n,,n=a=2Cb=3Dc,r=abc"));
        CPPUNIT_ASSERT_EQUAL(std::string("a,b=c"), escaped->username());
        auto upper = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_status(Status::need_secret, upper->start("n,,n=Juliet,r=abc"));
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), upper->username());
        // SASLprep maps SOFT HYPHEN to nothing.
        auto hyphen = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_status(Status::need_secret, hyphen->start("n,,n=jul\xc2\xad"
                                                         "iet,r=abc"));
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), hyphen->username());
        // A username that cannot be a JID localpart fails without asking for a secret.
        auto invalid = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_failure("not-authorized", invalid->start("n,,n=jul iet,r=abc"));
        auto control = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_failure("not-authorized", control->start("n,,n=jul\x07iet,r=abc"));

        // The escaped name authenticates, the AuthMessage keeping the name as sent.
        scram_test::Client client{Hash::sha256, "Juliet=2Cx", "pencil"};
        auto mechanism = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_status(Status::success, run(*mechanism, client, "pencil"));
        CPPUNIT_ASSERT_EQUAL(std::string("juliet,x"), mechanism->username());
    }

    void plus_with_each_binding_type() {
        const auto bindings = tls_bindings();
        for (const std::string type : {"tls-exporter", "tls-server-end-point"}) {
            auto mechanism = make_mechanism("SCRAM-SHA-256-PLUS", domain, true, bindings);
            scram_test::Client client{Hash::sha256, "juliet", "pencil"};
            client.gs2_header = "p=" + type + ",,";
            client.cb_data = bindings.data.at(type);
            const Step result = run(*mechanism, client, "pencil");
            assert_status(Status::success, result);
            CPPUNIT_ASSERT_EQUAL(client.expected_server_final, result.data);
        }
    }

    void plus_with_wrong_binding_data_fails() {
        const auto bindings = tls_bindings();
        auto mechanism = make_mechanism("SCRAM-SHA-256-PLUS", domain, true, bindings);
        scram_test::Client client{Hash::sha256, "juliet", "pencil"};
        client.gs2_header = "p=tls-exporter,,";
        client.cb_data = "the other connection's exporter";
        assert_failure("not-authorized", run(*mechanism, client, "pencil"));

        // The binding data of the other type does not do either.
        auto swapped = make_mechanism("SCRAM-SHA-256-PLUS", domain, true, bindings);
        client.cb_data = bindings.data.at("tls-server-end-point");
        assert_failure("not-authorized", run(*swapped, client, "pencil"));

        // Nor does leaving the binding data out of c=.
        auto missing = make_mechanism("SCRAM-SHA-256-PLUS", domain, true, bindings);
        client.cb_data.clear();
        assert_failure("not-authorized", run(*missing, client, "pencil"));
    }

    void plus_with_unavailable_binding_type_fails() {
        auto mechanism = make_mechanism("SCRAM-SHA-256-PLUS", domain, true, tls_bindings());
        assert_failure("invalid-mechanism", mechanism->start("p=tls-unique,,n=juliet,r=abc"));
    }

    void y_flag_is_a_downgrade_when_plus_was_offered() {
        auto offered = make_mechanism("SCRAM-SHA-256", domain, true, tls_bindings());
        assert_failure("not-authorized", offered->start("y,,n=juliet,r=abc"));

        // Without an offer, "y" is an honest client on a connection without binding.
        ChannelBindings none;
        auto not_offered = make_mechanism("SCRAM-SHA-256", domain, true, none);
        scram_test::Client client{Hash::sha256, "juliet", "pencil"};
        client.gs2_header = "y,,";
        assert_status(Status::success, run(*not_offered, client, "pencil"));

        // ...but c= must repeat the "y" header it sent.
        auto changed = make_mechanism("SCRAM-SHA-256", domain, true, none);
        assert_status(Status::need_secret, changed->start("y,,n=juliet,r=abc"));
        const Step challenge = changed->resume(make_secret(Hash::sha256, "pencil"));
        client.gs2_header = "n,,";
        const std::string forged = client.client_final(challenge.data);
        assert_failure("not-authorized", changed->step(forged));
    }

    void binding_flag_must_fit_the_mechanism() {
        auto plus_without_binding =
            make_mechanism("SCRAM-SHA-256-PLUS", domain, true, tls_bindings());
        assert_failure("malformed-request", plus_without_binding->start("n,,n=juliet,r=abc"));
        auto plus_with_y = make_mechanism("SCRAM-SHA-256-PLUS", domain, true, tls_bindings());
        assert_failure("malformed-request", plus_with_y->start("y,,n=juliet,r=abc"));
        auto binding_without_plus = make_mechanism("SCRAM-SHA-256", domain, true, tls_bindings());
        assert_failure("malformed-request",
                       binding_without_plus->start("p=tls-exporter,,n=juliet,r=abc"));
    }

    void malformed_client_first_messages() {
        const char* messages[] = {
            "n,,n=juliet",                     // no nonce
            "n,,r=abc,n=juliet",               // wrong order
            "x,,n=juliet,r=abc",               // unknown binding flag
            "p=,,n=juliet,r=abc",              // empty binding type
            "p=tls exporter,,n=juliet,r=abc",  // invalid binding type
            "n,b=x,n=juliet,r=abc",            // authzid without a=
            "n,a=,n=juliet,r=abc",             // empty authzid
            "n,a=jul=41,n=juliet,r=abc",       // bad escape in authzid
            "n,,m=ext,n=juliet,r=abc",         // mandatory extension
            "n,,n=,r=abc",                     // empty username
            "n,,n=jul=2Xiet,r=abc",            // bad escape
            "n,,n=jul=iet,r=abc",              // bare '='
            "n,,n=juliet,r=",                  // empty nonce
            "n,,n=juliet,r=a\x01"
            "b",                      // unprintable nonce
            "n,,n=juliet,r=abc,5=x",  // extension must start with a letter
            "n,,n=juliet,r=abc,",     // empty extension
            "n,n=juliet,r=abc",       // GS2 header missing a comma
            "garbage",
        };
        for (const char* message : messages) {
            auto mechanism = make_mechanism("SCRAM-SHA-256", domain, true, {});
            const Step step = mechanism->start(message);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(message, std::string("malformed-request"), step.condition);
            CPPUNIT_ASSERT(step.status == Status::failure);
        }
        // Unknown optional extensions are ignored.
        auto extended = make_mechanism("SCRAM-SHA-256", domain, true, {});
        assert_status(Status::need_secret, extended->start("n,,n=juliet,r=abc,x=future"));
    }

    void malformed_client_final_messages() {
        const std::string prefix = "c=biws,r=abcSERVER";
        const std::string proof = ",p=" + base64_encode(std::string(32, 'x'));
        const std::pair<std::string, const char*> cases[] = {
            {prefix, "malformed-request"},                                   // no proof
            {"r=abcSERVER" + proof, "malformed-request"},                    // no c=
            {"c=biws" + proof, "malformed-request"},                         // no r=
            {"c=bi!s,r=abcSERVER" + proof, "malformed-request"},             // bad base64
            {prefix + ",p=abc", "malformed-request"},                        // bad base64
            {prefix + ",p=" + base64_encode("short"), "malformed-request"},  // wrong length
            {prefix + ",p=", "malformed-request"},                           // empty proof
            {proof.substr(1) + ",c=biws,r=abcSERVER", "malformed-request"},  // proof first
            {"c=biws,r=abcOTHER" + proof, "not-authorized"},                 // nonce changed
            {"c=biws,r=abc" + proof, "not-authorized"},                      // server part gone
            {"c=" + base64_encode("n,a=x,") + ",r=abcSERVER" + proof, "not-authorized"},
            {prefix + proof, "not-authorized"},  // wrong proof
        };
        for (const auto& [message, condition] : cases) {
            auto mechanism = make_scram_mechanism(Hash::sha256, false, domain, {}, "SERVER");
            mechanism->start("n,,n=juliet,r=abc");
            assert_status(Status::challenge, mechanism->resume(make_secret(Hash::sha256, "pw")));
            const Step step = mechanism->step(message);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(message, std::string(condition), step.condition);
            CPPUNIT_ASSERT(step.status == Status::failure);
        }
    }

    void empty_initial_response_gets_an_empty_challenge() {
        auto mechanism = make_mechanism("SCRAM-SHA-1", domain, false, {});
        const Step first = mechanism->start("");
        assert_status(Status::challenge, first);
        CPPUNIT_ASSERT(first.data.empty());
        scram_test::Client client{Hash::sha1, "juliet", "pencil"};
        assert_status(Status::need_secret, mechanism->step(client.client_first()));
        const Step challenge = mechanism->resume(make_secret(Hash::sha1, "pencil"));
        assert_status(Status::success, mechanism->step(client.client_final(challenge.data)));
    }

    void calls_out_of_order_fail() {
        auto step_first = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_failure("malformed-request", step_first->step("n,,n=juliet,r=abc"));
        auto resume_first = make_mechanism("SCRAM-SHA-256", domain, false, {});
        assert_failure("malformed-request", resume_first->resume(std::nullopt));
        auto step_before_resume = make_mechanism("SCRAM-SHA-256", domain, false, {});
        step_before_resume->start("n,,n=juliet,r=abc");
        assert_failure("malformed-request", step_before_resume->step("c=biws,r=abc,p=AAAA"));

        // After a success or a failure the exchange is over.
        auto done = make_mechanism("SCRAM-SHA-256", domain, false, {});
        scram_test::Client client{Hash::sha256, "juliet", "pencil"};
        assert_status(Status::success, run(*done, client, "pencil"));
        assert_failure("malformed-request", done->step(client.client_final("r=x,s=QUFB,i=1")));
        assert_failure("malformed-request", done->start(client.client_first()));
    }

    void unusable_secret_is_a_temporary_failure() {
        auto wrong_hash = make_mechanism("SCRAM-SHA-256", domain, false, {});
        wrong_hash->start("n,,n=juliet,r=abc");
        assert_failure("temporary-auth-failure", wrong_hash->resume(make_secret(Hash::sha1, "pw")));
        auto no_iterations = make_mechanism("SCRAM-SHA-256", domain, false, {});
        no_iterations->start("n,,n=juliet,r=abc");
        ScramSecret broken = make_secret(Hash::sha256, "pw");
        broken.iterations = 0;
        assert_failure("temporary-auth-failure", no_iterations->resume(broken));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ScramTest);
