#pragma once
// The embedded driver: one sqlite3 connection owned by one worker thread, so a fresh checkout
// runs with no database server and SQLite's blocking calls never run on an I/O thread.
//
// Group commit: what callers queue while the thread is busy runs next as one transaction, each
// job in its own savepoint, and every callback runs after that single commit. A burst of n writes
// then costs one fsync instead of n (an fsync'd commit is ~5 ms here, so one commit per write
// capped the server at ~200 offline messages a second), and nothing waits when the queue is
// quiet: a lone job runs at once, as before.

#include <mutex>
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
    struct Job {
        std::string script;  // run first, when not empty (a migration)
        std::vector<Statement> statements;
        bool atomic = true;  // false for execute(): one statement in autocommit
        Callback done;
    };

    void enqueue(Job job);
    void run_queued();
    /// Runs the jobs in one transaction, one savepoint each; returns their results in order.
    std::vector<Result> run_group(std::vector<Job>& jobs, std::size_t first, std::size_t last);
    Result run_job(const Job& job);
    Result run_statements(const Job& job);
    Result run(const Statement& statement);
    sqlite3_stmt* prepare(const std::string& sql, std::string& error);
    void close();

    sqlite3* db_ = nullptr;
    // Keyed by SQL text: stores use a fixed set of statements, so the cache stays small.
    std::unordered_map<std::string, sqlite3_stmt*> prepared_;
    std::mutex queue_mutex_;
    std::vector<Job> queued_;
    bool run_posted_ = false;  // a run_queued() is on the worker and will take what is queued
    WorkerThread worker_;
};

}  // namespace starling::storage
