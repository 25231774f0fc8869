// ArchiveStore against both drivers: appending, the XEP-0313 selection (with, start, end,
// after-id, before-id, ids), XEP-0059 paging both ways with count, index and completeness,
// unknown ids, expiry, preferences, and removal with the account.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/archive_store.hpp"

#include <tuple>

namespace starling::storage::test {

class ArchiveStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ArchiveStoreContract);
    CPPUNIT_TEST(test_whole_archive_in_order);
    CPPUNIT_TEST(test_paging_forwards);
    CPPUNIT_TEST(test_paging_backwards);
    CPPUNIT_TEST(test_count_only);
    CPPUNIT_TEST(test_with_matches_bare_or_full);
    CPPUNIT_TEST(test_time_span_is_inclusive);
    CPPUNIT_TEST(test_form_ids);
    CPPUNIT_TEST(test_unknown_ids);
    CPPUNIT_TEST(test_users_and_hosts_are_kept_apart);
    CPPUNIT_TEST(test_bounds);
    CPPUNIT_TEST(test_expire);
    CPPUNIT_TEST(test_prefs);
    CPPUNIT_TEST(test_removed_with_the_account);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_archive");
        add_account(*db_, "example.test", "juliet");
        add_account(*db_, "example.test", "nurse");
        add_account(*db_, "other.test", "juliet");
        store_ = std::make_unique<ArchiveStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    using Outcome = std::tuple<ArchiveOutcome, ArchivePage>;

    // Messages "m0".."m<n-1>" for juliet, with romeo (even) or benvolio/garden (odd), at times
    // 1000, 2000, ...; their archive ids are "id0".. .
    void fill(int n, const std::string& host = "example.test", const std::string& user = "juliet") {
        for (int i = 0; i < n; ++i) {
            ArchivedMessage m;
            m.host = host;
            m.user = user;
            m.archive_id = "id" + std::to_string(i);
            m.with_bare = i % 2 == 0 ? "romeo@montague.test" : "benvolio@montague.test";
            m.with_resource = i % 2 == 0 ? "" : "garden";
            m.stanza = "<message><body>m" + std::to_string(i) + "</body></message>";
            m.stored_at = 1000 * (i + 1);
            const auto [ok] =
                await_values<std::tuple<bool>>([&](auto done) { store_->append(m, done); });
            CPPUNIT_ASSERT(ok);
        }
    }

    ArchiveQuery base(std::int64_t max = 100) {
        ArchiveQuery q;
        q.host = "example.test";
        q.user = "juliet";
        q.max = max;
        return q;
    }

    ArchivePage run(const ArchiveQuery& q) {
        auto [outcome, page] = await_values<Outcome>([&](auto done) { store_->query(q, done); });
        CPPUNIT_ASSERT(outcome == ArchiveOutcome::ok);
        return page;
    }

    static std::string ids(const ArchivePage& page) {
        std::string out;
        for (const auto& m : page.messages) out += (out.empty() ? "" : ",") + m.archive_id;
        return out;
    }

    void test_whole_archive_in_order() {
        fill(3);
        const auto page = run(base());
        CPPUNIT_ASSERT_EQUAL(std::string("id0,id1,id2"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, page.count);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, page.first_index);
        CPPUNIT_ASSERT(page.complete);
        const auto& m = page.messages[1];
        CPPUNIT_ASSERT_EQUAL(std::string("<message><body>m1</body></message>"), m.stanza);
        CPPUNIT_ASSERT_EQUAL(std::string("benvolio@montague.test"), m.with_bare);
        CPPUNIT_ASSERT_EQUAL(std::string("garden"), m.with_resource);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2000}, m.stored_at);
        CPPUNIT_ASSERT_EQUAL(std::string("juliet"), m.user);
        CPPUNIT_ASSERT(page.messages[0].row < m.row && m.row < page.messages[2].row);
    }

    void test_paging_forwards() {
        fill(7);
        auto q = base(3);
        auto page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id0,id1,id2"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, page.count);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, page.first_index);
        CPPUNIT_ASSERT(!page.complete);
        q.after = "id2";
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id3,id4,id5"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, page.first_index);
        CPPUNIT_ASSERT(!page.complete);
        q.after = "id5";
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id6"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{6}, page.first_index);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, page.count);
        CPPUNIT_ASSERT(page.complete);
        q.after = "id6";
        page = run(q);
        CPPUNIT_ASSERT(page.messages.empty());
        CPPUNIT_ASSERT(page.complete);
        // A page that ends exactly at the last message is complete too.
        q.after = "id3";
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id4,id5,id6"), ids(page));
        CPPUNIT_ASSERT(page.complete);
    }

    void test_paging_backwards() {
        fill(7);
        auto q = base(3);
        q.page_before = true;  // RSM's empty <before/>: the last page
        auto page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id4,id5,id6"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{4}, page.first_index);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, page.count);
        CPPUNIT_ASSERT(!page.complete);
        q.before = "id4";
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id1,id2,id3"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, page.first_index);
        CPPUNIT_ASSERT(!page.complete);
        q.before = "id1";
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id0"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, page.first_index);
        CPPUNIT_ASSERT(page.complete);
        // Backwards within a selection: romeo's messages are id0, id2, id4, id6.
        q.with_bare = "romeo@montague.test";
        q.before = "id6";
        q.max = 2;
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id2,id4"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{4}, page.count);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, page.first_index);
        CPPUNIT_ASSERT(!page.complete);
    }

    void test_count_only() {
        fill(5);
        auto q = base(0);
        q.with_bare = "benvolio@montague.test";
        const auto page = run(q);
        CPPUNIT_ASSERT(page.messages.empty());
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, page.count);
        CPPUNIT_ASSERT(!page.complete);
    }

    void test_with_matches_bare_or_full() {
        fill(6);
        auto q = base();
        q.with_bare = "benvolio@montague.test";
        CPPUNIT_ASSERT_EQUAL(std::string("id1,id3,id5"), ids(run(q)));
        q.with_resource = "garden";
        CPPUNIT_ASSERT_EQUAL(std::string("id1,id3,id5"), ids(run(q)));
        q.with_resource = "balcony";
        const auto none = run(q);
        CPPUNIT_ASSERT(none.messages.empty());
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, none.count);
        CPPUNIT_ASSERT(none.complete);
        q.with_bare = "romeo@montague.test";
        q.with_resource = "";  // a bare JID's messages, asked as "no resource"
        CPPUNIT_ASSERT_EQUAL(std::string("id0,id2,id4"), ids(run(q)));
    }

    void test_time_span_is_inclusive() {
        fill(6);
        auto q = base();
        q.start = 2000;
        q.end = 4000;
        CPPUNIT_ASSERT_EQUAL(std::string("id1,id2,id3"), ids(run(q)));
        q.start = 2001;
        q.end.reset();
        const auto page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id2,id3,id4,id5"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{4}, page.count);
    }

    void test_form_ids() {
        fill(6);
        auto q = base();
        q.after_id = "id1";
        q.before_id = "id5";
        CPPUNIT_ASSERT_EQUAL(std::string("id2,id3,id4"), ids(run(q)));
        // before-id limits but does not page backwards: the first of what is left comes first.
        q.max = 2;
        auto page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id2,id3"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, page.count);
        CPPUNIT_ASSERT(!page.complete);
        q = base();
        q.ids = {"id4", "id0", "id3"};
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id0,id3,id4"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, page.count);
        q.ids = {"id2"};
        CPPUNIT_ASSERT_EQUAL(std::string("id2"), ids(run(q)));
    }

    void test_unknown_ids() {
        fill(3);
        fill(1, "example.test", "nurse");  // nurse's id0 is not juliet's
        for (int field = 0; field < 5; ++field) {
            auto q = base();
            const std::string unknown = "no-such-id";
            if (field == 0) q.after_id = unknown;
            if (field == 1) q.before_id = unknown;
            if (field == 2) q.after = unknown;
            if (field == 3) q.page_before = true, q.before = unknown;
            if (field == 4) q.ids = {"id1", unknown};
            auto [outcome, page] =
                await_values<Outcome>([&](auto done) { store_->query(q, done); });
            CPPUNIT_ASSERT_MESSAGE(std::to_string(field), outcome == ArchiveOutcome::unknown_id);
        }
        ArchiveQuery nurse = base();
        nurse.user = "nurse";
        nurse.after = "id1";
        auto [outcome, page] =
            await_values<Outcome>([&](auto done) { store_->query(nurse, done); });
        CPPUNIT_ASSERT(outcome == ArchiveOutcome::unknown_id);
    }

    void test_users_and_hosts_are_kept_apart() {
        fill(2);
        fill(3, "example.test", "nurse");
        fill(4, "other.test", "juliet");
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, run(base()).count);
        auto q = base();
        q.host = "other.test";
        CPPUNIT_ASSERT_EQUAL(std::int64_t{4}, run(q).count);
        q = base();
        q.user = "nurse";
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, run(q).count);
    }

    void test_bounds() {
        using Bounds =
            std::tuple<bool, std::optional<ArchivedMessage>, std::optional<ArchivedMessage>>;
        auto [ok, first, last] = await_values<Bounds>(
            [&](auto done) { store_->bounds("example.test", "juliet", done); });
        CPPUNIT_ASSERT(ok && !first && !last);
        fill(4);
        fill(1, "example.test", "nurse");
        std::tie(ok, first, last) = await_values<Bounds>(
            [&](auto done) { store_->bounds("example.test", "juliet", done); });
        CPPUNIT_ASSERT(ok && first && last);
        CPPUNIT_ASSERT_EQUAL(std::string("id0"), first->archive_id);
        CPPUNIT_ASSERT_EQUAL(std::string("id3"), last->archive_id);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{4000}, last->stored_at);
    }

    void test_expire() {
        fill(5);
        fill(2, "other.test", "juliet");
        // At most `limit` at a time, oldest first.
        auto [ok, deleted] = await_values<std::tuple<bool, std::int64_t>>(
            [&](auto done) { store_->expire("example.test", 3000, 1, done); });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, deleted);
        CPPUNIT_ASSERT_EQUAL(std::string("id1,id2,id3,id4"), ids(run(base())));
        std::tie(ok, deleted) = await_values<std::tuple<bool, std::int64_t>>(
            [&](auto done) { store_->expire("example.test", 3000, 100, done); });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, deleted);
        CPPUNIT_ASSERT_EQUAL(std::string("id2,id3,id4"), ids(run(base())));
        auto q = base();
        q.host = "other.test";
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, run(q).count);
        // An expired id is unknown from then on.
        q = base();
        q.after = "id0";
        auto [outcome, page] = await_values<Outcome>([&](auto done) { store_->query(q, done); });
        CPPUNIT_ASSERT(outcome == ArchiveOutcome::unknown_id);
    }

    void test_prefs() {
        using Prefs = std::tuple<bool, std::optional<ArchivePrefs>>;
        auto get = [&](const std::string& user) {
            auto [ok, prefs] =
                await_values<Prefs>([&](auto done) { store_->prefs("example.test", user, done); });
            CPPUNIT_ASSERT(ok);
            return prefs;
        };
        auto set = [&](const ArchivePrefs& prefs) {
            const auto [ok] = await_values<std::tuple<bool>>(
                [&](auto done) { store_->set_prefs("example.test", "juliet", prefs, done); });
            CPPUNIT_ASSERT(ok);
        };
        CPPUNIT_ASSERT(!get("juliet"));
        set({"roster", {"romeo@montague.test", "capulet.test"}, {"tybalt@capulet.test/sword"}});
        const auto stored = get("juliet");
        CPPUNIT_ASSERT(stored);
        CPPUNIT_ASSERT(*stored == (ArchivePrefs{"roster",
                                                {"capulet.test", "romeo@montague.test"},
                                                {"tybalt@capulet.test/sword"}}));
        CPPUNIT_ASSERT(!get("nurse"));
        // Replaced whole; a JID in both lists is never archived.
        set({"never", {"romeo@montague.test"}, {"romeo@montague.test"}});
        CPPUNIT_ASSERT(*get("juliet") == (ArchivePrefs{"never", {}, {"romeo@montague.test"}}));
        set({"always", {}, {}});
        CPPUNIT_ASSERT(*get("juliet") == (ArchivePrefs{"always", {}, {}}));
    }

    void test_removed_with_the_account() {
        fill(2);
        const auto [ok] = await_values<std::tuple<bool>>([&](auto done) {
            store_->set_prefs("example.test", "juliet", {"never", {"a@b.test"}, {}}, done);
        });
        CPPUNIT_ASSERT(ok);
        const Result removed =
            db_->execute_sync({"DELETE FROM accounts WHERE host = $1 AND username = $2",
                               {std::string("example.test"), std::string("juliet")}});
        CPPUNIT_ASSERT_MESSAGE(removed.error, removed.ok);
        for (const char* table : {"archive_messages", "archive_prefs", "archive_pref_jids"}) {
            const Result left = db_->execute_sync({std::string("SELECT count(*) FROM ") + table +
                                                       " WHERE username = 'juliet' "
                                                       "AND host = 'example.test'",
                                                   {}});
            CPPUNIT_ASSERT_MESSAGE(left.error, left.ok);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(table, std::string("0"), left.rows[0][0].value_or(""));
        }
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<ArchiveStore> store_;
};

STARLING_DRIVER_SUITES(ArchiveStoreContract);

}  // namespace starling::storage::test
