#include "storage/postgres/postgres_database.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace starling::storage {

namespace {

// From PostgreSQL's catalog (server/catalog/pg_type_d.h, which client packages do not ship).
constexpr Oid bytea_oid = 17;
constexpr Oid int8_oid = 20;
constexpr const char* unique_violation_state = "23505";

// SQLSTATE classes that say the server could not be reached or is going away: connection
// exceptions (08) and operator intervention (57P01 admin shutdown, 57P02 crash shutdown,
// 57P03 cannot connect now).
bool unavailable_state(const char* state) {
    return state != nullptr &&
           (std::strncmp(state, "08", 2) == 0 || std::strncmp(state, "57P", 3) == 0);
}

std::string trimmed(const char* message) {
    std::string text = message == nullptr ? "" : message;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// The conninfo as an operator wrote it, minus the password, for error messages and logs.
std::string printable_conninfo(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (options == nullptr) {
        const std::string reason = trimmed(error);
        PQfreemem(error);
        return "unparsable: " + reason;
    }
    std::string text;
    for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (option->val == nullptr || std::strcmp(option->keyword, "password") == 0) continue;
        if (!text.empty()) text += ' ';
        text += std::string(option->keyword) + '=' + option->val;
    }
    PQconninfoFree(options);
    return text;
}

pg_conn* connect(const std::string& conninfo, std::string& error) {
    PGconn* conn = PQconnectdb(conninfo.c_str());
    if (conn == nullptr) {
        error = "out of memory";
        return nullptr;
    }
    if (PQstatus(conn) != CONNECTION_OK || PQsetnonblocking(conn, 1) != 0) {
        error = trimmed(PQerrorMessage(conn));
        PQfinish(conn);
        return nullptr;
    }
    // libpq prints NOTICEs ("drop cascades to …") on stderr by default; they belong in the log.
    PQsetNoticeProcessor(
        conn,
        [](void*, const char* message) {
            spdlog::debug("storage: PostgreSQL: {}", trimmed(message));
        },
        nullptr);
    return conn;
}

// Results come back in text format; only bytea needs decoding, from the server's "\x…" hex (or
// legacy escape) output to raw bytes, so Blob columns arrive as the bytes that were stored.
std::optional<std::string> column(const PGresult* res, int row, int col) {
    if (PQgetisnull(res, row, col)) return std::nullopt;
    const char* value = PQgetvalue(res, row, col);
    if (PQftype(res, col) != bytea_oid)
        return std::string(value, static_cast<std::size_t>(PQgetlength(res, row, col)));
    std::size_t length = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &length);
    if (bytes == nullptr) return std::nullopt;
    std::string decoded(reinterpret_cast<const char*>(bytes), length);
    PQfreemem(bytes);
    return decoded;
}

Result to_result(const PGresult* res) {
    Result result;
    const ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && status != PGRES_EMPTY_QUERY) {
        result.ok = false;
        result.error = trimmed(PQresultErrorMessage(res));
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        result.unique_violation =
            state != nullptr && std::strcmp(state, unique_violation_state) == 0;
        result.unavailable = unavailable_state(state);
        return result;
    }
    const int rows = PQntuples(res);
    const int columns = PQnfields(res);
    result.rows.reserve(rows);
    for (int r = 0; r < rows; ++r) {
        auto& row = result.rows.emplace_back();
        row.reserve(columns);
        for (int c = 0; c < columns; ++c) row.push_back(column(res, r, c));
    }
    result.affected = std::strtoll(PQcmdTuples(const_cast<PGresult*>(res)), nullptr, 10);
    return result;
}

}  // namespace

void PostgresDatabase::ResultDeleter::operator()(pg_result* result) const {
    PQclear(result);
}

PostgresDatabase::PostgresDatabase(std::string conninfo) : conninfo_(std::move(conninfo)) {
    std::string error;
    conn_ = connect(conninfo_, error);
    if (conn_ == nullptr)
        throw StorageError("storage: cannot connect to PostgreSQL (conninfo '" +
                           printable_conninfo(conninfo_) + "'): " + error);
}

PostgresDatabase::~PostgresDatabase() {
    stop_worker();
    disconnect();
}

void PostgresDatabase::disconnect() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
}

Result PostgresDatabase::run_alone(const Job& job) {
    Result failure;
    if (!ensure_connected(failure)) return failure;
    if (!job.script.empty()) return run_script(job);
    return run_pipeline(job.statements, job.atomic);
}

