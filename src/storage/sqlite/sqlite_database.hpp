#pragma once
// The embedded driver: one sqlite3 connection owned by one worker thread, so a fresh checkout
// runs with no database server and SQLite's blocking calls never run on an I/O thread. Jobs
// queued together share one commit (GroupedDatabase).

#include <string>
#include <unordered_map>

#include "storage/grouped_database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace starling::storage {

class SqliteDatabase final : public GroupedDatabase {
public:
    /// Opens or creates the file (0600, private_files.hpp) in WAL mode with foreign keys on;
    /// warns in the log when an existing file is open to other users; throws StorageError.
    explicit SqliteDatabase(const std::string& path);
    /// Runs every job already queued, then closes the connection.
    ~SqliteDatabase() override;

    const char* driver() const override { return "sqlite"; }

private:
    Result run_alone(const Job& job) override;
    Result run_in_group(const Job& job) override;
    Result run_control(Control control) override;
    bool in_transaction() const override;
    Result run(const Statement& statement);
    sqlite3_stmt* prepare(const std::string& sql, std::string& error);
    void close();

    sqlite3* db_ = nullptr;
    // Keyed by SQL text: stores use a fixed set of statements, so the cache stays small.
    std::unordered_map<std::string, sqlite3_stmt*> prepared_;
};

}  // namespace starling::storage
