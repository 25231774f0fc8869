// mod_presence's ItemTurns: jobs of one key run one at a time, in order, each holding its turn
// for as long as it keeps the token (across waits for storage); other keys do not wait.
#include "modules/presence/item_turns.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

using starling::presence::ItemTurns;

namespace {

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : " ") + name;
    return out;
}

}  // namespace

class ItemTurnsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ItemTurnsTest);
    CPPUNIT_TEST(a_key_runs_one_job_at_a_time_in_order);
    CPPUNIT_TEST(other_keys_do_not_wait);
    CPPUNIT_TEST_SUITE_END();

public:
    void a_key_runs_one_job_at_a_time_in_order() {
        ItemTurns turns;
        std::vector<std::string> log;
        std::vector<ItemTurns::Turn> kept;
        for (const char* name : {"first", "second", "third"})
            turns.take("a/b", [&, name](ItemTurns::Turn turn) {
                log.emplace_back(name);
                kept.push_back(std::move(turn));  // waits for "storage"
            });
        CPPUNIT_ASSERT_EQUAL(std::string("first"), joined(log));
        // Copies of the token keep the turn: only the last one's end passes it on.
        auto copy = kept.front();
        kept.front().reset();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.size());
        copy.reset();
        CPPUNIT_ASSERT_EQUAL(std::string("first second"), joined(log));
        kept.back().reset();
        CPPUNIT_ASSERT_EQUAL(std::string("first second third"), joined(log));
        kept.back().reset();
        // A job that keeps no token lets the next one run at once.
        turns.take("a/b", [&](ItemTurns::Turn) { log.emplace_back("fourth"); });
        turns.take("a/b", [&](ItemTurns::Turn) { log.emplace_back("fifth"); });
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), log.size());
        CPPUNIT_ASSERT_EQUAL(std::string("fifth"), log.back());
    }

    void other_keys_do_not_wait() {
        ItemTurns turns;
        ItemTurns::Turn held;
        int ran = 0;
        turns.take("a/b", [&](ItemTurns::Turn turn) {
            ++ran;
            held = std::move(turn);
        });
        turns.take("b/a", [&](ItemTurns::Turn) { ++ran; });
        turns.take("a/c", [&](ItemTurns::Turn) { ++ran; });
        CPPUNIT_ASSERT_EQUAL(3, ran);
        turns.take("a/b", [&](ItemTurns::Turn) { ++ran; });
        CPPUNIT_ASSERT_EQUAL(3, ran);
        held.reset();
        CPPUNIT_ASSERT_EQUAL(4, ran);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ItemTurnsTest);
