#pragma once
// A database behind one interface, with two drivers, each one connection: SQLite (embedded default,
// on its own worker thread) and PostgreSQL (libpq's asynchronous API on its own thread). Callers
// never block an I/O thread: results arrive in a callback that runs on the database thread, and
// the caller posts them back to its own executor. A callback must not block for long and must not
// wait for another result of the same database (that would wait for itself).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace starling {
class Histogram;
}  // namespace starling

namespace starling::storage {

/// A bound parameter. Text is bound as text, Blob as binary (bytea / BLOB).
struct Blob {
    std::string bytes;
};
using Value = std::variant<std::monostate, std::int64_t, std::string, Blob>;

struct Result {
    bool ok = true;
    std::string error;  // driver message when !ok
    /// Rows of columns; a NULL is nullopt. Blob columns arrive as raw bytes.
    std::vector<std::vector<std::optional<std::string>>> rows;
    std::int64_t affected = 0;
    /// The statement broke a primary key or unique constraint (SQLite's CONSTRAINT_PRIMARYKEY or
    /// CONSTRAINT_UNIQUE, PostgreSQL's SQLSTATE 23505): lets a store answer "exists" without
    /// racing a separate existence check.
    bool unique_violation = false;
    /// The database could not be reached: the connection broke or could not be made, the
    /// server is shutting down or starting, or the transaction was rolled back with others for
    /// such a reason. Nothing was written, and the same statements may succeed when retried.
    bool unavailable = false;
};
using Callback = std::function<void(Result)>;

/// How a write ended, for callers that retry what could not reach the database.
enum class WriteStatus { committed, refused, unavailable };
inline WriteStatus write_status(const Result& result) {
    if (result.ok) return WriteStatus::committed;
    return result.unavailable ? WriteStatus::unavailable : WriteStatus::refused;
}

/// One statement. SQL uses $1, $2 … placeholders in both drivers; only parameterised queries.
struct Statement {
    std::string sql;
    std::vector<Value> params;
};

struct DatabaseConfig {
    std::string driver;    // "sqlite" or "postgres"
    std::string path;      // sqlite: file path
    std::string conninfo;  // postgres: libpq connection string
    /// When set, each job's seconds from being queued to its result (its callback not
    /// included) are observed here.
    Histogram* job_seconds = nullptr;
};

/// Thrown at start-up (open, migrate) with a message an operator can act on.
class StorageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Database {
public:
    virtual ~Database() = default;
    virtual const char* driver() const = 0;
    /// Runs one statement.
    virtual void execute(Statement statement, Callback done) = 0;
    /// Runs the statements in one transaction; the result is the last statement's, or the first
    /// error (after which the transaction is rolled back).
    virtual void transaction(std::vector<Statement> statements, Callback done) = 0;
    /// Runs `script`, several parameterless statements separated by semicolons (a migration
    /// file), then `statements`, all in one transaction; the result is as for transaction().
    virtual void execute_script(std::string script, std::vector<Statement> statements,
                                Callback done) = 0;
    /// True when no job is queued or running: every job accepted has committed (or failed) and
    /// its callback has returned. A callback that queues a further job keeps it false, so a
    /// chain of jobs counts as one. Shutdown waits for this before it closes storage. Any thread.
    virtual bool idle() const = 0;
    /// Waits for the result: for start-up, migrations and starlingctl only, never an I/O thread.
    Result execute_sync(Statement statement);
    Result transaction_sync(std::vector<Statement> statements);
    Result execute_script_sync(std::string script, std::vector<Statement> statements);
};

/// Opens the driver named in the config; throws StorageError naming the problem.
std::unique_ptr<Database> open_database(const DatabaseConfig& config);

/// Applies the numbered migrations in `schema_dir`/<driver>/NNN_name.sql that are newer than the
/// database's schema_version, each in its own transaction; returns how many were applied.
int migrate(Database& db, const std::string& schema_dir);

}  // namespace starling::storage
