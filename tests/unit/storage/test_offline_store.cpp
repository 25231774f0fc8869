// OfflineStore on both drivers: one body of tests, each driver's suite only opens the database.
#include <iostream>
#include <tuple>
#include <vector>

#include "storage/offline_store.hpp"
#include "test_databases.hpp"

namespace starling::storage::test {

namespace {

using Messages = std::tuple<bool, std::vector<OfflineMessage>>;
using Number = std::tuple<bool, std::int64_t>;

OfflineMessage message(const std::string& user, const std::string& body, std::int64_t at,
                       const std::string& from = "romeo@example.net/orchard") {
    return {0,
            "example.org",
            user,
            from,
            "<message to='" + user + "@example.org'><body>" + body + "</body></message>",
            at};
}

// A roster row of juliet@example.org as the roster store writes it.
void add_roster_row(Database& db, const std::string& contact, const std::string& subscription,
                    bool listed) {
    const Result result = db.execute_sync(
        {"INSERT INTO roster_items (host, username, contact, name, subscription, ask, approved, "
         "pending_in, pending_status, listed) VALUES ('example.org', 'juliet', $1, '', $2, 0, 0, "
         "$3, '', $4)",
         {contact, subscription, std::int64_t{listed ? 0 : 1}, std::int64_t{listed ? 1 : 0}}});
    CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
}

}  // namespace

class OfflineStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OfflineStoreContract);
    CPPUNIT_TEST(test_fetch_is_oldest_first);
    CPPUNIT_TEST(test_remove_through_deletes_up_to_that_id);
    CPPUNIT_TEST(test_cap_drops_oldest_and_counts_them);
    CPPUNIT_TEST(test_strangers_share_drops_only_strangers);
    CPPUNIT_TEST(test_who_counts_as_a_contact);
    CPPUNIT_TEST(test_contacts_past_the_whole_cap_drop_their_oldest);
    CPPUNIT_TEST(test_expire_returns_and_deletes_old_rows);
    CPPUNIT_TEST(test_users_and_hosts_are_kept_apart);
    CPPUNIT_TEST(test_removing_the_account_removes_its_messages);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_fresh();
        add_account(*db_, "example.org", "juliet");
        add_account(*db_, "example.org", "nurse");
        add_account(*db_, "example.com", "juliet");
        store_ = std::make_unique<OfflineStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::unique_ptr<Database> open_fresh() = 0;
    TempDir dir_;

