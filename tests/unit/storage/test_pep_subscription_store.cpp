// PepSubscriptionStore against both drivers: subscribe (idempotent), list by node and by
// subscriber, unsubscribe, both limits checked inside the write, and removal with the node, the
// owner's account and the subscriber's account.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/pep_subscription_store.hpp"
#include "storage/pubsub_store.hpp"

namespace starling::storage::test {

class PepSubscriptionStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PepSubscriptionStoreContract);
    CPPUNIT_TEST(test_subscribe_list_unsubscribe);
    CPPUNIT_TEST(test_limits_per_node_and_per_subscriber);
    CPPUNIT_TEST(test_removed_with_node_and_accounts);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_pep_subscriptions");
        for (const char* user : {"a", "b", "c"}) add_account(*db_, "example.test", user);
        nodes_ = std::make_unique<PubsubStore>(*db_);
        store_ = std::make_unique<PepSubscriptionStore>(*db_);
        for (const char* node : {"n1", "n2"}) create("a", node);
        create("c", "n1");
    }
    void tearDown() override {
        store_.reset();
        nodes_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    using List = std::vector<PepSubscription>;
    static Subscriber local(const std::string& user) {
        return {user + "@example.test", "example.test", user};
    }

    void create(const std::string& owner, const std::string& node) {
        auto [ok, created, refused] = await_values<std::tuple<bool, bool, bool>>(
            [&](auto done) { nodes_->create("example.test", owner, node, "", 0, done); });
        CPPUNIT_ASSERT(ok && created && !refused);
    }
    std::pair<bool, bool> subscribe(const std::string& owner, const std::string& node,
                                    const std::string& jid, const Subscriber& who,
                                    SubscriptionLimits limits = {}) {
        return await_values<std::pair<bool, bool>>([&](auto done) {
            store_->subscribe("example.test", owner, node, jid, who, limits, done);
        });
    }
    List of_node(const std::string& owner, const std::string& node) {
        auto [ok, list] = await_values<std::pair<bool, List>>(
            [&](auto done) { store_->of_node("example.test", owner, node, done); });
        CPPUNIT_ASSERT(ok);
        return list;
    }
    List of_subscriber(const std::string& owner, const std::string& who,
                       const std::string& node = "") {
        auto [ok, list] = await_values<std::pair<bool, List>>([&](auto done) {
            store_->of_subscriber("example.test", owner, who, node, done);
        });
        CPPUNIT_ASSERT(ok);
        return list;
    }
    static std::vector<std::string> jids(const List& list) {
        std::vector<std::string> out;
        for (const auto& s : list) out.push_back(s.node + " " + s.jid + " " + s.subscriber);
        return out;
    }

    void test_subscribe_list_unsubscribe() {
        CPPUNIT_ASSERT(of_node("a", "n1").empty());
        CPPUNIT_ASSERT((subscribe("a", "n1", "b@example.test/phone", local("b")) ==
                        std::pair{true, false}));
        CPPUNIT_ASSERT((subscribe("a", "n1", "b@example.test", local("b")) ==
                        std::pair{true, false}));
        CPPUNIT_ASSERT((subscribe("a", "n1", "b@example.test", local("b")) ==
                        std::pair{true, false}));
        CPPUNIT_ASSERT((subscribe("a", "n2", "romeo@montague.test",
                                  {"romeo@montague.test", "", ""}) == std::pair{true, false}));
        CPPUNIT_ASSERT((std::vector<std::string>{"n1 b@example.test b@example.test",
                                                 "n1 b@example.test/phone b@example.test"}) ==
                       jids(of_node("a", "n1")));
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, of_subscriber("a", "b@example.test").size());
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, of_subscriber("a", "b@example.test", "n1").size());
        CPPUNIT_ASSERT(of_subscriber("a", "b@example.test", "n2").empty());
        CPPUNIT_ASSERT((std::vector<std::string>{"n2 romeo@montague.test romeo@montague.test"}) ==
                       jids(of_node("a", "n2")));
        auto [ok, removed] = await_values<std::pair<bool, bool>>([&](auto done) {
            store_->unsubscribe("example.test", "a", "n1", "b@example.test/phone", done);
        });
        CPPUNIT_ASSERT(ok && removed);
        auto [ok2, removed2] = await_values<std::pair<bool, bool>>([&](auto done) {
            store_->unsubscribe("example.test", "a", "n1", "b@example.test/phone", done);
        });
        CPPUNIT_ASSERT(ok2 && !removed2);
        CPPUNIT_ASSERT((std::vector<std::string>{"n1 b@example.test b@example.test"}) ==
                       jids(of_node("a", "n1")));
    }

    void test_limits_per_node_and_per_subscriber() {
        const SubscriptionLimits two_per_node{2, 0};
        CPPUNIT_ASSERT(!subscribe("a", "n1", "b@example.test", local("b"), two_per_node).second);
        CPPUNIT_ASSERT(!subscribe("a", "n1", "c@example.test", local("c"), two_per_node).second);
        // A third JID is refused; one already subscribed is not counted again.
        CPPUNIT_ASSERT((subscribe("a", "n1", "x@example.test", {"x@example.test", "", ""},
                                  two_per_node) == std::pair{false, true}));
        CPPUNIT_ASSERT(!subscribe("a", "n1", "b@example.test", local("b"), two_per_node).second);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, of_node("a", "n1").size());

        const SubscriptionLimits two_per_subscriber{0, 2};
        CPPUNIT_ASSERT(
            !subscribe("a", "n2", "b@example.test", local("b"), two_per_subscriber).second);
        // b holds two now (a's n1 and n2): a third, on another owner's node, is refused.
        CPPUNIT_ASSERT((subscribe("c", "n1", "b@example.test/phone", local("b"),
                                  two_per_subscriber) == std::pair{false, true}));
        CPPUNIT_ASSERT(of_node("c", "n1").empty());
        CPPUNIT_ASSERT(
            !subscribe("a", "n2", "b@example.test", local("b"), two_per_subscriber).second);
    }

    void test_removed_with_node_and_accounts() {
        subscribe("a", "n1", "b@example.test", local("b"));
        subscribe("a", "n2", "b@example.test", local("b"));
        subscribe("a", "n2", "romeo@montague.test", {"romeo@montague.test", "", ""});
        subscribe("c", "n1", "b@example.test", local("b"));
        subscribe("c", "n1", "romeo@montague.test", {"romeo@montague.test", "", ""});
        auto [ok, removed] = await_values<std::pair<bool, bool>>(
            [&](auto done) { nodes_->remove("example.test", "a", "n1", done); });
        CPPUNIT_ASSERT(ok && removed);
        CPPUNIT_ASSERT(of_node("a", "n1").empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, of_node("a", "n2").size());
        // The subscriber's account goes: its subscriptions with it, others' stay.
        Result result = db_->execute_sync(
            {"DELETE FROM accounts WHERE host = $1 AND username = $2", {"example.test", "b"}});
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
        CPPUNIT_ASSERT((std::vector<std::string>{"n2 romeo@montague.test romeo@montague.test"}) ==
                       jids(of_node("a", "n2")));
        // The owner's account goes: every subscription to its nodes with it.
        result = db_->execute_sync(
            {"DELETE FROM accounts WHERE host = $1 AND username = $2", {"example.test", "c"}});
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
        CPPUNIT_ASSERT(of_node("c", "n1").empty());
        CPPUNIT_ASSERT(of_subscriber("c", "romeo@montague.test").empty());
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<PubsubStore> nodes_;
    std::unique_ptr<PepSubscriptionStore> store_;
};

STARLING_DRIVER_SUITES(PepSubscriptionStoreContract);

}  // namespace starling::storage::test
