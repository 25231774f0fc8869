#include "storage/sqlite/sqlite_database.hpp"

#include "storage/sqlite/private_files.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <cctype>
#include <utility>

namespace starling::storage {

namespace {

// Concurrent writers (starlingctl next to a running starlingd) wait this long for the lock
// instead of failing at once.
constexpr int busy_timeout_ms = 5000;

std::string open_error(const std::string& path, int code, const std::string& message) {
    std::string text = "storage: cannot open SQLite database '" + path + "': " + message;
    switch (code & 0xff) {
        case SQLITE_CANTOPEN:
        case SQLITE_PERM:
        case SQLITE_READONLY:
        case SQLITE_AUTH:
            return text + " (check that the directory exists and is writable)";
        case SQLITE_NOTADB:
            return text + " (the file exists but is not an SQLite database)";
        default:
            return text;
    }
}

bool only_whitespace(const char* text) {
    for (; *text != '\0'; ++text)
        if (!std::isspace(static_cast<unsigned char>(*text))) return false;
    return true;
}

// SQLite reads "$1" as a named parameter called "$1", so the shared placeholder syntax needs no
// rewriting; binding by name also lets one placeholder appear several times.
bool bind(sqlite3_stmt* stmt, const std::vector<Value>& params, std::string& error) {
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
        error = "the statement has " + std::to_string(expected) + " placeholders but " +
                std::to_string(params.size()) + " parameters were given";
        return false;
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::string name = "$" + std::to_string(i + 1);
        const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
        if (index == 0) {
            error = "placeholder " + name + " does not appear in the statement";
            return false;
        }
        const Value& value = params[i];
        int rc = SQLITE_OK;
        // The parameters outlive the step, and bindings are cleared after it, so SQLite need not
        // copy them.
        if (std::holds_alternative<std::monostate>(value)) {
            rc = sqlite3_bind_null(stmt, index);
        } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
            rc = sqlite3_bind_int64(stmt, index, *number);
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            rc = sqlite3_bind_text64(stmt, index, text->data(), text->size(), SQLITE_STATIC,
                                     SQLITE_UTF8);
        } else {
            const std::string& bytes = std::get<Blob>(value).bytes;
            rc = sqlite3_bind_blob64(stmt, index, bytes.data(), bytes.size(), SQLITE_STATIC);
        }
        if (rc != SQLITE_OK) {
            error = "cannot bind " + name + ": " + sqlite3_errstr(rc);
            return false;
        }
    }
    return true;
}

std::optional<std::string> column(sqlite3_stmt* stmt, int index) {
    switch (sqlite3_column_type(stmt, index)) {
        case SQLITE_NULL:
            return std::nullopt;
        case SQLITE_BLOB: {
            // The pointer must be fetched before the size, as sqlite3_column_bytes documents.
            const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, index));
            return std::string(data == nullptr ? "" : data,
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt, index)));
        }
        default: {
            const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, index));
            return std::string(data == nullptr ? "" : data,
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt, index)));
        }
    }
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path) {
    // Whoever opens it first (starlingd, or starlingctl adduser before the first start) makes it
    // private; SQLite then makes the -wal and -shm files with the same mode.
    create_private_database_file(path);
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        close();
        throw StorageError(open_error(path, rc, message));
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    // WAL lets readers (starlingctl, backups) work beside the server's writer; these pragmas are
    // also the first statements to touch the file, so a bad path or a foreign file fails here.
    for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON"}) {
        rc = sqlite3_exec(db_, pragma, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) {
            const std::string message = sqlite3_errmsg(db_);
            close();
            throw StorageError(open_error(path, rc, message));
        }
    }
    // A file the operator made, or one older Starlings made 0644, is not changed behind the
    // operator's back: it may be shared with a backup group on purpose, or be another user's
    // file. Every start says so instead, with the command that fixes it.
    const auto open_to_others = database_files_open_to_others(path);
    if (!open_to_others.empty()) {
        std::string files;
        for (const auto& file : open_to_others) files += " '" + file + "'";
        spdlog::warn(
            "storage: the SQLite database{} can be read by other local users, and it holds "
            "every account's SCRAM secrets and the message archive; run: chmod 600{}",
            files, files);
    }
}