private:
    void store(const OfflineMessage& m, std::int64_t cap = 100, std::int64_t strangers = 100) {
        const auto [ok] = await_result<std::tuple<bool>>([&](auto done) {
            store_->store(m, {cap, strangers}, done);
        });
        CPPUNIT_ASSERT(ok);
    }
    OfflinePruned take_all_pruned(const std::string& user) {
        const auto [ok, pruned] = await_result<std::tuple<bool, OfflinePruned>>(
            [&](auto done) { store_->take_pruned("example.org", user, done); });
        CPPUNIT_ASSERT(ok);
        return pruned;
    }
    std::int64_t take_pruned(const std::string& user) { return take_all_pruned(user).dropped; }
    std::vector<OfflineMessage> fetch(const std::string& host, const std::string& user) {
        auto [ok, rows] = await_result<Messages>([&](auto done) { store_->fetch(host, user, done); });
        CPPUNIT_ASSERT(ok);
        return rows;
    }
    std::string bodies(const std::string& user) {
        std::string out;
        for (const auto& row : fetch("example.org", user)) {
            const auto start = row.stanza.find("<body>") + 6;
            out += (out.empty() ? "" : " ") +
                   row.stanza.substr(start, row.stanza.find('<', start) - start);
        }
        return out;
    }

    void test_fetch_is_oldest_first() {
        store(message("juliet", "one", 200));
        store(message("juliet", "two", 100));  // the order is arrival, not the clock
        const auto rows = fetch("example.org", "juliet");
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, rows.size());
        CPPUNIT_ASSERT_EQUAL(std::string("<message to='juliet@example.org'><body>one</body>"
                                         "</message>"),
                             rows[0].stanza);
        CPPUNIT_ASSERT_EQUAL(std::string("romeo@example.net/orchard"), rows[0].from);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{200}, rows[0].stored_at);
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), rows[0].user);
        CPPUNIT_ASSERT(rows[0].id < rows[1].id);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{100}, rows[1].stored_at);
        const auto [ok, count] = await_result<Number>(
            [&](auto done) { store_->count("example.org", "juliet", done); });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, count);
    }

    void test_remove_through_deletes_up_to_that_id() {
        for (const char* body : {"a", "b", "c"}) store(message("juliet", body, 1));
        store(message("nurse", "n", 1));
        const auto rows = fetch("example.org", "juliet");
        const auto [removed] = await_result<std::tuple<Result>>(
            [&](auto done) { store_->remove_through("example.org", "juliet", rows[1].id, done); });
        CPPUNIT_ASSERT_MESSAGE(removed.error, removed.ok);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, removed.affected);
        const auto left = fetch("example.org", "juliet");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, left.size());
        CPPUNIT_ASSERT_EQUAL(rows[2].id, left[0].id);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, fetch("example.org", "nurse").size());
        // The count came down with the rows: two more fit under a cap of three.
        store(message("juliet", "d", 1), 3);
        store(message("juliet", "e", 1), 3);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, take_pruned("juliet"));
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, fetch("example.org", "juliet").size());
    }

    void test_cap_drops_oldest_and_counts_them() {
        store(message("juliet", "1", 1), 2);
        store(message("juliet", "2", 1), 2);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, take_pruned("juliet"));
        store(message("juliet", "3", 1), 2);
        store(message("juliet", "4", 1), 2);
        const auto kept = fetch("example.org", "juliet");
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, kept.size());
        CPPUNIT_ASSERT(kept[0].stanza.find("<body>3</body>") != std::string::npos);
        CPPUNIT_ASSERT(kept[1].stanza.find("<body>4</body>") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, take_pruned("juliet"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, take_pruned("juliet"));  // taken means reset
        // A lower cap (the operator changed it) drops everything past it at the next message.
        store(message("juliet", "5", 1), 1);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, take_pruned("juliet"));
        const auto last = fetch("example.org", "juliet");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, last.size());
        CPPUNIT_ASSERT(last[0].stanza.find("<body>5</body>") != std::string::npos);
    }

    // A flood from a stranger drops the stranger's oldest messages, never a contact's, and the
    // share shrinks to what the contacts leave free of the whole cap.
    void test_strangers_share_drops_only_strangers() {
        add_roster_row(*db_, "nurse@example.org", "both", true);
        const std::string nurse = "nurse@example.org/balcony";
        for (const char* body : {"n1", "n2", "n3"}) store(message("juliet", body, 1, nurse), 6, 2);
        for (const char* body : {"s1", "s2", "s3", "s4", "s5"})
            store(message("juliet", body, 1), 6, 2);
        CPPUNIT_ASSERT_EQUAL(std::string("n1 n2 n3 s4 s5"), bodies("juliet"));
        // Two more contacts' messages leave room for one stranger's only.
        store(message("juliet", "n4", 1, nurse), 6, 2);
        store(message("juliet", "n5", 1, nurse), 6, 2);
        CPPUNIT_ASSERT_EQUAL(std::string("n1 n2 n3 s5 n4 n5"), bodies("juliet"));
        store(message("juliet", "s6", 1), 6, 2);
        CPPUNIT_ASSERT_EQUAL(std::string("n1 n2 n3 n4 n5 s6"), bodies("juliet"));
        const OfflinePruned pruned = take_all_pruned("juliet");
        CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, pruned.dropped);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, pruned.dropped_strangers);
        // A share of 0 keeps no stranger's message at all.
        store(message("juliet", "s7", 1), 100, 0);
        CPPUNIT_ASSERT_EQUAL(std::string("n1 n2 n3 n4 n5"), bodies("juliet"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, take_all_pruned("juliet").dropped_strangers);
    }

    // Listed or subscribed either way: a contact. A subscription request alone (the unlisted
    // pending-in row the roster keeps) is not; the user's own account and server are.
    void test_who_counts_as_a_contact() {
        add_roster_row(*db_, "to@example.net", "to", true);
        add_roster_row(*db_, "from@example.net", "from", true);
        add_roster_row(*db_, "listed@example.net", "none", true);
        add_roster_row(*db_, "asking@example.net", "none", false);
        for (const char* from : {"to@example.net/a", "from@example.net", "listed@example.net/b",
                                 "juliet@example.org/other", "example.org", "asking@example.net/c",
                                 "nobody@example.net/d"})
            store(message("juliet", from, 1, from), 100, 1);
        CPPUNIT_ASSERT_EQUAL(std::string("to@example.net/a from@example.net listed@example.net/b "
                                         "juliet@example.org/other example.org "
                                         "nobody@example.net/d"),
                             bodies("juliet"));
        const OfflinePruned pruned = take_all_pruned("juliet");
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, pruned.dropped);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, pruned.dropped_strangers);
    }

    // Contacts alone past the whole cap drop their own oldest, after every stranger's message.
    void test_contacts_past_the_whole_cap_drop_their_oldest() {
        add_roster_row(*db_, "nurse@example.org", "both", true);
        const std::string nurse = "nurse@example.org";
        store(message("juliet", "s1", 1), 3, 3);
        for (const char* body : {"n1", "n2", "n3", "n4"})
            store(message("juliet", body, 1, nurse), 3, 3);
        CPPUNIT_ASSERT_EQUAL(std::string("n2 n3 n4"), bodies("juliet"));
        const OfflinePruned pruned = take_all_pruned("juliet");
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, pruned.dropped);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, pruned.dropped_strangers);
        // The counts follow deliveries and expiry: after them, the share is whole again.
        const auto rows = fetch("example.org", "juliet");
        const auto [removed] = await_result<std::tuple<Result>>(
            [&](auto done) { store_->remove_through("example.org", "juliet", rows[1].id, done); });
        CPPUNIT_ASSERT_MESSAGE(removed.error, removed.ok);
        store(message("juliet", "s2", 50), 3, 2);
        store(message("juliet", "s3", 50), 3, 2);
        CPPUNIT_ASSERT_EQUAL(std::string("n4 s2 s3"), bodies("juliet"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, take_pruned("juliet"));
        const auto [expired_ok, expired] =
            await_result<Messages>([&](auto done) { store_->expire("example.org", 10, done); });
        CPPUNIT_ASSERT(expired_ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, expired.size());
        store(message("juliet", "s4", 50), 3, 3);
        CPPUNIT_ASSERT_EQUAL(std::string("s2 s3 s4"), bodies("juliet"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, take_pruned("juliet"));
    }

    void test_expire_returns_and_deletes_old_rows() {
        store(message("juliet", "old", 100));
        store(message("nurse", "older", 50));
        store(message("juliet", "new", 300));
        auto expired_other_host = await_result<Messages>(
            [&](auto done) { store_->expire("example.com", 1000, done); });
        CPPUNIT_ASSERT(std::get<0>(expired_other_host));
        CPPUNIT_ASSERT(std::get<1>(expired_other_host).empty());
        auto [ok, expired] =
            await_result<Messages>([&](auto done) { store_->expire("example.org", 200, done); });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, expired.size());
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), expired[0].user);
        CPPUNIT_ASSERT(expired[0].stanza.find("<body>old</body>") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("nurse"), expired[1].user);
        CPPUNIT_ASSERT_EQUAL(std::string("romeo@example.net/orchard"), expired[1].from);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, fetch("example.org", "juliet").size());
        CPPUNIT_ASSERT(fetch("example.org", "nurse").empty());
        // The expired rows left the count: one more fits under a cap of two.
        store(message("juliet", "newer", 400), 2);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, take_pruned("juliet"));
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, fetch("example.org", "juliet").size());
    }

    void test_users_and_hosts_are_kept_apart() {
        store(message("juliet", "org", 1));
        auto other = message("juliet", "com", 1);
        other.host = "example.com";
        store(other, 1);
        store(other, 1);  // the cap of one user never touches another's rows
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, fetch("example.org", "juliet").size());
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, fetch("example.com", "juliet").size());
        CPPUNIT_ASSERT(fetch("example.org", "nurse").empty());
    }

    void test_removing_the_account_removes_its_messages() {
        store(message("juliet", "gone", 1));
        const Result removed = db_->execute_sync(
            {"DELETE FROM accounts WHERE host = $1 AND username = $2",
             {std::string("example.org"), std::string("juliet")}});
        CPPUNIT_ASSERT_MESSAGE(removed.error, removed.ok);
        CPPUNIT_ASSERT(fetch("example.org", "juliet").empty());
    }

    std::unique_ptr<Database> db_;
    std::unique_ptr<OfflineStore> store_;
};

class SqliteOfflineStoreTest : public OfflineStoreContract {
    CPPUNIT_TEST_SUB_SUITE(SqliteOfflineStoreTest, OfflineStoreContract);
    CPPUNIT_TEST_SUITE_END();

protected:
    std::unique_ptr<Database> open_fresh() override { return fresh_sqlite(dir_); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SqliteOfflineStoreTest);

class PostgresOfflineStoreTest : public OfflineStoreContract {
    CPPUNIT_TEST_SUB_SUITE(PostgresOfflineStoreTest, OfflineStoreContract);
    CPPUNIT_TEST_SUITE_END();

protected:
    std::unique_ptr<Database> open_fresh() override {
        return fresh_postgres("starling_unit_offline");
    }
};

namespace {
const bool registered = [] {
    if (pg_conninfo().empty()) return false;  // test_postgres_storage.cpp says it is skipped
    static CppUnit::AutoRegisterSuite<PostgresOfflineStoreTest> registration;
    return true;
}();
}  // namespace

}  // namespace starling::storage::test