Result PostgresDatabase::run_in_group(const Job& job) {
    // No reconnecting here: a new connection would run the job outside the group's transaction.
    if (!connected()) return broken("connection to PostgreSQL lost");
    if (!job.script.empty()) {
        Result script = run_simple(job.script);
        if (!script.ok) return script;
    }
    return run_pipeline(job.statements, false);
}

Result PostgresDatabase::run_control(Control control) {
    if (control == Control::begin) {
        Result failure;
        if (!ensure_connected(failure)) return failure;
        return run_simple("BEGIN");
    }
    if (!connected()) return broken("connection to PostgreSQL lost");
    switch (control) {
        case Control::savepoint:
            return run_simple("SAVEPOINT job");
        case Control::rollback_to_savepoint:
            return run_simple("ROLLBACK TO SAVEPOINT job");
        case Control::release_savepoint:
            return run_simple("RELEASE SAVEPOINT job");
        case Control::commit:
            return run_simple("COMMIT");
        case Control::begin:
        case Control::rollback:
            break;
    }
    return run_simple("ROLLBACK");
}

bool PostgresDatabase::connected() const {
    return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

bool PostgresDatabase::in_transaction() const {
    if (!connected()) return false;
    const PGTransactionStatusType status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

// A terminated backend, a restarted server or an idle timeout leave a connection that libpq
// calls OK until it reads the server's goodbye. An idle connection is sent nothing else worth
// waiting for (a notice at most), so whatever is readable is read now, and a goodbye or an end
// of stream found this way costs a reconnect instead of the next job.
bool PostgresDatabase::idle_connection_open() {
    if (!connected()) return false;
    for (int reads = 0; reads < 4; ++reads) {
        pollfd entry{PQsocket(conn_), POLLIN, 0};
        if (poll(&entry, 1, 0) <= 0) return true;
        if (PQconsumeInput(conn_) == 0) return false;
        if (!connected()) return false;
    }
    return connected();
}

// A connection that broke during a job fails that job; the next job reconnects, so a restarted
// PostgreSQL costs at most the jobs that were in flight rather than every later query.
bool PostgresDatabase::ensure_connected(Result& failure) {
    if (idle_connection_open()) return true;
    disconnect();
    std::string error;
    conn_ = connect(conninfo_, error);
    if (conn_ != nullptr) return true;
    failure.ok = false;
    failure.error = "cannot reconnect to PostgreSQL: " + error;
    failure.unavailable = true;
    return false;
}

Result PostgresDatabase::broken(std::string message) {
    Result result;
    result.ok = false;
    result.error = message.empty() ? trimmed(PQerrorMessage(conn_)) : std::move(message);
    if (result.error.empty()) result.error = "connection to PostgreSQL lost";
    result.unavailable = true;
    disconnect();
    return result;
}

// The worker has nothing else to do while a job is in flight, so it sleeps in poll() on the
// connection's socket; the I/O threads never wait here.
bool PostgresDatabase::wait_socket(bool for_write) {
    const int fd = PQsocket(conn_);
    if (fd < 0) return false;
    pollfd entry{fd, static_cast<short>(POLLIN | (for_write ? POLLOUT : 0)), 0};
    for (;;) {
        const int ready = poll(&entry, 1, -1);
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) return false;
    }
}

// As libpq documents for non-blocking mode: while output is pending, also read, so a server
// that is itself blocked on writing results to us can make progress.
bool PostgresDatabase::flush() {
    for (;;) {
        const int pending = PQflush(conn_);
        if (pending == 0) return true;
        if (pending < 0 || !wait_socket(true) || PQconsumeInput(conn_) == 0) return false;
    }
}

// False when reading failed; otherwise `out` is the next result, or null at the end of the
// current query's results. A result may still arrive on a connection that just broke (the
// server's FATAL message), so callers check PQstatus after using it.
bool PostgresDatabase::next_result(ResultPtr& out) {
    while (PQisBusy(conn_)) {
        if (!wait_socket(false) || PQconsumeInput(conn_) == 0) return false;
    }
    out.reset(PQgetResult(conn_));
    return true;
}

// Text parameters go untyped so the server infers their type from the context, as it does for
// literals; integers are typed int8 and blobs are sent in binary as bytea, so no escaping is
// ever done by hand.
bool PostgresDatabase::send(const Statement& statement) {
    const std::size_t count = statement.params.size();
    std::vector<Oid> types(count, 0);
    std::vector<const char*> values(count, nullptr);
    std::vector<int> lengths(count, 0);
    std::vector<int> formats(count, 0);
    std::vector<std::string> numbers(count);
    for (std::size_t i = 0; i < count; ++i) {
        const Value& value = statement.params[i];
        if (const auto* number = std::get_if<std::int64_t>(&value)) {
            numbers[i] = std::to_string(*number);
            types[i] = int8_oid;
            values[i] = numbers[i].c_str();
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            values[i] = text->c_str();
        } else if (const auto* blob = std::get_if<Blob>(&value)) {
            types[i] = bytea_oid;
            values[i] = blob->bytes.data();
            lengths[i] = static_cast<int>(blob->bytes.size());
            formats[i] = 1;
        }
    }
    return PQsendQueryParams(conn_, statement.sql.c_str(), static_cast<int>(count), types.data(),
                             values.data(), lengths.data(), formats.data(), 0) == 1;
}

Result PostgresDatabase::run_pipeline(const std::vector<Statement>& statements,
                                      bool own_transaction) {
    static const Statement begin_statement{"BEGIN", {}};
    static const Statement commit_statement{"COMMIT", {}};
    std::vector<const Statement*> queries;
    if (own_transaction) queries.push_back(&begin_statement);
    for (const Statement& statement : statements) queries.push_back(&statement);
    if (own_transaction) queries.push_back(&commit_statement);
    const std::size_t first_own = own_transaction ? 1 : 0;
    const std::size_t end_own = first_own + statements.size();

    if (PQenterPipelineMode(conn_) != 1) return broken({});
    for (const Statement* query : queries)
        if (!send(*query)) return broken({});
    if (PQpipelineSync(conn_) != 1 || !flush()) return broken({});

    Result result;
    bool failed = false;
    ResultPtr res;
    for (std::size_t i = 0; i < queries.size(); ++i) {
        for (;;) {
            if (!next_result(res)) return broken(failed ? result.error : std::string());
            // After the first error the server skips the rest of the pipeline up to the Sync.
            if (res && PQresultStatus(res.get()) != PGRES_PIPELINE_ABORTED) {
                Result one = to_result(res.get());
                if (!one.ok && !failed) {
                    result = std::move(one);
                    failed = true;
                } else if (one.ok && !failed && i >= first_own && i < end_own) {
                    result = std::move(one);
                }
            }
            if (PQstatus(conn_) != CONNECTION_OK)
                return broken(failed ? result.error : std::string());
            if (!res) break;
        }
    }
    if (!next_result(res) || !res || PQresultStatus(res.get()) != PGRES_PIPELINE_SYNC)
        return broken(failed ? result.error : std::string());
    if (PQexitPipelineMode(conn_) != 1) return broken(failed ? result.error : std::string());
    // A job alone that failed inside its own BEGIN leaves that transaction open; a group's
    // job leaves it to the group, which rolls back to the job's savepoint.
    if (failed && own_transaction) rollback_if_open();
    return result;
}

// A migration script holds several statements, which only the simple query protocol accepts and
// pipeline mode does not, so a job with one runs as separate exchanges inside an explicit
// transaction: the same steps as in a group, between BEGIN and COMMIT.
Result PostgresDatabase::run_script(const Job& job) {
    Result result = run_simple("BEGIN");
    if (result.ok) result = run_in_group(job);
    if (result.ok) {
        const Result commit = run_simple("COMMIT");
        if (commit.ok) return result;  // the last statement's result, as for a transaction
        result = commit;
    }
    rollback_if_open();
    return result;
}

Result PostgresDatabase::run_simple(const std::string& sql) {
    if (PQsendQuery(conn_, sql.c_str()) != 1 || !flush()) return broken({});
    Result result;
    ResultPtr res;
    for (;;) {
        if (!next_result(res)) return broken(result.ok ? std::string() : result.error);
        if (res && result.ok) result = to_result(res.get());
        if (PQstatus(conn_) != CONNECTION_OK)
            return broken(result.ok ? std::string() : result.error);
        if (!res) return result;
    }
}

void PostgresDatabase::rollback_if_open() {
    if (conn_ == nullptr) return;
    const PGTransactionStatusType status = PQtransactionStatus(conn_);
    if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) run_simple("ROLLBACK");
}

}  // namespace starling::storage
