#pragma once
// Fresh, fully migrated databases for the store tests, one per driver: SQLite on a file in a
// temporary directory, PostgreSQL in a schema of its own (when STARLING_TEST_PG_CONNINFO is set).

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "storage/database.hpp"
#include "temp_dir.hpp"

namespace starling::storage::test {

inline std::string pg_conninfo() {
    const char* value = std::getenv("STARLING_TEST_PG_CONNINFO");
    return value == nullptr ? "" : value;
}

inline std::unique_ptr<Database> migrated(std::unique_ptr<Database> db) {
    migrate(*db, std::string(STARLING_SRCDIR) + "/schemas");
    return db;
}

inline std::unique_ptr<Database> fresh_sqlite(const TempDir& dir) {
    return migrated(open_database({"sqlite", (dir.path() / "starling.db").string(), ""}));
}

/// Drops and recreates `schema`, so reruns start clean and nothing else is touched.
inline std::unique_ptr<Database> fresh_postgres(const std::string& schema) {
    auto admin = open_database({"postgres", "", pg_conninfo()});
    for (const std::string& sql : {"DROP SCHEMA IF EXISTS " + schema + " CASCADE",
                                   "CREATE SCHEMA " + schema}) {
        const Result result = admin->execute_sync({sql, {}});
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    }
    return migrated(open_database(
        {"postgres", "", pg_conninfo() + " options='-c search_path=" + schema + "'"}));
}

/// Turns a store's callback into a value the test can assert on.
template <typename T, typename Start>
T await_result(Start start) {
    std::promise<T> promise;
    auto future = promise.get_future();
    start([&promise](auto... values) { promise.set_value(T{std::move(values)...}); });
    return future.get();
}

inline void add_account(Database& db, const std::string& host, const std::string& user) {
    const Result result = db.execute_sync(
        {"INSERT INTO accounts (host, username, created_at) VALUES ($1, $2, 1)", {host, user}});
    CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
}

}  // namespace starling::storage::test
