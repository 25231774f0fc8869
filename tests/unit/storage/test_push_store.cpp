// PushStore against both drivers: enable (the same service and node again replaces the options),
// list per user, disable one node or a whole service, removal with the account, and the count
// limit checked inside the write.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/push_store.hpp"
#include "storage/quota_guard.hpp"

namespace starling::storage::test {

class PushStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PushStoreContract);
    CPPUNIT_TEST(test_enable_replaces_options);
    CPPUNIT_TEST(test_disable_node_and_service);
    CPPUNIT_TEST(test_deleted_with_account);
    CPPUNIT_TEST(test_enable_past_max_is_refused);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_push");
        add_account(*db_, "example.test", "a");
        add_account(*db_, "example.test", "b");
        store_ = std::make_unique<PushStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    using Registrations = std::vector<PushRegistration>;

    Registrations list(const std::string& user) {
        auto [ok, registrations] = await_values<std::pair<bool, Registrations>>(
            [&](auto done) { store_->list("example.test", user, done); });
        CPPUNIT_ASSERT(ok);
        return registrations;
    }
    void enable(const std::string& user, const PushRegistration& registration) {
        const auto result = await_values<Result>(
            [&](auto done) { store_->enable("example.test", user, registration, 0, done); });
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    }
    Result enable_within(const PushRegistration& registration, std::int64_t max) {
        return await_values<Result>(
            [&](auto done) { store_->enable("example.test", "a", registration, max, done); });
    }

    void test_enable_past_max_is_refused() {
        CPPUNIT_ASSERT(enable_within({"push.example.test", "n1", "", 1}, 2).ok);
        CPPUNIT_ASSERT(enable_within({"push.example.test", "n2", "", 2}, 2).ok);
        const auto third = enable_within({"push.example.test", "n3", "", 3}, 2);
        CPPUNIT_ASSERT(!third.ok && refused(third));
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, list("a").size());
        // Enabling a known one again only replaces its options.
        const auto again = enable_within({"push.example.test", "n1", "<x/>", 4}, 2);
        CPPUNIT_ASSERT_MESSAGE(again.error, again.ok && !refused(again));
        CPPUNIT_ASSERT_EQUAL(std::string("<x/>"), list("a").at(0).options);
    }
    std::int64_t disable(const std::string& user, const std::string& service,
                         const std::optional<std::string>& node) {
        const auto result = await_values<Result>(
            [&](auto done) { store_->disable("example.test", user, service, node, done); });
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
        return result.affected;
    }

    void test_enable_replaces_options() {
        CPPUNIT_ASSERT(list("a").empty());
        const std::string form =
            "<x xmlns='jabber:x:data' type='submit'><field var='secret'><value>s&amp;1</value>"
            "</field></x>";
        enable("a", {"push.example.test", "node-1", form, 100});
        enable("a", {"app.other.test", "n", "", 101});
        enable("b", {"push.example.test", "node-b", "", 102});
        CPPUNIT_ASSERT((Registrations{{"app.other.test", "n", "", 101},
                                      {"push.example.test", "node-1", form, 100}}) == list("a"));
        // The same service and node again: still one row, with the newer options and time.
        enable("a", {"push.example.test", "node-1", "", 200});
        CPPUNIT_ASSERT((Registrations{{"app.other.test", "n", "", 101},
                                      {"push.example.test", "node-1", "", 200}}) == list("a"));
        CPPUNIT_ASSERT((Registrations{{"push.example.test", "node-b", "", 102}}) == list("b"));
    }

    void test_disable_node_and_service() {
        enable("a", {"push.example.test", "node-1", "", 1});
        enable("a", {"push.example.test", "node-2", "", 2});
        enable("a", {"app.other.test", "n", "", 3});
        enable("b", {"push.example.test", "node-1", "", 4});
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), disable("a", "push.example.test", "node-2"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), disable("a", "push.example.test", "node-2"));
        CPPUNIT_ASSERT((Registrations{{"app.other.test", "n", "", 3},
                                      {"push.example.test", "node-1", "", 1}}) == list("a"));
        enable("a", {"push.example.test", "node-3", "", 5});
        // No node: every registration of the service goes, and only the user's.
        CPPUNIT_ASSERT_EQUAL(std::int64_t(2), disable("a", "push.example.test", std::nullopt));
        CPPUNIT_ASSERT((Registrations{{"app.other.test", "n", "", 3}}) == list("a"));
        CPPUNIT_ASSERT((Registrations{{"push.example.test", "node-1", "", 4}}) == list("b"));
    }

    void test_deleted_with_account() {
        enable("a", {"push.example.test", "node-1", "", 1});
        const Result result = db_->execute_sync(
            {"DELETE FROM accounts WHERE host = $1 AND username = $2", {"example.test", "a"}});
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
        CPPUNIT_ASSERT(list("a").empty());
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<PushStore> store_;
};

STARLING_DRIVER_SUITES(PushStoreContract);

}  // namespace starling::storage::test
