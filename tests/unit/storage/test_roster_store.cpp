// RosterStore against both drivers: items with names, groups and subscription state, the
// version counter, removal, users kept apart, and the size limit checked inside the write.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include <future>
#include <memory>
#include <tuple>
#include <vector>

#include "driver_databases.hpp"
#include "storage/roster_store.hpp"

namespace starling::storage::test {

class RosterStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RosterStoreContract);
    CPPUNIT_TEST(test_empty_roster_is_version_zero);
    CPPUNIT_TEST(test_put_and_read_back);
    CPPUNIT_TEST(test_put_replaces_and_bumps_version);
    CPPUNIT_TEST(test_remove);
    CPPUNIT_TEST(test_count_skips_unlisted);
    CPPUNIT_TEST(test_users_are_kept_apart);
    CPPUNIT_TEST(test_put_past_max_listed_is_refused);
    CPPUNIT_TEST(test_max_listed_holds_for_puts_queued_at_once);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_roster");
        add_account(*db_, "example.test", "a");
        add_account(*db_, "example.test", "b");
        add_account(*db_, "other.test", "a");
        store_ = std::make_unique<RosterStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    using Items = std::tuple<bool, std::vector<RosterItem>, std::int64_t>;

    Items items(const std::string& host, const std::string& user) {
        return await_values<Items>([&](auto done) { store_->items(host, user, done); });
    }
    std::int64_t put(const std::string& host, const std::string& user, const RosterItem& item) {
        auto [ok, refused, version] = put_within(host, user, item, 0);
        CPPUNIT_ASSERT(ok && !refused);
        return version;
    }
    using PutResult = std::tuple<bool, bool, std::int64_t>;
    PutResult put_within(const std::string& host, const std::string& user, const RosterItem& item,
                         std::int64_t max_listed) {
        return await_values<PutResult>(
            [&](auto done) { store_->put(host, user, item, max_listed, done); });
    }
    static RosterItem listed(const std::string& contact) {
        RosterItem item;
        item.contact = contact;
        item.groups = {"G"};
        return item;
    }
    std::optional<RosterItem> item(const std::string& user, const std::string& contact) {
        auto [ok, found] = await_values<std::pair<bool, std::optional<RosterItem>>>(
            [&](auto done) { store_->item("example.test", user, contact, done); });
        CPPUNIT_ASSERT(ok);
        return found;
    }

    static RosterItem sample() {
        RosterItem item;
        item.contact = "b@example.test";
        item.name = "Bob 'the' builder";
        item.subscription = "to";
        item.ask = true;
        item.approved = false;
        item.pending_in = true;
        item.pending_status = "let me in";
        item.groups = {"Friends", "Work"};
        return item;
    }

    void test_empty_roster_is_version_zero() {
        const auto [ok, list, version] = items("example.test", "a");
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT(list.empty());
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, version);
        CPPUNIT_ASSERT(!item("a", "b@example.test"));
    }

    void test_put_and_read_back() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, put("example.test", "a", sample()));
        const auto [ok, list, version] = items("example.test", "a");
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, list.size());
        CPPUNIT_ASSERT(sample() == list[0]);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, version);
        CPPUNIT_ASSERT(sample() == item("a", "b@example.test").value());
    }

    void test_put_replaces_and_bumps_version() {
        put("example.test", "a", sample());
        RosterItem changed = sample();
        changed.name.clear();
        changed.subscription = "both";
        changed.ask = false;
        changed.pending_in = false;
        changed.pending_status.clear();
        changed.approved = true;
        changed.groups = {"Family"};
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, put("example.test", "a", changed));
        CPPUNIT_ASSERT(changed == item("a", "b@example.test").value());
    }

    void test_remove() {
        put("example.test", "a", sample());
        auto [ok, removed, version] = await_values<std::tuple<bool, bool, std::int64_t>>(
            [&](auto done) { store_->remove("example.test", "a", "b@example.test", done); });
        CPPUNIT_ASSERT(ok && removed);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, version);
        CPPUNIT_ASSERT(!item("a", "b@example.test"));
        auto [ok2, removed2, version2] = await_values<std::tuple<bool, bool, std::int64_t>>(
            [&](auto done) { store_->remove("example.test", "a", "b@example.test", done); });
        CPPUNIT_ASSERT(ok2 && !removed2);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, version2);
        // The groups went with the item: putting it back without groups shows none.
        RosterItem plain;
        plain.contact = "b@example.test";
        put("example.test", "a", plain);
        CPPUNIT_ASSERT(item("a", "b@example.test").value().groups.empty());
    }

    void test_count_skips_unlisted() {
        put("example.test", "a", sample());
        RosterItem request;
        request.contact = "c@example.test";
        request.pending_in = true;
        request.listed = false;
        put("example.test", "a", request);
        auto [ok, count] = await_values<std::pair<bool, std::int64_t>>(
            [&](auto done) { store_->count("example.test", "a", done); });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, count);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, std::get<1>(items("example.test", "a")).size());
    }

    void test_users_are_kept_apart() {
        put("example.test", "a", sample());
        CPPUNIT_ASSERT(std::get<1>(items("example.test", "b")).empty());
        CPPUNIT_ASSERT(std::get<1>(items("other.test", "a")).empty());
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, std::get<2>(items("other.test", "a")));
    }

    void test_put_past_max_listed_is_refused() {
        CPPUNIT_ASSERT(put_within("example.test", "a", listed("c1@example.test"), 2) ==
                       PutResult(true, false, 1));
        CPPUNIT_ASSERT(put_within("example.test", "a", listed("c2@example.test"), 2) ==
                       PutResult(true, false, 2));
        // A third contact is refused, and nothing of it is written: no item, no version.
        const auto [ok, refused, version] =
            put_within("example.test", "a", listed("c3@example.test"), 2);
        CPPUNIT_ASSERT(!ok && refused);
        CPPUNIT_ASSERT(!item("a", "c3@example.test"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, std::get<2>(items("example.test", "a")));
        // A change to a listed contact, and an unlisted request, still go in at the limit.
        auto renamed = listed("c1@example.test");
        renamed.name = "One";
        CPPUNIT_ASSERT(put_within("example.test", "a", renamed, 2) == PutResult(true, false, 3));
        auto request = listed("c4@example.test");
        request.listed = false;
        request.pending_in = true;
        CPPUNIT_ASSERT(put_within("example.test", "a", request, 2) == PutResult(true, false, 4));
        // Another user's roster has its own room.
        CPPUNIT_ASSERT(put_within("example.test", "b", listed("c3@example.test"), 2) ==
                       PutResult(true, false, 1));
    }

    // Puts queued before any has run (a client pipelining roster sets) share one group commit;
    // the limit still lets exactly max_listed in, each checked inside its own savepoint.
    void test_max_listed_holds_for_puts_queued_at_once() {
        constexpr int sent = 12;
        std::vector<std::future<PutResult>> results;
        std::vector<std::shared_ptr<std::promise<PutResult>>> promises;
        for (int i = 0; i < sent; ++i) {
            auto promise = std::make_shared<std::promise<PutResult>>();
            results.push_back(promise->get_future());
            store_->put("example.test", "a", listed("c" + std::to_string(i) + "@example.test"), 5,
                        [promise](bool ok, bool refused, std::int64_t version) {
                            promise->set_value({ok, refused, version});
                        });
        }
        int stored = 0, refused = 0;
        for (auto& result : results) {
            const auto [ok, over, version] = result.get();
            stored += ok;
            refused += over;
        }
        CPPUNIT_ASSERT_EQUAL(5, stored);
        CPPUNIT_ASSERT_EQUAL(sent - 5, refused);
        CPPUNIT_ASSERT_EQUAL(std::size_t{5}, std::get<1>(items("example.test", "a")).size());
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<RosterStore> store_;
};

STARLING_DRIVER_SUITES(RosterStoreContract);

}  // namespace starling::storage::test
