#pragma once
// Opens an empty, migrated database of either driver for the store tests: SQLite in a temporary
// directory, PostgreSQL in a fresh schema of the database STARLING_TEST_PG_CONNINFO names.

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <future>
#include <memory>
#include <string>

#include "storage/await_values.hpp"
#include "storage/database.hpp"
#include "temp_dir.hpp"

namespace starling::storage::test {

inline std::string postgres_conninfo() {
    const char* value = std::getenv("STARLING_TEST_PG_CONNINFO");
    return value == nullptr ? "" : value;
}

inline std::unique_ptr<Database> open_migrated(const std::string& driver, const TempDir& dir,
                                               const std::string& schema) {
    std::unique_ptr<Database> db;
    if (driver == "sqlite") {
        db = open_database({"sqlite", (dir.path() / "starling.db").string(), ""});
    } else {
        auto admin = open_database({"postgres", "", postgres_conninfo()});
        for (const std::string& sql : {"DROP SCHEMA IF EXISTS " + schema + " CASCADE",
                                       "CREATE SCHEMA " + schema}) {
            const Result result = admin->execute_sync({sql, {}});
            CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
        }
        db = open_database({"postgres", "",
                            postgres_conninfo() + " options='-c search_path=" + schema + "'"});
    }
    migrate(*db, std::string(STARLING_SRCDIR) + "/schemas");
    return db;
}

inline void add_account(Database& db, const std::string& host, const std::string& user) {
    const Result result = db.execute_sync(
        {"INSERT INTO accounts (host, username, created_at) VALUES ($1, $2, 0)", {host, user}});
    CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
}

}  // namespace starling::storage::test
