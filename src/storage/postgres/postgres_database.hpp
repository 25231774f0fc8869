#pragma once
// The production driver: one libpq connection driven through libpq's asynchronous API on its own
// thread. Statements of a job are sent as one pipeline (PostgreSQL 14+ libpq), so a transaction
// of N statements costs one round trip instead of N + 2; jobs queued together share one commit
// (GroupedDatabase).

#include <memory>
#include <string>
#include <vector>

#include "storage/grouped_database.hpp"

struct pg_conn;
struct pg_result;

namespace starling::storage {

class PostgresDatabase final : public GroupedDatabase {
public:
    /// Connects, blocking (this is start-up); throws StorageError with libpq's reason.
    explicit PostgresDatabase(std::string conninfo);
    /// Runs every job already queued, then closes the connection.
    ~PostgresDatabase() override;

    const char* driver() const override { return "postgres"; }

private:
    struct ResultDeleter {
        void operator()(pg_result* result) const;
    };
    using ResultPtr = std::unique_ptr<pg_result, ResultDeleter>;

    Result run_alone(const Job& job) override;
    Result run_in_group(const Job& job) override;
    Result run_control(Control control) override;
    bool in_transaction() const override;
    bool connected() const;
    /// Sends the statements as one pipeline, inside BEGIN ... COMMIT when `own_transaction`;
    /// after an error, rolls back an open transaction unless it belongs to a group.
    Result run_pipeline(const std::vector<Statement>& statements, bool own_transaction);
    Result run_script(const Job& job);
    Result run_simple(const std::string& sql);
    void rollback_if_open();
    bool idle_connection_open();
    bool ensure_connected(Result& failure);
    bool send(const Statement& statement);
    bool flush();
    bool wait_socket(bool for_write);
    bool next_result(ResultPtr& out);
    Result broken(std::string message);
    void disconnect();

    std::string conninfo_;
    pg_conn* conn_ = nullptr;
};

}  // namespace starling::storage
