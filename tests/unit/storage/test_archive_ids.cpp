// Archive ids: the encrypted row round-trips, says nothing a client could count on (22
// url-safe characters, different under another key), and anything this server did not make
// decodes to nothing; the key is made once and kept in the database, and rows are numbered
// above the archive's largest, on both drivers.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_databases.hpp"
#include "driver_suites.hpp"
#include "storage/archive_ids.hpp"

#include <chrono>
#include <set>

namespace starling::storage::test {

class ArchiveIdsContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ArchiveIdsContract);
    CPPUNIT_TEST(test_round_trip);
    CPPUNIT_TEST(test_what_the_server_did_not_make_is_nothing);
    CPPUNIT_TEST(test_key_is_kept);
    CPPUNIT_TEST(test_rows_grow_past_the_archive);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_archive_ids");
        ids_ = ArchiveIds::load(*db_);
    }
    void tearDown() override { db_.reset(); }

protected:
    virtual std::string driver() const = 0;

private:
    void test_round_trip() {
        std::set<std::string> seen;
        for (std::int64_t row : {std::int64_t{0}, std::int64_t{1}, std::int64_t{2},
                                 std::int64_t{1} << 52, ArchiveIds::next_row()}) {
            const std::string id = ids_->encode(row);
            CPPUNIT_ASSERT_EQUAL(std::size_t{22}, id.size());
            CPPUNIT_ASSERT_MESSAGE(
                id, id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                                         "klmnopqrstuvwxyz0123456789-_") == std::string::npos);
            CPPUNIT_ASSERT(ids_->decode(id) == row);
            seen.insert(id);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t{5}, seen.size());
        // Neighbouring rows share nothing visible; another key gives other ids.
        const ArchiveIds other(std::string(16, 'k'));
        CPPUNIT_ASSERT(other.encode(1) != ids_->encode(1));
        CPPUNIT_ASSERT(!other.decode(ids_->encode(1)));
    }

    void test_what_the_server_did_not_make_is_nothing() {
        const std::string id = ids_->encode(12345);
        for (std::size_t i = 0; i < id.size(); ++i) {
            std::string changed = id;
            changed[i] = changed[i] == 'Q' ? 'R' : 'Q';
            // The last character carries 2 bits of the block and 4 that base64 ignores.
            if (i + 1 < id.size()) CPPUNIT_ASSERT_MESSAGE(changed, !ids_->decode(changed));
        }
        for (const std::string& bad :
             {std::string(), std::string(22, 'A'), id.substr(1), id + "A", id.substr(0, 21) + "=",
              id.substr(0, 21) + "+", id.substr(0, 21) + "/", id.substr(0, 21) + " ",
              std::string("Qx7-old_id16char")})
            CPPUNIT_ASSERT_MESSAGE(bad, !ids_->decode(bad));
        CPPUNIT_ASSERT_THROW(ArchiveIds(std::string(15, 'k')), std::invalid_argument);
    }

    void test_key_is_kept() {
        // A second load (a restart, a reload) finds the same key.
        const auto again = ArchiveIds::load(*db_);
        CPPUNIT_ASSERT_EQUAL(ids_->encode(77), again->encode(77));
        const Result keys = db_->execute_sync({"SELECT count(*) FROM server_keys", {}});
        CPPUNIT_ASSERT_MESSAGE(keys.error, keys.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), keys.rows.at(0).at(0).value_or(""));
    }

    void test_rows_grow_past_the_archive() {
        const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
        std::int64_t last = ArchiveIds::next_row();
        CPPUNIT_ASSERT(last >= now);
        for (int i = 0; i < 1000; ++i) {
            const std::int64_t next = ArchiveIds::next_row();
            CPPUNIT_ASSERT(next > last);
            last = next;
        }
        // A row from a clock that ran a minute ahead (before a restart): numbers go on above it.
        add_account(*db_, "example.test", "juliet");
        const std::int64_t ahead = now + 60'000'000;
        const Result stored = db_->execute_sync(
            {"INSERT INTO archive_messages (id, host, username, archive_id, with_bare, "
             "with_resource, stanza, stored_at) VALUES ($1, 'example.test', 'juliet', '', "
             "'romeo@montague.test', '', '<message/>', 1)",
             {ahead}});
        CPPUNIT_ASSERT_MESSAGE(stored.error, stored.ok);
        ArchiveIds::load(*db_);
        CPPUNIT_ASSERT(ArchiveIds::next_row() > ahead);
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::shared_ptr<const ArchiveIds> ids_;
};

STARLING_DRIVER_SUITES(ArchiveIdsContract);

}  // namespace starling::storage::test
