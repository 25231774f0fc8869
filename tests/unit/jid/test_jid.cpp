// JID parsing and preparation, against the examples of RFC 7622 §3.5.
//
// Starling prepares parts with the stringprep profiles of RFC 6122 (Nodeprep, Resourceprep) as
// deployed servers do, not with RFC 7622's PRECIS profiles; where the two disagree on an RFC 7622
// example the test says so and asserts what Nodeprep does.
#include "jid/jid.hpp"

#include <cppunit/extensions/HelperMacros.h>
#include <stringprep.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_set>

using starling::Jid;

namespace {

struct Parts {
    const char* text;
    const char* local;
    const char* domain;
    const char* resource;
};

void check_parts(const Parts& expected) {
    const auto jid = Jid::parse(expected.text);
    CPPUNIT_ASSERT_MESSAGE(std::string("should parse: ") + expected.text, jid.has_value());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(expected.text, std::string(expected.local), jid->local());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(expected.text, std::string(expected.domain), jid->domain());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(expected.text, std::string(expected.resource), jid->resource());
}

void check_invalid(const std::string& text) {
    CPPUNIT_ASSERT_MESSAGE("should be refused: " + text, !Jid::parse(text).has_value());
}

}  // namespace

class JidTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JidTest);
    CPPUNIT_TEST(rfc7622_valid_examples);
    CPPUNIT_TEST(rfc7622_invalid_examples);
    CPPUNIT_TEST(rfc7622_examples_where_nodeprep_differs_from_precis);
    CPPUNIT_TEST(empty_parts_with_separator_are_invalid);
    CPPUNIT_TEST(split_order_follows_rfc7622);
    CPPUNIT_TEST(local_and_domain_fold_case_resource_keeps_it);
    CPPUNIT_TEST(domains_are_normalised);
    CPPUNIT_TEST(domains_with_forbidden_characters_are_invalid);
    CPPUNIT_TEST(ip_literals);
    CPPUNIT_TEST(parts_are_limited_to_1023_bytes);
    CPPUNIT_TEST(malformed_bytes_are_refused);
    CPPUNIT_TEST(string_forms_and_helpers);
    CPPUNIT_TEST(individual_profiles);
    CPPUNIT_TEST(ascii_fast_path_agrees_with_libidn);
    CPPUNIT_TEST_SUITE_END();

