// BlocklistStore against both drivers: empty, add (idempotent), remove some, remove all,
// removal with the account, and the length limit checked inside the write.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/blocklist_store.hpp"
#include "storage/quota_guard.hpp"

namespace starling::storage::test {

class BlocklistStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BlocklistStoreContract);
    CPPUNIT_TEST(test_add_list_remove);
    CPPUNIT_TEST(test_deleted_with_account);
    CPPUNIT_TEST(test_add_past_max_is_refused_whole);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_blocklist");
        add_account(*db_, "example.test", "a");
        add_account(*db_, "example.test", "b");
        store_ = std::make_unique<BlocklistStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    using Jids = std::vector<std::string>;

    Jids list(const std::string& user) {
        auto [ok, jids] = await_values<std::pair<bool, Jids>>(
            [&](auto done) { store_->list("example.test", user, done); });
        CPPUNIT_ASSERT(ok);
        return jids;
    }
    void add(const std::string& user, const Jids& jids) {
        const auto result = await_values<Result>(
            [&](auto done) { store_->add("example.test", user, jids, 0, done); });
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    }
    Result add_within(const Jids& jids, std::int64_t max) {
        return await_values<Result>(
            [&](auto done) { store_->add("example.test", "a", jids, max, done); });
    }

    void test_add_past_max_is_refused_whole() {
        CPPUNIT_ASSERT(add_within({"one.test", "two.test"}, 3).ok);
        // Two more would make four: neither goes in.
        const auto over = add_within({"three.test", "four.test"}, 3);
        CPPUNIT_ASSERT(!over.ok && refused(over));
        CPPUNIT_ASSERT((Jids{"one.test", "two.test"}) == list("a"));
        // One already blocked and one new make three.
        CPPUNIT_ASSERT(add_within({"one.test", "three.test"}, 3).ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, list("a").size());
    }
    void remove(const std::string& user, const Jids& jids) {
        const auto result = await_values<Result>(
            [&](auto done) { store_->remove("example.test", user, jids, done); });
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    }

    void test_add_list_remove() {
        CPPUNIT_ASSERT(list("a").empty());
        add("a", {"romeo@montague.test", "capulet.test", "nurse@capulet.test/balcony"});
        add("a", {"romeo@montague.test"});
        CPPUNIT_ASSERT((Jids{"capulet.test", "nurse@capulet.test/balcony",
                             "romeo@montague.test"}) == list("a"));
        CPPUNIT_ASSERT(list("b").empty());
        add("b", {"romeo@montague.test"});
        remove("a", {"capulet.test", "not-blocked.test"});
        CPPUNIT_ASSERT((Jids{"nurse@capulet.test/balcony", "romeo@montague.test"}) == list("a"));
        remove("a", {});
        CPPUNIT_ASSERT(list("a").empty());
        CPPUNIT_ASSERT((Jids{"romeo@montague.test"}) == list("b"));
    }

    void test_deleted_with_account() {
        add("a", {"romeo@montague.test"});
        const Result result = db_->execute_sync(
            {"DELETE FROM accounts WHERE host = $1 AND username = $2", {"example.test", "a"}});
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
        CPPUNIT_ASSERT(list("a").empty());
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<BlocklistStore> store_;
};

STARLING_DRIVER_SUITES(BlocklistStoreContract);

}  // namespace starling::storage::test
