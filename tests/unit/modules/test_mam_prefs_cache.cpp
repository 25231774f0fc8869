// mod_mam's preferences cache on both drivers: a load that is still in flight when the module
// lets go of the cache (an unload at a reload) keeps the cache and its stores alive, and still
// answers the message that waits for it; the cache goes once that load is done.
#include <cppunit/extensions/HelperMacros.h>

#include "../storage/driver_databases.hpp"
#include "../storage/driver_suites.hpp"
#include "modules/mam/prefs_cache.hpp"

#include <chrono>
#include <future>

namespace starling::mam::test {

using storage::test::add_account;
using storage::test::open_migrated;

class PrefsCacheLifetime : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PrefsCacheLifetime);
    CPPUNIT_TEST(test_load_in_flight_outlives_the_module);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_mam_prefs");
        add_account(*db_, "example.test", "juliet");
    }
    void tearDown() override { db_.reset(); }

protected:
    virtual std::string driver() const = 0;

private:
    void test_load_in_flight_outlives_the_module() {
        const Jid juliet = *Jid::parse("juliet@example.test");
        const Jid romeo = *Jid::parse("romeo@montague.test");
        std::weak_ptr<PrefsCache> weak;
        std::weak_ptr<storage::RosterStore> weak_roster;
        std::promise<bool> answered;
        {
            auto roster = std::make_shared<storage::RosterStore>(*db_);
            weak_roster = roster;
            auto cache = std::make_shared<PrefsCache>(
                std::make_shared<storage::ArchiveStore>(*db_, storage::ArchiveIds::load(*db_)),
                std::move(roster), "roster");
            weak = cache;
            // The database thread is held up until the cache has been let go, so the load is
            // certainly in flight then.
            std::promise<void> released;
            auto gate = released.get_future().share();
            db_->execute({"SELECT 1", {}}, [gate](storage::Result) { gate.wait(); });
            cache->when_loaded(juliet, [&answered](bool ok) { answered.set_value(ok); });
            CPPUNIT_ASSERT_EQUAL(Decision::unknown, cache->decide(juliet, romeo));
            cache.reset();  // what unloading the module does
            CPPUNIT_ASSERT_MESSAGE("a load in flight must keep the cache alive", !weak.expired());
            CPPUNIT_ASSERT_MESSAGE("a load in flight must keep its stores alive",
                                   !weak_roster.expired());
            released.set_value();
        }
        auto result = answered.get_future();
        CPPUNIT_ASSERT(result.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        CPPUNIT_ASSERT(result.get());
        // Once the load (prefs, then the roster for default='roster') is done, nothing holds it.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!weak.expired() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        CPPUNIT_ASSERT(weak.expired());
        CPPUNIT_ASSERT(weak_roster.expired());
    }

    storage::test::TempDir dir_;
    std::unique_ptr<storage::Database> db_;
};

STARLING_DRIVER_SUITES(PrefsCacheLifetime);

}  // namespace starling::mam::test
