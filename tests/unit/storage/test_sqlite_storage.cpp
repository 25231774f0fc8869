// The storage contract against SQLite, on a fresh file in a temporary directory per test.
#include "storage_contract.hpp"

namespace starling::storage::test {

class SqliteStorageTest : public StorageContract {
    CPPUNIT_TEST_SUB_SUITE(SqliteStorageTest, StorageContract);
    CPPUNIT_TEST(test_database_file_uses_wal);
    CPPUNIT_TEST(test_queued_jobs_finish_before_close);
    CPPUNIT_TEST(test_parameter_count_must_match);
    CPPUNIT_TEST_SUITE_END();

protected:
    std::unique_ptr<Database> open_empty() override {
        return open_database({"sqlite", path(), ""});
    }
    std::string blob_type() const override { return "blob"; }

private:
    std::string path() const { return (dir_.path() / "starling.db").string(); }

    void test_database_file_uses_wal() {
        const Result mode = db_->execute_sync({"PRAGMA journal_mode", {}});
        CPPUNIT_ASSERT(mode.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("wal"), mode.rows.at(0).at(0).value());
        const Result keys = db_->execute_sync({"PRAGMA foreign_keys", {}});
        CPPUNIT_ASSERT_EQUAL(std::string("1"), keys.rows.at(0).at(0).value());
    }

    void test_queued_jobs_finish_before_close() {
        CPPUNIT_ASSERT(db_->execute_sync({"CREATE TABLE t (x integer)", {}}).ok);
        int done = 0;
        for (std::int64_t i = 0; i < 50; ++i)
            db_->execute({"INSERT INTO t (x) VALUES ($1)", {i}},
                         [&done](Result r) { done += r.ok; });
        db_.reset();
        CPPUNIT_ASSERT_EQUAL(50, done);
        db_ = open_empty();
        const Result count = db_->execute_sync({"SELECT count(*), sum(x) FROM t", {}});
        CPPUNIT_ASSERT_EQUAL(std::string("50"), count.rows.at(0).at(0).value());
        CPPUNIT_ASSERT_EQUAL(std::string("1225"), count.rows.at(0).at(1).value());
    }

    // PostgreSQL accepts a typed parameter that the SQL never uses; SQLite, the driver used in
    // development, is stricter so that such a mistake shows up early.
    void test_parameter_count_must_match() {
        const Result extra = db_->execute_sync({"SELECT 1", {std::int64_t{5}}});
        CPPUNIT_ASSERT(!extra.ok);
        CPPUNIT_ASSERT_EQUAL(
            std::string("the statement has 0 placeholders but 1 parameters were given"),
            extra.error);
        const Result gap = db_->execute_sync({"SELECT $1, $3", {std::int64_t{1}, std::int64_t{2}}});
        CPPUNIT_ASSERT(!gap.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("placeholder $2 does not appear in the statement"),
                             gap.error);
        const Result twice = db_->execute_sync({"SELECT $1 + $1", {std::int64_t{21}}});
        CPPUNIT_ASSERT_EQUAL(std::string("42"), twice.rows.at(0).at(0).value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SqliteStorageTest);

}  // namespace starling::storage::test
