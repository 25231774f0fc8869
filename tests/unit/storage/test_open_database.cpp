// What an operator reads when the storage section of the configuration is wrong. None of these
// needs a running database server.
#include <cppunit/extensions/HelperMacros.h>

#include <fstream>

#include "core/metrics.hpp"
#include "storage/database.hpp"
#include "temp_dir.hpp"

namespace starling::storage::test {

namespace {

std::string open_error(const DatabaseConfig& config) {
    try {
        open_database(config);
    } catch (const StorageError& e) {
        return e.what();
    }
    CPPUNIT_FAIL("open_database() did not throw");
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

class OpenDatabaseTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OpenDatabaseTest);
    CPPUNIT_TEST(test_unknown_driver);
    CPPUNIT_TEST(test_sqlite_without_path);
    CPPUNIT_TEST(test_sqlite_in_missing_directory);
    CPPUNIT_TEST(test_sqlite_file_that_is_not_a_database);
    CPPUNIT_TEST(test_sqlite_creates_the_file);
    CPPUNIT_TEST(test_jobs_are_timed);
    CPPUNIT_TEST(test_postgres_unreachable_hides_password);
    CPPUNIT_TEST(test_missing_migrations_directory);
    CPPUNIT_TEST_SUITE_END();

    TempDir dir_;

    void test_unknown_driver() {
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "storage: unknown driver 'mysql' (storage.driver must be sqlite or postgres)"),
            open_error({"mysql", "", ""}));
    }

    void test_sqlite_without_path() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("storage: the sqlite driver needs a database file (storage.path)"),
            open_error({"sqlite", "", ""}));
    }

    void test_sqlite_in_missing_directory() {
        const std::string path = (dir_.path() / "var" / "x.db").string();
        CPPUNIT_ASSERT_EQUAL("storage: cannot open SQLite database '" + path +
                                 "': unable to open database file (check that the directory "
                                 "exists and is writable)",
                             open_error({"sqlite", path, ""}));
    }

    void test_sqlite_file_that_is_not_a_database() {
        const std::string path = (dir_.path() / "notes.txt").string();
        std::ofstream(path) << std::string(4096, 'x');
        CPPUNIT_ASSERT_EQUAL("storage: cannot open SQLite database '" + path +
                                 "': file is not a database (the file exists but is not an "
                                 "SQLite database)",
                             open_error({"sqlite", path, ""}));
    }

    void test_sqlite_creates_the_file() {
        const auto path = dir_.path() / "new.db";
        auto db = open_database({"sqlite", path.string(), ""});
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), std::string(db->driver()));
        CPPUNIT_ASSERT(std::filesystem::exists(path));
    }

    void test_jobs_are_timed() {
        Histogram latency({60});
        DatabaseConfig config{"sqlite", (dir_.path() / "timed.db").string(), ""};
        config.job_seconds = &latency;
        auto db = open_database(config);
        CPPUNIT_ASSERT(db->execute_sync({"SELECT 1", {}}).ok);
        CPPUNIT_ASSERT(db->transaction_sync({{"SELECT 1", {}}, {"SELECT 2", {}}}).ok);
        // One observation a job (not a statement), each well under a minute.
        CPPUNIT_ASSERT(latency.counts() == (std::vector<std::uint64_t>{2, 0}));
    }

    void test_postgres_unreachable_hides_password() {
        // A socket directory with no server in it fails at once, without any network.
        const std::string socket_dir = dir_.path().string();
        const std::string error = open_error(
            {"postgres", "", "host=" + socket_dir + " port=1 dbname=starling password=hunter2"});
        CPPUNIT_ASSERT_MESSAGE(error, error.starts_with("storage: cannot connect to PostgreSQL "
                                                        "(conninfo '"));
        CPPUNIT_ASSERT_MESSAGE(
            error, contains(error, "dbname=starling host=" + socket_dir + " port=1'): "));
        CPPUNIT_ASSERT_MESSAGE(error, contains(error, socket_dir + "/.s.PGSQL.1"));
        CPPUNIT_ASSERT_MESSAGE(error, !contains(error, "hunter2"));
    }

    void test_missing_migrations_directory() {
        auto db = open_database({"sqlite", (dir_.path() / "m.db").string(), ""});
        try {
            migrate(*db, (dir_.path() / "nowhere").string());
            CPPUNIT_FAIL("migrate() did not throw");
        } catch (const StorageError& e) {
            CPPUNIT_ASSERT_EQUAL("storage: migrations directory '" +
                                     (dir_.path() / "nowhere" / "sqlite").string() +
                                     "' not found (check the installation: `make install` puts "
                                     "the schemas under <datadir>/starling/schemas)",
                                 std::string(e.what()));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OpenDatabaseTest);

}  // namespace starling::storage::test
