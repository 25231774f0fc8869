#pragma once
// The embedded driver: one sqlite3 connection owned by one worker thread, so a fresh checkout
// runs with no database server and SQLite's blocking calls never run on an I/O thread.

#include <string>
#include <unordered_map>
#include <vector>

#include "storage/database.hpp"
#include "storage/worker_thread.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace starling::storage {

class SqliteDatabase final : public Database {
public:
    /// Opens or creates the file in WAL mode with foreign keys on; throws StorageError.
    explicit SqliteDatabase(const std::string& path);
    /// Runs every job already queued, then closes the connection.
    ~SqliteDatabase() override;

    const char* driver() const override { return "sqlite"; }
    void execute(Statement statement, Callback done) override;
    void transaction(std::vector<Statement> statements, Callback done) override;
    void execute_script(std::string script, std::vector<Statement> statements,
                        Callback done) override;

private:
    Result run(const Statement& statement);
    Result run_transaction(const std::string& script, const std::vector<Statement>& statements);
    sqlite3_stmt* prepare(const std::string& sql, std::string& error);
    void close();

    sqlite3* db_ = nullptr;
    // Keyed by SQL text: stores use a fixed set of statements, so the cache stays small.
    std::unordered_map<std::string, sqlite3_stmt*> prepared_;
    WorkerThread worker_;
};

}  // namespace starling::storage
