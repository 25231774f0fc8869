// The storage contract against PostgreSQL, when STARLING_TEST_PG_CONNINFO names a database (in
// keyword=value form) the tests may use. Each test gets a freshly created schema, so reruns start
// clean and nothing else in that database is touched.
#include <cstdlib>
#include <iostream>

#include "storage_contract.hpp"

namespace starling::storage::test {

namespace {

constexpr const char* test_schema = "starling_unit";

std::string conninfo() {
    const char* value = std::getenv("STARLING_TEST_PG_CONNINFO");
    return value == nullptr ? "" : value;
}

}  // namespace

class PostgresStorageTest : public StorageContract {
    CPPUNIT_TEST_SUB_SUITE(PostgresStorageTest, StorageContract);
    CPPUNIT_TEST(test_terminated_connection_is_replaced_before_the_next_job);
    CPPUNIT_TEST_SUITE_END();

protected:
    std::unique_ptr<Database> open_empty() override {
        auto admin = open_database({"postgres", "", conninfo()});
        for (const std::string& sql :
             {std::string("DROP SCHEMA IF EXISTS ") + test_schema + " CASCADE",
              std::string("CREATE SCHEMA ") + test_schema}) {
            const Result result = admin->execute_sync({sql, {}});
            CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
        }
        // In the conninfo rather than a SET, so that a reconnect lands in the same schema.
        return open_database(
            {"postgres", "", conninfo() + " options='-c search_path=" + test_schema + "'"});
    }
    std::string blob_type() const override { return "bytea"; }

private:
    void test_terminated_connection_is_replaced_before_the_next_job() {
        const Result pid = db_->execute_sync({"SELECT pg_backend_pid()", {}});
        CPPUNIT_ASSERT(pid.ok);
        auto admin = open_database({"postgres", "", conninfo()});
        // The timeout makes pg_terminate_backend wait until the backend is gone.
        const Result killed =
            admin->execute_sync({"SELECT pg_terminate_backend(CAST($1 AS integer), 5000)",
                                 {pid.rows.at(0).at(0).value()}});
        CPPUNIT_ASSERT_MESSAGE(killed.error, killed.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("t"), killed.rows.at(0).at(0).value());

        // The goodbye of the terminated backend is waiting on the idle connection: the next job
        // finds it before sending and runs on a new connection instead of failing.
        const Result back = db_->execute_sync({"SELECT current_schema()", {}});
        CPPUNIT_ASSERT_MESSAGE(back.error, back.ok);
        CPPUNIT_ASSERT_EQUAL(std::string(test_schema), back.rows.at(0).at(0).value());
    }
};

namespace {

// CppUnit cannot skip a test, so without a database the suite is not registered at all, and the
// run says so rather than passing silently.
const bool registered = [] {
    if (conninfo().empty()) {
        std::cout << "storage: PostgreSQL tests skipped (set STARLING_TEST_PG_CONNINFO to the "
                     "conninfo of a database they may use)"
                  << std::endl;
        return false;
    }
    static CppUnit::AutoRegisterSuite<PostgresStorageTest> registration;
    return true;
}();

}  // namespace

}  // namespace starling::storage::test
