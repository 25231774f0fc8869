// PubsubStore against both drivers: nodes created once, publish with auto-create and max_items
// trimming, a republished id becoming the newest, retrieval by id and by count, retract, purge,
// delete with the items, the whitelist, everything going with the account, and the node count
// and storage quota checked inside the write.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/prekey_store.hpp"
#include "storage/pubsub_store.hpp"

namespace starling::storage::test {

class PubsubStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PubsubStoreContract);
    CPPUNIT_TEST(test_create_and_configure);
    CPPUNIT_TEST(test_publish_order_and_trim);
    CPPUNIT_TEST(test_retrieve_retract_purge_remove);
    CPPUNIT_TEST(test_whitelist);
    CPPUNIT_TEST(test_deleted_with_account);
    CPPUNIT_TEST(test_create_past_max_nodes_is_refused);
    CPPUNIT_TEST(test_publish_past_the_byte_quota_is_refused_whole);
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
        CPPUNIT_ASSERT(publish_within(node, {id, payload, "a@example.test/desk", 1000},
                                      {max_items, 0}) == std::make_pair(true, false));
    }
    std::pair<bool, bool> publish_within(const std::string& node, const PubsubItem& item,
                                         PublishLimits limits, std::vector<Statement> with = {}) {
        return await_values<std::pair<bool, bool>>([&](auto done) {
            store_->publish("example.test", "a", node, "access=presence", item, limits,
                            std::move(with), done);
        });
    }
    std::tuple<bool, bool, bool> create(const std::string& node, std::int64_t max_nodes) {
        return await_values<std::tuple<bool, bool, bool>>(
            [&](auto done) { store_->create("example.test", "a", node, "x=1", max_nodes, done); });
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
        CPPUNIT_ASSERT(create("n", 0) == std::make_tuple(true, true, false));
        auto [ok2, again, refused] = await_values<std::tuple<bool, bool, bool>>(
            [&](auto done) { store_->create("example.test", "a", "n", "x=2", 0, done); });
        CPPUNIT_ASSERT(ok2 && !again && !refused);
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

    void test_create_past_max_nodes_is_refused() {
        CPPUNIT_ASSERT(create("n1", 2) == std::make_tuple(true, true, false));
        CPPUNIT_ASSERT(create("n2", 2) == std::make_tuple(true, true, false));
        CPPUNIT_ASSERT(create("n3", 2) == std::make_tuple(false, false, true));
        CPPUNIT_ASSERT(!config("a", "n3"));
        // A node the user has already is no new node: not refused, not created.
        CPPUNIT_ASSERT(create("n1", 2) == std::make_tuple(true, false, false));
    }

    // The quota counts `bytes` (the item as published) after the write: a replaced item's old
    // bytes no longer count, and a refused publish writes nothing, its prekeys included.
    void test_publish_past_the_byte_quota_is_refused_whole() {
        PubsubItem item{"a", std::string(400, 'x'), "a@example.test/desk", 1000, 600};
        CPPUNIT_ASSERT(publish_within("n", item, {0, 1000}) == std::make_pair(true, false));
        item.item_id = "b";
        item.payload = "<b/>";
        item.bytes = 0;  // counts its payload: 4 bytes
        CPPUNIT_ASSERT(publish_within("n", item, {0, 1000}) == std::make_pair(true, false));
        item.item_id = "c";
        item.bytes = 397;  // 600 + 4 + 397 = 1001
        const auto keys =
            PrekeyStore::replace_statements("example.test", "a", "n", "c", {{"1", "key-one"}});
        CPPUNIT_ASSERT(publish_within("n", item, {0, 1000}, keys) == std::make_pair(false, true));
        CPPUNIT_ASSERT((std::vector<std::string>{"a", "b"}) == ids("n"));
        const Result stored_keys = db_->execute_sync(
            {"SELECT count(*) FROM omemo_prekeys WHERE host = $1 AND username = $2",
             {"example.test", "a"}});
        CPPUNIT_ASSERT(stored_keys.ok && stored_keys.rows.at(0).at(0) == std::string("0"));
        item.bytes = 396;  // exactly 1000
        CPPUNIT_ASSERT(publish_within("n", item, {0, 1000}, keys) == std::make_pair(true, false));
        // Republishing "a" smaller frees its old bytes; a trim frees the oldest.
        item.item_id = "a";
        item.bytes = 100;
        CPPUNIT_ASSERT(publish_within("n", item, {0, 1000}) == std::make_pair(true, false));
        item.item_id = "d";
        item.bytes = 900;  // b, c and a leave 500 free, but trimming to 1 item keeps only d
        CPPUNIT_ASSERT(publish_within("n", item, {1, 1000}) == std::make_pair(true, false));
        CPPUNIT_ASSERT((std::vector<std::string>{"d"}) == ids("n"));
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<PubsubStore> store_;
};

STARLING_DRIVER_SUITES(PubsubStoreContract);

}  // namespace starling::storage::test
