// The active instance of a module on a host while a reload has two loaded: the newest acts, the
// old one takes over again when the new one is unloaded (a failed reload), and hosts (keys) are
// apart.
#include <cppunit/extensions/HelperMacros.h>

#include "core/active_instance.hpp"

#include <memory>

namespace starling::test {

class ActiveInstanceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ActiveInstanceTest);
    CPPUNIT_TEST(test_reload_hands_over);
    CPPUNIT_TEST(test_failed_reload_keeps_the_old_one);
    CPPUNIT_TEST_SUITE_END();

    void test_reload_hands_over() {
        auto old_one = std::make_unique<ActiveInstance>("m@a.test");
        ActiveInstance other_host("m@b.test");
        CPPUNIT_ASSERT(old_one->active());
        auto new_one = std::make_unique<ActiveInstance>("m@a.test");
        // Both loaded: exactly one acts.
        CPPUNIT_ASSERT(new_one->active());
        CPPUNIT_ASSERT(!old_one->active());
        CPPUNIT_ASSERT(other_host.active());
        old_one.reset();
        CPPUNIT_ASSERT(new_one->active());
    }

    void test_failed_reload_keeps_the_old_one() {
        ActiveInstance old_one("m@c.test");
        {
            ActiveInstance rolled_back("m@c.test");
            CPPUNIT_ASSERT(!old_one.active());
        }
        CPPUNIT_ASSERT(old_one.active());
        ActiveInstance next("m@c.test");
        CPPUNIT_ASSERT(next.active());
        CPPUNIT_ASSERT(!old_one.active());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ActiveInstanceTest);

}  // namespace starling::test
