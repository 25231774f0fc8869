// Dialback keys against XEP-0185's worked example, and what changes them.
#include "stream/dialback_key.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace dialback = starling::dialback;

class DialbackKeyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DialbackKeyTest);
    CPPUNIT_TEST(key_of_the_xep_example);
    CPPUNIT_TEST(every_input_changes_the_key);
    CPPUNIT_TEST(validation_takes_element_text);
    CPPUNIT_TEST_SUITE_END();

    // XEP-0185 §4: receiving xmpp.example.com, originating example.org, stream D60000229F.
    static constexpr const char* secret = "s3cr3tf0rd14lb4ck";
    static constexpr const char* expected =
        "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643";

public:
    void key_of_the_xep_example() {
        CPPUNIT_ASSERT_EQUAL(std::string(expected), dialback::key(secret, "xmpp.example.com",
                                                                  "example.org", "D60000229F"));
    }

    void every_input_changes_the_key() {
        const std::string base =
            dialback::key(secret, "xmpp.example.com", "example.org", "D60000229F");
        CPPUNIT_ASSERT(base !=
                       dialback::key("other", "xmpp.example.com", "example.org", "D60000229F"));
        CPPUNIT_ASSERT(base !=
                       dialback::key(secret, "example.org", "xmpp.example.com", "D60000229F"));
        CPPUNIT_ASSERT(base !=
                       dialback::key(secret, "xmpp.example.com", "example.org", "D60000229G"));
        // The space between the parts keeps "example.in"+"form.example.org" apart from
        // "example.info"+"rm.example.org".
        CPPUNIT_ASSERT(dialback::key(secret, "example.in", "form.example.org", "1") !=
                       dialback::key(secret, "example.info", "rm.example.org", "1"));
    }

    void validation_takes_element_text() {
        const std::string upper =
            "\n  37C69B1CF07A3F67C04A5EF5902FA5114F2C76FE4A2686482BA5B89323075643 \n";
        CPPUNIT_ASSERT(
            dialback::valid(upper, secret, "xmpp.example.com", "example.org", "D60000229F"));
        CPPUNIT_ASSERT(
            !dialback::valid(expected, secret, "xmpp.example.com", "example.org", "other"));
        CPPUNIT_ASSERT(!dialback::valid(std::string(expected).substr(0, 63), secret,
                                        "xmpp.example.com", "example.org", "D60000229F"));
        CPPUNIT_ASSERT(
            !dialback::valid("", secret, "xmpp.example.com", "example.org", "D60000229F"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DialbackKeyTest);
