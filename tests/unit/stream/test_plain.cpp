// The PLAIN mechanism (RFC 4616) checked against SCRAM-SHA-256 secrets.
#include "stream/sasl.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using namespace starling::sasl;

namespace {

const std::string domain = "example.test";

std::string message(std::string_view authzid, std::string_view authcid, std::string_view password) {
    std::string out(authzid);
    out += '\0';
    out += authcid;
    out += '\0';
    out += password;
    return out;
}

std::unique_ptr<Mechanism> plain() {
    auto mechanism = make_mechanism("PLAIN", domain, true, {});
    CPPUNIT_ASSERT(mechanism != nullptr);
    return mechanism;
}

// Starts with `response` and resumes with the account's secret for `account_password` (or no
// account when null).
Step login(Mechanism& mechanism, const std::string& response, const char* account_password) {
    const Step first = mechanism.start(response);
    if (first.status != Status::need_secret) return first;
    std::optional<ScramSecret> secret;
    if (account_password) secret = make_secret(Hash::sha256, account_password);
    return mechanism.resume(secret);
}

void assert_failure(const std::string& condition, const Step& step) {
    CPPUNIT_ASSERT_EQUAL_MESSAGE(step.text, static_cast<int>(Status::failure),
                                 static_cast<int>(step.status));
    CPPUNIT_ASSERT_EQUAL(condition, step.condition);
}

}  // namespace

class PlainTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PlainTest);
    CPPUNIT_TEST(correct_password_succeeds);
    CPPUNIT_TEST(wrong_password_and_unknown_user_are_not_authorized);
    CPPUNIT_TEST(authzid_must_be_the_own_bare_jid);
    CPPUNIT_TEST(username_and_password_are_prepared);
    CPPUNIT_TEST(empty_initial_response_gets_an_empty_challenge);
    CPPUNIT_TEST(malformed_messages);
    CPPUNIT_TEST(refused_without_tls);
    CPPUNIT_TEST(unusable_secret_is_a_temporary_failure);
    CPPUNIT_TEST_SUITE_END();

public:
    void correct_password_succeeds() {
        auto mechanism = plain();
        const Step first = mechanism->start(message("", "juliet", "pencil"));
        CPPUNIT_ASSERT(first.status == Status::need_secret);
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), mechanism->username());
        CPPUNIT_ASSERT(mechanism->hash() == Hash::sha256);
        const Step result = mechanism->resume(make_secret(Hash::sha256, "pencil"));
        CPPUNIT_ASSERT(result.status == Status::success);
        CPPUNIT_ASSERT(result.data.empty());
        // After the outcome the exchange is over.
        assert_failure("malformed-request", mechanism->step(message("", "juliet", "pencil")));
    }

    void wrong_password_and_unknown_user_are_not_authorized() {
        auto wrong = plain();
        assert_failure("not-authorized", login(*wrong, message("", "juliet", "Pencil"), "pencil"));
        auto unknown = plain();
        assert_failure("not-authorized", login(*unknown, message("", "nobody", "pencil"), nullptr));
    }

    void authzid_must_be_the_own_bare_jid() {
        auto own = plain();
        CPPUNIT_ASSERT(
            login(*own, message("Juliet@Example.TEST", "juliet", "pencil"), "pencil").status ==
            Status::success);
        auto other = plain();
        assert_failure("invalid-authzid",
                       other->start(message("romeo@example.test", "juliet", "pencil")));
        auto resource = plain();
        assert_failure("invalid-authzid",
                       resource->start(message("juliet@example.test/r", "juliet", "pencil")));
        auto garbage = plain();
        assert_failure("invalid-authzid", garbage->start(message("@@", "juliet", "pencil")));
    }

    void username_and_password_are_prepared() {
        auto mechanism = plain();
        // RFC 4013 §3: SOFT HYPHEN maps to nothing, so "I<U+00AD>X" is the password "IX".
        const Step result = login(*mechanism, message("", "JULIET", "I\xc2\xadX"), "IX");
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), mechanism->username());
        CPPUNIT_ASSERT(result.status == Status::success);
        auto invalid = plain();
        assert_failure("not-authorized", invalid->start(message("", "jul iet", "pencil")));
    }

    void empty_initial_response_gets_an_empty_challenge() {
        auto mechanism = plain();
        const Step first = mechanism->start("");
        CPPUNIT_ASSERT(first.status == Status::challenge);
        CPPUNIT_ASSERT(first.data.empty());
        CPPUNIT_ASSERT(mechanism->step(message("", "juliet", "pencil")).status ==
                       Status::need_secret);
        CPPUNIT_ASSERT(mechanism->resume(make_secret(Hash::sha256, "pencil")).status ==
                       Status::success);
    }

    void malformed_messages() {
        const std::string cases[] = {
            std::string("juliet\0pencil", 13),             // one separator
            message("", "", "pencil"),                     // empty authcid
            message("", "juliet", ""),                     // empty password
            message("", "juliet", "pen") + '\0' + "cil",   // a fourth field
            message("", "juliet", std::string(256, 'p')),  // password over 255 octets
            message("", std::string(256, 'j'), "pencil"),
            message(std::string(256, 'a'), "juliet", "pencil"),
            "no separators at all",
        };
        for (const auto& response : cases) {
            auto mechanism = plain();
            assert_failure("malformed-request", mechanism->start(response));
        }
        // 255 octets are allowed.
        auto longest = plain();
        const std::string password(255, 'p');
        CPPUNIT_ASSERT(login(*longest, message("", "juliet", password), password.c_str()).status ==
                       Status::success);
    }

    void refused_without_tls() {
        CPPUNIT_ASSERT(make_mechanism("PLAIN", domain, false, {}) == nullptr);
    }

    void unusable_secret_is_a_temporary_failure() {
        auto mechanism = plain();
        mechanism->start(message("", "juliet", "pencil"));
        assert_failure("temporary-auth-failure",
                       mechanism->resume(make_secret(Hash::sha512, "pencil")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PlainTest);