public:
    void rfc7622_valid_examples() {
        // RFC 7622 §3.5, examples 1-6, 8-10, 12-15 (7 and 11 are in the Nodeprep test below).
        const Parts examples[] = {
            {"juliet@example.com", "juliet", "example.com", ""},
            {"juliet@example.com/foo", "juliet", "example.com", "foo"},
            {"juliet@example.com/foo bar", "juliet", "example.com", "foo bar"},
            {"juliet@example.com/foo@bar", "juliet", "example.com", "foo@bar"},
            {"foo\\20bar@example.com", "foo\\20bar", "example.com", ""},
            {"fussball@example.com", "fussball", "example.com", ""},
            {"\xcf\x80@example.com", "\xcf\x80", "example.com", ""},            // π
            {"\xce\xa3@example.com/foo", "\xcf\x83", "example.com", "foo"},     // Σ -> σ
            {"\xcf\x83@example.com/foo", "\xcf\x83", "example.com", "foo"},     // σ
            {"king@example.com/\xe2\x99\x9a", "king", "example.com", "\xe2\x99\x9a"},  // ♚
            {"example.com", "", "example.com", ""},
            {"example.com/foobar", "", "example.com", "foobar"},
            {"a.example.com/b@example.net", "", "a.example.com", "b@example.net"},
        };
        for (const auto& example : examples) check_parts(example);
    }

    void rfc7622_invalid_examples() {
        // RFC 7622 §3.5, examples 16, 17, 19, 22, 23 (the others are discussed below).
        check_invalid("\"juliet\"@example.com");
        check_invalid("foo bar@example.com");
        check_invalid("@example.com/");
        check_invalid("juliet@");
        check_invalid("/foobar");
        // Also refused: a control character in the localpart and in the resourcepart.
        check_invalid("jul\x01iet@example.com");
        check_invalid("juliet@example.com/\x01");
    }

    void rfc7622_examples_where_nodeprep_differs_from_precis() {
        // Example 7: Nodeprep case-folds ß to "ss", so this is the same account as example 6.
        check_parts({"fu\xc3\x9f" "ball@example.com", "fussball", "example.com", ""});
        // Example 11: Nodeprep folds final sigma ς to σ.
        check_parts({"\xcf\x82@example.com/foo", "\xcf\x83", "example.com", "foo"});
        // Example 18 (leading space in the resourcepart) is listed as invalid, but RFC 7622 errata
        // 4560 retracts that: Resourceprep keeps ASCII spaces.
        check_parts({"juliet@example.com/ foo", "juliet", "example.com", " foo"});
        // Example 20: Nodeprep's NFKC maps ROMAN NUMERAL FOUR to "iv" instead of refusing it.
        check_parts({"henry\xe2\x85\xa3@example.com", "henryiv", "example.com", ""});
        // Example 21: symbols are not prohibited by Nodeprep.
        check_parts({"\xe2\x99\x9a@example.com", "\xe2\x99\x9a", "example.com", ""});
    }

    void empty_parts_with_separator_are_invalid() {
        check_invalid("@example.test");
        check_invalid("example.test/");
        check_invalid("juliet@example.test/");
        check_invalid("@");
        check_invalid("/");
        check_invalid("");
        check_invalid("juliet@/foo");
    }

    void split_order_follows_rfc7622() {
        check_parts({"juliet@example.com/foo/bar", "juliet", "example.com", "foo/bar"});
        check_parts({"server/resource@foo/bar", "", "server", "resource@foo/bar"});
        // The first '@' ends the localpart, so what follows is a domain containing '@'.
        check_invalid("user@host@example.com");
    }

    void local_and_domain_fold_case_resource_keeps_it() {
        check_parts({"Juliet@Example.COM/Balcony", "juliet", "example.com", "Balcony"});
        CPPUNIT_ASSERT(*Jid::parse("JULIET@EXAMPLE.COM/Balcony") ==
                       *Jid::parse("juliet@example.com/Balcony"));
        CPPUNIT_ASSERT(!(*Jid::parse("juliet@example.com/Balcony") ==
                         *Jid::parse("juliet@example.com/balcony")));
    }

    void domains_are_normalised() {
        CPPUNIT_ASSERT(*Jid::parse("EXAMPLE.test") == *Jid::parse("example.test"));
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"), Jid::parse("EXAMPLE.test")->domain());
        // A trailing dot is stripped.
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"), Jid::parse("a@example.test.")->domain());
        // A-labels and U-labels are the same domain, stored as U-labels.
        CPPUNIT_ASSERT_EQUAL(std::string("b\xc3\xbc" "cher.example"),
                             Jid::parse("xn--bcher-kva.example")->domain());
        CPPUNIT_ASSERT_EQUAL(std::string("b\xc3\xbc" "cher.example"),
                             Jid::parse("B\xc3\x9c" "cher.example")->domain());
        // A full-width full stop (U+3002) separates labels like '.'.
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"),
                             Jid::parse("example\xe3\x80\x82test")->domain());
        CPPUNIT_ASSERT_EQUAL(std::string("localhost"), Jid::parse("u@LocalHost")->domain());
    }

    void domains_with_forbidden_characters_are_invalid() {
        check_invalid("example..test");
        check_invalid(".example.test");
        check_invalid("example.test..");
        check_invalid("exa mple.test");
        check_invalid("do_main.test");
        check_invalid("-example.test");
        check_invalid("example-.test");
        check_invalid("xn--zz.test");                           // invalid punycode
        // Valid punycode whose U-label holds U+00A0 (no-break space), which IDNA2008 disallows:
        // found by jid_fuzz, whose check that a JID's string form parses again it failed.
        check_invalid("user@xn--u-a-au-a-auu-e-aubcher-kva.example");
        check_invalid("user@xn--U-a-aU-a-aUU-e-aUbcher-kva.example");
        check_invalid("host\xef\xbc\xa0" "example.test");       // full-width '@' maps to '@'
        check_invalid(std::string(64, 'a') + ".test");          // label over 63 octets
        check_invalid("[::1");
        check_invalid("[not-an-address]");
    }

    void ip_literals() {
        check_parts({"juliet@[::1]/r", "juliet", "[::1]", "r"});
        CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]"),
                             Jid::parse("[2001:DB8:0:0::1]")->domain());
        check_parts({"juliet@127.0.0.1", "juliet", "127.0.0.1", ""});
        check_parts({"192.168.1.1/x", "", "192.168.1.1", "x"});
    }

    void parts_are_limited_to_1023_bytes() {
        CPPUNIT_ASSERT(Jid::parse(std::string(1023, 'a') + "@example.test").has_value());
        check_invalid(std::string(1024, 'a') + "@example.test");
        CPPUNIT_ASSERT(Jid::parse("a@example.test/" + std::string(1023, 'r')).has_value());
        check_invalid("a@example.test/" + std::string(1024, 'r'));
        // Octets count, not characters: 512 π are 1024 octets.
        std::string pis;
        for (int i = 0; i < 512; ++i) pis += "\xcf\x80";
        check_invalid(pis + "@example.test");
        // Preparation that shrinks a part brings it under the limit: U+00AD maps to nothing.
        std::string soft_hyphens;
        for (int i = 0; i < 600; ++i) soft_hyphens += "\xc2\xad";
        CPPUNIT_ASSERT_EQUAL(std::string("ab"),
                             Jid::parse("a" + soft_hyphens + "b@example.test")->local());
    }

    void malformed_bytes_are_refused() {
        check_invalid("\xff\xfe@example.test");
        check_invalid("juliet@example.test/\xc3");
        check_invalid("juliet@exa\xffmple.test");
        check_invalid(std::string("jul\0iet@example.test", 20));
        check_invalid(std::string("juliet@example.test/a\0b", 23));
    }

    void string_forms_and_helpers() {
        const auto full = Jid::parse("Juliet@Example.com/Balcony");
        CPPUNIT_ASSERT_EQUAL(std::string("juliet@example.com/Balcony"), full->str());
        CPPUNIT_ASSERT_EQUAL(std::string("juliet@example.com"), full->bare_str());
        CPPUNIT_ASSERT(!full->is_bare());
        CPPUNIT_ASSERT(full->bare().is_bare());
        CPPUNIT_ASSERT_EQUAL(std::string("juliet@example.com"), full->bare().str());
        CPPUNIT_ASSERT_EQUAL(std::string("juliet@example.com/orchard"),
                             full->with_resource("orchard").str());
        const auto domain = Jid::parse("example.com");
        CPPUNIT_ASSERT(domain->is_domain());
        CPPUNIT_ASSERT(!full->is_domain());
        CPPUNIT_ASSERT(Jid().empty());
        CPPUNIT_ASSERT(!domain->empty());

        const auto made = Jid::make("ROMEO", "Example.NET", "Home");
        CPPUNIT_ASSERT_EQUAL(std::string("romeo@example.net/Home"), made->str());
        CPPUNIT_ASSERT(!Jid::make("foo bar", "example.net").has_value());
        CPPUNIT_ASSERT(!Jid::make("romeo", "").has_value());

        std::unordered_set<Jid> set{*Jid::parse("a@b.test"), *Jid::parse("A@B.TEST")};
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), set.size());
    }

    void individual_profiles() {
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), *starling::nodeprep("JULIET"));
        CPPUNIT_ASSERT(!starling::nodeprep("a:b").has_value());
        CPPUNIT_ASSERT(!starling::nodeprep("").has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("Balcony"), *starling::resourceprep("Balcony"));
        CPPUNIT_ASSERT_EQUAL(std::string("\xf0\x9f\x8d\xba"),
                             *starling::resourceprep("\xf0\x9f\x8d\xba"));  // 🍺
        CPPUNIT_ASSERT(!starling::resourceprep("").has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"),
                             *starling::nameprep_domain("Example.Test."));
        CPPUNIT_ASSERT(!starling::nameprep_domain(".").has_value());
    }

    // The ASCII shortcut of jid.cpp must say exactly what libidn says: each printable ASCII
    // character, alone and inside a word, through Nodeprep and Resourceprep; host names keep
    // what the IDNA2008 path gave them.
    void ascii_fast_path_agrees_with_libidn() {
        for (int c = 0x20; c <= 0x7e; ++c) {
            for (const std::string& text : {std::string(1, static_cast<char>(c)),
                                            "Ro" + std::string(1, static_cast<char>(c)) + "meo"}) {
                CPPUNIT_ASSERT_MESSAGE("Nodeprep of '" + text + "'",
                                       starling::nodeprep(text) == libidn(text, "Nodeprep"));
                CPPUNIT_ASSERT_MESSAGE(
                    "Resourceprep of '" + text + "'",
                    starling::resourceprep(text) == libidn(text, "Resourceprep"));
            }
        }
        CPPUNIT_ASSERT_EQUAL(std::string("a-b.example.test"),
                             *starling::nameprep_domain("A-B.Example.TEST"));
        for (const char* refused : {"-a.test", "a-.test", "a_b.test", "a..b", "a b.test"})
            CPPUNIT_ASSERT_MESSAGE(refused, !starling::nameprep_domain(refused));
        // An A-label is not ASCII-shortcut material: libidn2 turns it into its U-label.
        CPPUNIT_ASSERT_EQUAL(std::string("caf\xc3\xa9.test"),
                             *starling::nameprep_domain("xn--caf-dma.test"));
    }

private:
    static std::optional<std::string> libidn(const std::string& text, const char* profile) {
        char* out = nullptr;
        const int rc = stringprep_profile(text.c_str(), &out, profile, Stringprep_profile_flags(0));
        std::optional<std::string> result;
        if (rc == STRINGPREP_OK && out != nullptr && *out != '\0') result = out;
        std::free(out);
        return result;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JidTest);
