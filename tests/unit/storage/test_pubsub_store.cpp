// PubsubStore against both drivers: nodes created once, publish with auto-create and max_items
// trimming, a republished id becoming the newest, retrieval by id and by count, retract, purge,
// delete with the items, the whitelist, and everything going with the account.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/pubsub_store.hpp"

namespace starling::storage::test {

class PubsubStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PubsubStoreContract);
    CPPUNIT_TEST(test_create_and_configure);
    CPPUNIT_TEST(test_publish_order_and_trim);
    CPPUNIT_TEST(test_retrieve_retract_purge_remove);
    CPPUNIT_TEST(test_whitelist);
    CPPUNIT_TEST(test_deleted_with_account);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_pubsub");
        add_account(*db_, "example.test", "a");
        add_account(*db_, "example.test", "b");
        store_ = std::make_unique<PubsubStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    using Items = std::vector<PubsubItem>;

    void publish(const std::string& node, const std::string& id, const std::string& payload,
                 std::int64_t max_items = 0) {
        PubsubItem item{id, payload, "a@example.test/desk", 1000};
        const bool ok = await_values<bool>([&](auto done) {
            store_->publish("example.test", "a", node, "access=presence", item, max_items, done);
        });
        CPPUNIT_ASSERT(ok);
    }
    std::vector<std::string> ids(const std::string& node, std::int64_t max = 0) {
        auto [ok, items] = await_values<std::pair<bool, Items>>(
            [&](auto done) { store_->items("example.test", "a", node, max, done); });
        CPPUNIT_ASSERT(ok);
        std::vector<std::string> out;
        for (const auto& item : items) out.push_back(item.item_id);
        return out;
    }
    std::optional<std::string> config(const std::string& user, const std::string& node) {
        auto [ok, value] = await_values<std::pair<bool, std::optional<std::string>>>(
            [&](auto done) { store_->node("example.test", user, node, done); });
        CPPUNIT_ASSERT(ok);
        return value;
    }

    void test_create_and_configure() {
        CPPUNIT_ASSERT(!config("a", "n"));
        auto [ok, created] = await_values<std::pair<bool, bool>>(
            [&](auto done) { store_->create("example.test", "a", "n", "x=1", done); });
        CPPUNIT_ASSERT(ok && created);
        auto [ok2, again] = await_values<std::pair<bool, bool>>(
            [&](auto done) { store_->create("example.test", "a", "n", "x=2", done); });
        CPPUNIT_ASSERT(ok2 && !again);
        CPPUNIT_ASSERT_EQUAL(std::string("x=1"), *config("a", "n"));
        CPPUNIT_ASSERT(!config("b", "n"));
        // Publishing to an existing node keeps its configuration.
        publish("n", "i1", "<p/>");
        CPPUNIT_ASSERT_EQUAL(std::string("x=1"), *config("a", "n"));
        publish("m", "i1", "<p/>");
        CPPUNIT_ASSERT_EQUAL(std::string("access=presence"), *config("a", "m"));
        for (int i = 2; i <= 4; ++i) publish("n", "i" + std::to_string(i), "<p/>");
        CPPUNIT_ASSERT(await_values<bool>(
            [&](auto done) { store_->configure("example.test", "a", "n", "x=3", 2, done); }));
        CPPUNIT_ASSERT_EQUAL(std::string("x=3"), *config("a", "n"));
        CPPUNIT_ASSERT((std::vector<std::string>{"i3", "i4"}) == ids("n"));
        auto [ok3, nodes] = await_values<std::pair<bool, std::vector<PubsubNode>>>(
            [&](auto done) { store_->nodes("example.test", "a", done); });
        CPPUNIT_ASSERT(ok3);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), nodes.size());
        CPPUNIT_ASSERT_EQUAL(std::string("m"), nodes[0].node);
        CPPUNIT_ASSERT_EQUAL(std::string("n"), nodes[1].node);
    }

    void test_publish_order_and_trim() {
        publish("n", "a", "<p>1</p>");
        publish("n", "b", "<p>2</p>");
        publish("n", "c", "<p>3</p>");
        CPPUNIT_ASSERT((std::vector<std::string>{"a", "b", "c"}) == ids("n"));
        publish("n", "a", "<p>4</p>");
        CPPUNIT_ASSERT((std::vector<std::string>{"b", "c", "a"}) == ids("n"));
        CPPUNIT_ASSERT((std::vector<std::string>{"c", "a"}) == ids("n", 2));
        publish("n", "d", "<p>5</p>", 2);
        CPPUNIT_ASSERT((std::vector<std::string>{"a", "d"}) == ids("n"));
        auto [ok, items] = await_values<std::pair<bool, Items>>(
            [&](auto done) { store_->items("example.test", "a", "n", 1, done); });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), items.size());
        CPPUNIT_ASSERT_EQUAL(std::string("<p>5</p>"), items[0].payload);
        CPPUNIT_ASSERT_EQUAL(std::string("a@example.test/desk"), items[0].publisher);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1000), items[0].published_at);
    }

    void test_retrieve_retract_purge_remove() {
        publish("n", "a", "<p>1</p>");
        publish("n", "b", "<p>2</p>");
        publish("n", "c", "<p>3</p>");
        auto [ok, items] = await_values<std::pair<bool, Items>>([&](auto done) {
            store_->items_by_id("example.test", "a", "n", {"c", "zz", "a"}, done);
        });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), items.size());
        CPPUNIT_ASSERT_EQUAL(std::string("a"), items[0].item_id);
        CPPUNIT_ASSERT_EQUAL(std::string("<p>3</p>"), items[1].payload);
        auto [ok2, removed] = await_values<std::pair<bool, bool>>(
            [&](auto done) { store_->retract("example.test", "a", "n", "b", done); });
        CPPUNIT_ASSERT(ok2 && removed);
        auto [ok3, again] = await_values<std::pair<bool, bool>>(
            [&](auto done) { store_->retract("example.test", "a", "n", "b", done); });
        CPPUNIT_ASSERT(ok3 && !again);
        CPPUNIT_ASSERT((std::vector<std::string>{"a", "c"}) == ids("n"));
        CPPUNIT_ASSERT(
            await_values<bool>([&](auto done) { store_->purge("example.test", "a", "n", done); }));
        CPPUNIT_ASSERT(ids("n").empty());
        CPPUNIT_ASSERT(config("a", "n"));
        publish("n", "a", "<p>1</p>");
        auto [ok4, gone] = await_values<std::pair<bool, bool>>(
            [&](auto done) { store_->remove("example.test", "a", "n", done); });
        CPPUNIT_ASSERT(ok4 && gone);
        CPPUNIT_ASSERT(!config("a", "n"));
        CPPUNIT_ASSERT(ids("n").empty());
        auto [ok5, gone_again] = await_values<std::pair<bool, bool>>(
            [&](auto done) { store_->remove("example.test", "a", "n", done); });
        CPPUNIT_ASSERT(ok5 && !gone_again);
    }

    void test_whitelist() {
        publish("n", "a", "<p/>");
        CPPUNIT_ASSERT(await_values<bool>([&](auto done) {
            store_->set_whitelist("example.test", "a", "n",
                                  {{"c@example.test", true}, {"b@example.test", true}}, done);
        }));
        CPPUNIT_ASSERT(await_values<bool>([&](auto done) {
            store_->set_whitelist("example.test", "a", "n",
                                  {{"c@example.test", false}, {"b@example.test", true}}, done);
        }));
        auto [ok, jids] = await_values<std::pair<bool, std::vector<std::string>>>(
            [&](auto done) { store_->whitelist("example.test", "a", "n", done); });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT((std::vector<std::string>{"b@example.test"}) == jids);
    }

    void test_deleted_with_account() {
        publish("n", "a", "<p/>");
        const Result result = db_->execute_sync(
            {"DELETE FROM accounts WHERE host = $1 AND username = $2", {"example.test", "a"}});
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
        CPPUNIT_ASSERT(!config("a", "n"));
        CPPUNIT_ASSERT(ids("n").empty());
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<PubsubStore> store_;
};

STARLING_DRIVER_SUITES(PubsubStoreContract);

}  // namespace starling::storage::test
