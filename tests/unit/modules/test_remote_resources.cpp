// What mod_pep keeps of remote contacts' resources: per owner, at most the bound per contact (a
// remote server names its users' resources), and a resource's caps are let go only when no owner
// here has it any more.
#include <cppunit/extensions/HelperMacros.h>

#include "remote_resources.hpp"

namespace starling::pep::test {

class RemoteResourcesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RemoteResourcesTest);
    CPPUNIT_TEST(test_initial_presence_per_owner);
    CPPUNIT_TEST(test_bounded_per_contact);
    CPPUNIT_TEST_SUITE_END();

    static Jid jid(const std::string& text) { return *Jid::parse(text); }

    void test_initial_presence_per_owner() {
        RemoteResources table;
        const auto bob = jid("bob@remote.test/phone");
        CPPUNIT_ASSERT(table.arrive("alice@example.test", bob).initial);
        CPPUNIT_ASSERT(!table.arrive("alice@example.test", bob).initial);  // a presence update
        CPPUNIT_ASSERT(table.arrive("dave@example.test", bob).initial);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), table.owners(bob.str()).size());
        CPPUNIT_ASSERT(table.resources("alice@example.test", "bob@remote.test") ==
                       std::vector<std::string>{bob.str()});
        CPPUNIT_ASSERT(table.resources("alice@example.test", "carol@remote.test").empty());

        CPPUNIT_ASSERT(!table.leave("alice@example.test", bob));  // dave still has it
        CPPUNIT_ASSERT(table.resources("alice@example.test", "bob@remote.test").empty());
        CPPUNIT_ASSERT(table.leave("dave@example.test", bob));
        CPPUNIT_ASSERT(table.owners(bob.str()).empty());
        CPPUNIT_ASSERT(!table.leave("dave@example.test", bob));  // twice: nothing to forget
    }

    void test_bounded_per_contact() {
        RemoteResources table(2);
        const std::string alice = "alice@example.test";
        table.arrive(alice, jid("bob@remote.test/1"));
        table.arrive(alice, jid("bob@remote.test/2"));
        table.arrive("dave@example.test", jid("bob@remote.test/2"));
        table.arrive(alice, jid("bob@remote.test/1"));  // now the latest: /2 is the oldest
        auto arrival = table.arrive(alice, jid("bob@remote.test/3"));
        CPPUNIT_ASSERT(arrival.initial);
        CPPUNIT_ASSERT(arrival.forgotten.empty());  // dave still has /2
        CPPUNIT_ASSERT((table.resources(alice, "bob@remote.test") ==
                        std::vector<std::string>{"bob@remote.test/1", "bob@remote.test/3"}));
        arrival = table.arrive(alice, jid("bob@remote.test/4"));
        CPPUNIT_ASSERT_EQUAL(std::string("bob@remote.test/1"), arrival.forgotten);
        // Another contact has its own bound.
        CPPUNIT_ASSERT(table.arrive(alice, jid("eve@remote.test/1")).forgotten.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), table.resources(alice, "bob@remote.test").size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RemoteResourcesTest);

}  // namespace starling::pep::test