SqliteDatabase::~SqliteDatabase() {
    stop_worker();
    close();
}

void SqliteDatabase::close() {
    for (auto& [sql, stmt] : prepared_) sqlite3_finalize(stmt);
    prepared_.clear();
    sqlite3_close_v2(db_);
    db_ = nullptr;
}

Result SqliteDatabase::run_alone(const Job& job) {
    if (!job.atomic) return run(job.statements.front());
    // IMMEDIATE takes the write lock up front, so two writers wait on busy_timeout instead of
    // deadlocking when both try to upgrade a read lock.
    Result result = run({"BEGIN IMMEDIATE", {}});
    if (!result.ok) return result;
    result = run_in_group(job);
    if (result.ok) {
        const Result commit = run({"COMMIT", {}});
        if (commit.ok) return result;
        result = commit;
    }
    // A failed COMMIT or statement may already have ended the transaction itself.
    if (sqlite3_get_autocommit(db_) == 0) run({"ROLLBACK", {}});
    return result;
}

Result SqliteDatabase::run_in_group(const Job& job) {
    Result result;
    if (!job.script.empty()) {
        char* message = nullptr;
        if (sqlite3_exec(db_, job.script.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            result.ok = false;
            result.error = message != nullptr ? message : sqlite3_errmsg(db_);
            sqlite3_free(message);
        }
    }
    for (std::size_t i = 0; result.ok && i < job.statements.size(); ++i)
        result = run(job.statements[i]);
    return result;
}

Result SqliteDatabase::run_control(Control control) {
    switch (control) {
        case Control::begin:
            // IMMEDIATE, as for a job alone (see run_alone).
            return run({"BEGIN IMMEDIATE", {}});
        case Control::savepoint:
            return run({"SAVEPOINT job", {}});
        case Control::rollback_to_savepoint:
            return run({"ROLLBACK TO SAVEPOINT job", {}});
        case Control::release_savepoint:
            return run({"RELEASE SAVEPOINT job", {}});
        case Control::commit:
            return run({"COMMIT", {}});
        case Control::rollback:
            break;
    }
    return run({"ROLLBACK", {}});
}

bool SqliteDatabase::in_transaction() const {
    return sqlite3_get_autocommit(db_) == 0;
}

sqlite3_stmt* SqliteDatabase::prepare(const std::string& sql, std::string& error) {
    if (auto found = prepared_.find(sql); found != prepared_.end()) return found->second;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) {
        error = sqlite3_errmsg(db_);
        return nullptr;
    }
    // A second statement in the text would silently never run.
    if (stmt == nullptr || (tail != nullptr && !only_whitespace(tail))) {
        sqlite3_finalize(stmt);
        error = "expected exactly one SQL statement in: " + sql;
        return nullptr;
    }
    prepared_.emplace(sql, stmt);
    return stmt;
}

Result SqliteDatabase::run(const Statement& statement) {
    Result result;
    sqlite3_stmt* stmt = prepare(statement.sql, result.error);
    if (stmt == nullptr || !bind(stmt, statement.params, result.error)) {
        result.ok = false;
        if (stmt != nullptr) sqlite3_clear_bindings(stmt);
        return result;
    }
    const int columns = sqlite3_column_count(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        auto& row = result.rows.emplace_back();
        row.reserve(columns);
        for (int i = 0; i < columns; ++i) row.push_back(column(stmt, i));
    }
    if (rc == SQLITE_DONE) {
        result.affected = sqlite3_stmt_readonly(stmt) != 0
                              ? static_cast<std::int64_t>(result.rows.size())
                              : sqlite3_changes64(db_);
    } else {
        result.ok = false;
        result.error = sqlite3_errmsg(db_);
        const int code = sqlite3_extended_errcode(db_);
        result.unique_violation =
            code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE;
        // Another process held the database locked past busy_timeout (a backup, starlingctl):
        // the same statement succeeds once it lets go.
        result.unavailable = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED;
        result.rows.clear();
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return result;
}

}  // namespace starling::storage
