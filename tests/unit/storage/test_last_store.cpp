// LastStore against both drivers: nothing recorded, recorded, replaced.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/last_store.hpp"

namespace starling::storage::test {

class LastStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LastStoreContract);
    CPPUNIT_TEST(test_set_get_replace);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_last");
        add_account(*db_, "example.test", "a");
        add_account(*db_, "example.test", "b");
        store_ = std::make_unique<LastStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    std::optional<LastLogout> get(const std::string& user) {
        auto [ok, found] = await_values<std::pair<bool, std::optional<LastLogout>>>(
            [&](auto done) { store_->get("example.test", user, done); });
        CPPUNIT_ASSERT(ok);
        return found;
    }
    void set(const std::string& user, const LastLogout& logout) {
        const auto result = await_values<Result>(
            [&](auto done) { store_->set("example.test", user, logout, done); });
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    }

    void test_set_get_replace() {
        CPPUNIT_ASSERT(!get("a"));
        set("a", {1'700'000'000, "gone 'fishing'"});
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1'700'000'000}, get("a")->at);
        CPPUNIT_ASSERT_EQUAL(std::string("gone 'fishing'"), get("a")->status);
        set("a", {1'700'000'100, ""});
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1'700'000'100}, get("a")->at);
        CPPUNIT_ASSERT_EQUAL(std::string(), get("a")->status);
        CPPUNIT_ASSERT(!get("b"));
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<LastStore> store_;
};

STARLING_DRIVER_SUITES(LastStoreContract);

}  // namespace starling::storage::test
