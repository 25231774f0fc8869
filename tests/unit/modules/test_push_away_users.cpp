// mod_push's memory of users who are away: the summary count, the registrations read once per
// absence (unless a change overtook the read), and that users without registrations leave
// memory once idle, while those with registrations keep their count.
#include <cppunit/extensions/HelperMacros.h>

#include "modules/push/away_users.hpp"

namespace starling::push::test {

class AwayUsersTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AwayUsersTest);
    CPPUNIT_TEST(test_counts_and_remembers);
    CPPUNIT_TEST(test_change_overtakes_a_read);
    CPPUNIT_TEST(test_idle_users_without_registrations_leave);
    CPPUNIT_TEST_SUITE_END();

    using Clock = AwayUsers::Clock;
    const storage::PushRegistration app{"push.example.test", "node1", "", 0};

    void test_counts_and_remembers() {
        AwayUsers away;
        auto first = away.note_message("juliet@example.test");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), first.count);
        CPPUNIT_ASSERT(!first.registrations);
        away.remember("juliet@example.test", first.generation, {app});
        auto second = away.note_message("juliet@example.test");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), second.count);
        CPPUNIT_ASSERT(second.registrations && second.registrations->size() == 1);
        CPPUNIT_ASSERT_EQUAL(std::string("node1"), second.registrations->front().node);
        away.back("juliet@example.test");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), away.note_message("juliet@example.test").count);
    }

    void test_change_overtakes_a_read() {
        AwayUsers away;
        auto noted = away.note_message("juliet@example.test");
        away.changed("juliet@example.test");  // committed while the read was in flight
        away.remember("juliet@example.test", noted.generation, {app});
        CPPUNIT_ASSERT(!away.note_message("juliet@example.test").registrations);
    }

    void test_idle_users_without_registrations_leave() {
        AwayUsers away;
        const auto then = Clock::now() - std::chrono::minutes(10);
        // Spam to many accounts that never come back, none with push.
        for (int i = 0; i < 100; ++i) {
            const std::string user = "user" + std::to_string(i) + "@example.test";
            auto noted = away.note_message(user, then);
            if (i % 2 == 0) away.remember(user, noted.generation, {});
        }
        auto with_push = away.note_message("juliet@example.test", then);
        away.remember("juliet@example.test", with_push.generation, {app});
        away.note_message("fresh@example.test");  // used just now: kept
        CPPUNIT_ASSERT_EQUAL(std::size_t(102), away.size());
        away.sweep(Clock::now() - std::chrono::minutes(5));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), away.size());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), away.note_message("juliet@example.test").count);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), away.note_message("fresh@example.test").count);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AwayUsersTest);

}  // namespace starling::push::test
