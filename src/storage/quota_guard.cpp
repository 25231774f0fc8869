#include "storage/quota_guard.hpp"

namespace starling::storage {

namespace {
constexpr const char* guard_table = "quota_guard";
}

Statement refuse_if(const std::string& condition, std::vector<Value> params) {
    return {std::string("INSERT INTO ") + guard_table + " (id) SELECT 0 WHERE " + condition,
            std::move(params)};
}

bool refused(const Result& result) {
    // Both drivers name the table in the message (SQLite "UNIQUE constraint failed:
    // quota_guard.id", PostgreSQL "... unique constraint \"quota_guard_pkey\""), which tells
    // the guard apart from any other key the transaction may break.
    return !result.ok && result.unique_violation &&
           result.error.find(guard_table) != std::string::npos;
}

}  // namespace starling::storage
