// XEP-0115 §5 verification strings and hashes, checked against the XEP's own examples (§5.2 the
// simple one, §5.3 with two identities in two languages and an extended form), and the results
// §5.4 says to refuse.
#include <cppunit/extensions/HelperMacros.h>

#include "caps.hpp"
#include "storage/stored_xml.hpp"

namespace starling::pep::test {

class CapsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CapsTest);
    CPPUNIT_TEST(test_simple_example);
    CPPUNIT_TEST(test_complex_example_with_form);
    CPPUNIT_TEST(test_ill_formed_results);
    CPPUNIT_TEST(test_cache_is_bounded);
    CPPUNIT_TEST_SUITE_END();

    static std::optional<std::string> ver(const std::string& query,
                                          const std::string& hash = "sha-1") {
        auto element = storage::parse_stored_xml(query, "");
        CPPUNIT_ASSERT(element);
        return caps_ver(*element, hash);
    }

    void test_simple_example() {
        const std::string query =
            "<query xmlns='http://jabber.org/protocol/disco#info'>"
            "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
            "<feature var='http://jabber.org/protocol/disco#info'/>"
            "<feature var='http://jabber.org/protocol/disco#items'/>"
            "<feature var='http://jabber.org/protocol/muc'/>"
            "<feature var='http://jabber.org/protocol/caps'/></query>";
        CPPUNIT_ASSERT_EQUAL(std::string("QgayPKawpkPSDYmwT/WM94uAlu0="), ver(query).value_or(""));
        CPPUNIT_ASSERT(!ver(query, "md4"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(44), ver(query, "sha-256").value_or("").size());
    }

    void test_complex_example_with_form() {
        const std::string query =
            "<query xmlns='http://jabber.org/protocol/disco#info'>"
            "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
            "<identity xml:lang='el' category='client' name='\xce\xa8 0.11' type='pc'/>"
            "<feature var='http://jabber.org/protocol/caps'/>"
            "<feature var='http://jabber.org/protocol/disco#info'/>"
            "<feature var='http://jabber.org/protocol/disco#items'/>"
            "<feature var='http://jabber.org/protocol/muc'/>"
            "<x xmlns='jabber:x:data' type='result'>"
            "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value>"
            "</field><field var='ip_version'><value>ipv4</value><value>ipv6</value></field>"
            "<field var='os'><value>Mac</value></field>"
            "<field var='os_version'><value>10.5.1</value></field>"
            "<field var='software'><value>Psi</value></field>"
            "<field var='software_version'><value>0.11</value></field></x></query>";
        CPPUNIT_ASSERT_EQUAL(std::string("q07IKJEyjvHSyhy//CH0CxmKi8w="), ver(query).value_or(""));
    }

    void test_ill_formed_results() {
        CPPUNIT_ASSERT(
            !ver("<query xmlns='http://jabber.org/protocol/disco#info'>"
                 "<feature var='a'/><feature var='a'/></query>"));
        CPPUNIT_ASSERT(
            !ver("<query xmlns='http://jabber.org/protocol/disco#info'>"
                 "<identity category='client' type='pc'/>"
                 "<identity category='client' type='pc'/></query>"));
        const std::string form =
            "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' "
            "type='hidden'><value>urn:x</value></field></x>";
        CPPUNIT_ASSERT(!ver("<query xmlns='http://jabber.org/protocol/disco#info'>" + form + form +
                            "</query>"));
    }

    // A client that advertises a fresh ver with every presence cannot grow the cache past its
    // bound: the oldest keys go, the newest stay, and a resource keeps the features it has.
    void test_cache_is_bounded() {
        CapsCache cache(3);
        for (int i = 0; i < 5; ++i) {
            cache.store("sha-1 v" + std::to_string(i), {"f" + std::to_string(i)});
            cache.reject("sha-1 bad" + std::to_string(i));
        }
        cache.store("sha-1 v4", {"f4", "again"});  // known already: replaced, nothing evicted
        CPPUNIT_ASSERT(!cache.known("sha-1 v0"));
        CPPUNIT_ASSERT(!cache.known("sha-1 v1"));
        for (int i = 2; i < 5; ++i) CPPUNIT_ASSERT(cache.known("sha-1 v" + std::to_string(i)));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), cache.known("sha-1 v4")->size());
        CPPUNIT_ASSERT(!cache.rejected("sha-1 bad0"));
        CPPUNIT_ASSERT(!cache.rejected("sha-1 bad1"));
        for (int i = 2; i < 5; ++i) CPPUNIT_ASSERT(cache.rejected("sha-1 bad" + std::to_string(i)));

        CapsCache small(1);
        small.store("k1", {"x"});
        small.set_session("a@example.test/r", "k1", small.known("k1"));
        small.store("k2", {"y"});
        CPPUNIT_ASSERT(!small.known("k1"));
        CPPUNIT_ASSERT(small.session_features("a@example.test/r"));
        CPPUNIT_ASSERT(small.session_features("a@example.test/r")->count("x"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CapsTest);

}  // namespace starling::pep::test
