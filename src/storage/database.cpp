// What every driver shares: the blocking wrappers over the asynchronous calls, and choosing the
// driver named in the configuration.
#include "storage/database.hpp"

#include <future>
#include <utility>

#include "storage/postgres/postgres_database.hpp"
#include "storage/sqlite/sqlite_database.hpp"

namespace starling::storage {

namespace {

// The callback runs on the database thread; the promise carries its result back to the caller,
// which is allowed to block because it is never an I/O thread.
template <typename Start>
Result wait_for(Start start) {
    std::promise<Result> promise;
    auto future = promise.get_future();
    start([&promise](Result result) { promise.set_value(std::move(result)); });
    return future.get();
}

}  // namespace

Result Database::execute_sync(Statement statement) {
    return wait_for([&](Callback done) { execute(std::move(statement), std::move(done)); });
}

Result Database::transaction_sync(std::vector<Statement> statements) {
    return wait_for([&](Callback done) { transaction(std::move(statements), std::move(done)); });
}

Result Database::execute_script_sync(std::string script, std::vector<Statement> statements) {
    return wait_for([&](Callback done) {
        execute_script(std::move(script), std::move(statements), std::move(done));
    });
}

std::unique_ptr<Database> open_database(const DatabaseConfig& config) {
    std::unique_ptr<GroupedDatabase> database;
    if (config.driver == "sqlite") {
        if (config.path.empty())
            throw StorageError("storage: the sqlite driver needs a database file (storage.path)");
        database = std::make_unique<SqliteDatabase>(config.path);
    } else if (config.driver == "postgres") {
        database = std::make_unique<PostgresDatabase>(config.conninfo);
    } else {
        throw StorageError("storage: unknown driver '" + config.driver +
                           "' (storage.driver must be sqlite or postgres)");
    }
    if (config.job_seconds) database->time_jobs(*config.job_seconds);
    return database;
}

}  // namespace starling::storage
