#include "storage/quota_guard.hpp"

namespace starling::storage {

namespace {
constexpr const char* guard_table = "quota_guard";
}

Statement refuse_if(const std::string& condition, std::vector<Value> params) {
    return {std::string("INSERT INTO ") + guard_table + " (id) SELECT 0 WHERE " + condition,
            std::move(params)};
}

Statement refuse_one_more(const std::string& table, const std::string& scope,
                          const std::string& row, std::vector<Value> params, std::int64_t max) {
    const std::string limit = "$" + std::to_string(params.size() + 1);
    params.emplace_back(max);
    return refuse_if("NOT EXISTS (SELECT 1 FROM " + table + " WHERE " + scope + " AND " + row +
                         ") AND (SELECT count(*) FROM " + table + " WHERE " + scope +
                         ") >= " + limit,
                     std::move(params));
}

bool refused(const Result& result) {
    // Both drivers name the table in the message (SQLite "UNIQUE constraint failed:
    // quota_guard.id", PostgreSQL "... unique constraint \"quota_guard_pkey\""), which tells
    // the guard apart from any other key the transaction may break.
    return !result.ok && result.unique_violation &&
           result.error.find(guard_table) != std::string::npos;
}

}  // namespace starling::storage
