// ArchiveStore against both drivers: appending, the XEP-0313 selection (with, start, end,
// after-id, before-id, ids), XEP-0059 paging both ways with count, index and completeness,
// unknown and tampered ids, rows archived with a stored id before ids were the encrypted row,
// expiry, preferences, and removal with the account.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/archive_store.hpp"

#include <map>
#include <tuple>

namespace starling::storage::test {

class ArchiveStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ArchiveStoreContract);
    CPPUNIT_TEST(test_whole_archive_in_order);
    CPPUNIT_TEST(test_batch_is_all_or_nothing);
    CPPUNIT_TEST(test_paging_forwards);
    CPPUNIT_TEST(test_paging_backwards);
    CPPUNIT_TEST(test_count_only);
    CPPUNIT_TEST(test_with_matches_bare_or_full);
    CPPUNIT_TEST(test_time_span_is_inclusive);
    CPPUNIT_TEST(test_form_ids);
    CPPUNIT_TEST(test_unknown_ids);
    CPPUNIT_TEST(test_tampered_ids_are_unknown);
    CPPUNIT_TEST(test_rows_with_a_stored_id);
    CPPUNIT_TEST(test_users_and_hosts_are_kept_apart);
    CPPUNIT_TEST(test_bounds);
    CPPUNIT_TEST(test_expire);
    CPPUNIT_TEST(test_quota_drops_the_oldest);
    CPPUNIT_TEST(test_prefs);
    CPPUNIT_TEST(test_removed_with_the_account);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_archive");
        add_account(*db_, "example.test", "juliet");
        add_account(*db_, "example.test", "nurse");
        add_account(*db_, "other.test", "juliet");
        ids_ = ArchiveIds::load(*db_);
        store_ = std::make_unique<ArchiveStore>(*db_, ids_);
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
    // 1000, 2000, ...; ids(page) names them "id0".. and id(i) is the archive id of juliet's i-th.
    void fill(int n, const std::string& host = "example.test", const std::string& user = "juliet") {
        for (int i = 0; i < n; ++i) {
            ArchivedMessage m;
            m.row = next_row_++;
            m.host = host;
            m.user = user;
            rows_[host + "/" + user + "/" + std::to_string(i)] = m.row;
            names_[ids_->encode(m.row)] = "id" + std::to_string(i);
            m.with_bare = i % 2 == 0 ? "romeo@montague.test" : "benvolio@montague.test";
            m.with_resource = i % 2 == 0 ? "" : "garden";
            m.stanza = "<message><body>m" + std::to_string(i) + "</body></message>";
            m.stored_at = 1000 * (i + 1);
            const auto [status] = await_values<std::tuple<WriteStatus>>(
                [&](auto done) { store_->append({m}, done); });
            CPPUNIT_ASSERT(status == WriteStatus::committed);
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

    std::string id(int i, const std::string& host = "example.test",
                   const std::string& user = "juliet") const {
        return ids_->encode(rows_.at(host + "/" + user + "/" + std::to_string(i)));
    }

    // The page's messages by name: "id<i>" for those fill() made, the stored id for the others.
    std::string ids(const ArchivePage& page) const {
        std::string out;
        for (const auto& m : page.messages) {
            const auto name = names_.find(m.archive_id);
            out += (out.empty() ? "" : ",") + (name == names_.end() ? m.archive_id : name->second);
        }
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

    // A batch is one transaction: a row that cannot be stored (here one for an account that
    // does not exist) takes the batch with it, and a good batch keeps its order.
    void test_batch_is_all_or_nothing() {
        auto message = [this](const std::string& user, const std::string& id) {
            ArchivedMessage m;
            m.row = next_row_++;
            m.host = "example.test";
            m.user = user;
            names_[ids_->encode(m.row)] = id;
            m.with_bare = "romeo@montague.test";
            m.stanza = "<message><body>" + id + "</body></message>";
            m.stored_at = 1000;
            return m;
        };
        auto append = [this](std::vector<ArchivedMessage> batch) {
            return std::get<0>(await_values<std::tuple<WriteStatus>>(
                [&](auto done) { store_->append(batch, done); }));
        };
        CPPUNIT_ASSERT(append({message("juliet", "a"), message("tybalt", "b"),
                               message("juliet", "c")}) == WriteStatus::refused);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, run(base()).count);
        CPPUNIT_ASSERT(append({message("juliet", "c"), message("nurse", "n"),
                               message("juliet", "a")}) == WriteStatus::committed);
        CPPUNIT_ASSERT_EQUAL(std::string("c,a"), ids(run(base())));
        auto nurse = base();
        nurse.user = "nurse";
        CPPUNIT_ASSERT_EQUAL(std::string("n"), ids(run(nurse)));
    }

    void test_paging_forwards() {
        fill(7);
        auto q = base(3);
        auto page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id0,id1,id2"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, page.count);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, page.first_index);
        CPPUNIT_ASSERT(!page.complete);
        q.after = id(2);
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id3,id4,id5"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, page.first_index);
        CPPUNIT_ASSERT(!page.complete);
        q.after = id(5);
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id6"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{6}, page.first_index);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, page.count);
        CPPUNIT_ASSERT(page.complete);
        q.after = id(6);
        page = run(q);
        CPPUNIT_ASSERT(page.messages.empty());
        CPPUNIT_ASSERT(page.complete);
        // A page that ends exactly at the last message is complete too.
        q.after = id(3);
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
        q.before = id(4);
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id1,id2,id3"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, page.first_index);
        CPPUNIT_ASSERT(!page.complete);
        q.before = id(1);
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id0"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, page.first_index);
        CPPUNIT_ASSERT(page.complete);
        // Backwards within a selection: romeo's messages are id0, id2, id4, id6.
        q.with_bare = "romeo@montague.test";
        q.before = id(6);
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
        q.after_id = id(1);
        q.before_id = id(5);
        CPPUNIT_ASSERT_EQUAL(std::string("id2,id3,id4"), ids(run(q)));
        // before-id limits but does not page backwards: the first of what is left comes first.
        q.max = 2;
        auto page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id2,id3"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, page.count);
        CPPUNIT_ASSERT(!page.complete);
        q = base();
        q.ids = {id(4), id(0), id(3)};
        page = run(q);
        CPPUNIT_ASSERT_EQUAL(std::string("id0,id3,id4"), ids(page));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, page.count);
        q.ids = {id(2)};
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
            if (field == 4) q.ids = {id(1), unknown};
            auto [outcome, page] =
                await_values<Outcome>([&](auto done) { store_->query(q, done); });
            CPPUNIT_ASSERT_MESSAGE(std::to_string(field), outcome == ArchiveOutcome::unknown_id);
        }
        ArchiveQuery nurse = base();
        nurse.user = "nurse";
        nurse.after = id(1);
        auto [outcome, page] =
            await_values<Outcome>([&](auto done) { store_->query(nurse, done); });
        CPPUNIT_ASSERT(outcome == ArchiveOutcome::unknown_id);
    }

    // A changed character, or an id of the right length that this server did not make, is
    // unknown; so is another archive's id.
    void test_tampered_ids_are_unknown() {
        fill(2);
        fill(1, "example.test", "nurse");
        std::string changed = id(1);
        changed[5] = changed[5] == 'A' ? 'B' : 'A';
        for (const std::string& bad :
             {changed, std::string(22, 'A'), id(0, "example.test", "nurse"), id(1).substr(0, 21),
              id(1) + "A"}) {
            auto q = base();
            q.after = bad;
            auto [outcome, page] =
                await_values<Outcome>([&](auto done) { store_->query(q, done); });
            CPPUNIT_ASSERT_MESSAGE(bad, outcome == ArchiveOutcome::unknown_id);
        }
        auto q = base();
        q.after = id(0);
        CPPUNIT_ASSERT_EQUAL(std::string("id1"), ids(run(q)));
    }

    // A row archived before migration 012 keeps its stored id, which still finds it, beside
    // the rows that have none.
    void test_rows_with_a_stored_id() {
        const Result old = db_->execute_sync(
            {"INSERT INTO archive_messages (host, username, archive_id, with_bare, with_resource, "
             "stanza, stored_at) VALUES ('example.test', 'juliet', 'Qx7-old_id16char', "
             "'romeo@montague.test', '', '<message/>', 500)",
             {}});
        CPPUNIT_ASSERT_MESSAGE(old.error, old.ok);
        fill(3);
        CPPUNIT_ASSERT_EQUAL(std::string("Qx7-old_id16char,id0,id1,id2"), ids(run(base())));
        auto q = base();
        q.after = "Qx7-old_id16char";
        CPPUNIT_ASSERT_EQUAL(std::string("id0,id1,id2"), ids(run(q)));
        q = base();
        q.ids = {id(1), "Qx7-old_id16char"};
        CPPUNIT_ASSERT_EQUAL(std::string("Qx7-old_id16char,id1"), ids(run(q)));
        q = base();
        q.user = "nurse";
        q.after = "Qx7-old_id16char";
        auto [outcome, page] = await_values<Outcome>([&](auto done) { store_->query(q, done); });
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
        CPPUNIT_ASSERT_EQUAL(id(0), first->archive_id);
        CPPUNIT_ASSERT_EQUAL(id(3), last->archive_id);
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
        q.after = id(0);
        auto [outcome, page] = await_values<Outcome>([&](auto done) { store_->query(q, done); });
        CPPUNIT_ASSERT(outcome == ArchiveOutcome::unknown_id);
    }

    // Past the quota each user's oldest messages go, in the batch that passed it, and expiry
    // counts what it deletes: the ring holds exactly the quota's newest.
    void test_quota_drops_the_oldest() {
        store_ = std::make_unique<ArchiveStore>(*db_, ids_, 3);
        auto message = [this](const std::string& user, int i) {
            ArchivedMessage m;
            m.row = next_row_++;
            m.host = "example.test";
            m.user = user;
            names_[ids_->encode(m.row)] = user + std::to_string(i);
            m.with_bare = "romeo@montague.test";
            m.stanza = "<message><body>" + std::to_string(i) + "</body></message>";
            m.stored_at = 1000 * i;
            return m;
        };
        auto append = [this](std::vector<ArchivedMessage> batch) {
            const auto [status] = await_values<std::tuple<WriteStatus>>(
                [&](auto done) { store_->append(batch, done); });
            CPPUNIT_ASSERT(status == WriteStatus::committed);
        };
        auto nurse = base();
        nurse.user = "nurse";
        append({message("juliet", 1), message("juliet", 2)});
        append({message("juliet", 3), message("nurse", 1), message("juliet", 4),
                message("juliet", 5), message("juliet", 6)});
        CPPUNIT_ASSERT_EQUAL(std::string("juliet4,juliet5,juliet6"), ids(run(base())));
        CPPUNIT_ASSERT_EQUAL(std::string("nurse1"), ids(run(nurse)));
        const auto [ok, deleted] = await_values<std::tuple<bool, std::int64_t>>(
            [&](auto done) { store_->expire("example.test", 4500, 100, done); });
        CPPUNIT_ASSERT(ok);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, deleted);  // juliet4 and nurse1
        append({message("juliet", 7)});
        CPPUNIT_ASSERT_EQUAL(std::string("juliet5,juliet6,juliet7"), ids(run(base())));
        append({message("juliet", 8)});
        CPPUNIT_ASSERT_EQUAL(std::string("juliet6,juliet7,juliet8"), ids(run(base())));
        // Without a quota the count is still kept, so a quota set later cuts to the truth.
        store_ = std::make_unique<ArchiveStore>(*db_, ids_);
        append({message("juliet", 9), message("juliet", 10)});
        CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, run(base()).count);
        store_ = std::make_unique<ArchiveStore>(*db_, ids_, 2);
        append({message("juliet", 11)});
        CPPUNIT_ASSERT_EQUAL(std::string("juliet10,juliet11"), ids(run(base())));
        // A batch written again (its first commit's answer lost with a connection) changes
        // nothing: no second row, and no second count that would push juliet11 out.
        const auto twice = message("juliet", 12);
        append({twice});
        append({twice});
        CPPUNIT_ASSERT_EQUAL(std::string("juliet11,juliet12"), ids(run(base())));
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
    std::shared_ptr<const ArchiveIds> ids_;
    std::unique_ptr<ArchiveStore> store_;
    // Rows far above the one a row inserted without an id gets (test_rows_with_a_stored_id).
    std::int64_t next_row_ = 1000;
    std::map<std::string, std::int64_t> rows_;  // "host/user/i" -> row
    std::map<std::string, std::string> names_;  // archive id -> "id<i>"
};

STARLING_DRIVER_SUITES(ArchiveStoreContract);

}  // namespace starling::storage::test
