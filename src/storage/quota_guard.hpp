#pragma once
// Quotas enforced by the write itself. A module that read a count and then wrote would let a
// thousand requests pipelined in one read all find room: each reads the count before any of
// them is written. Instead the limit goes into the write's transaction as one more statement,
// which sees the rows exactly as the statements before it (and every job committed or queued
// ahead of it on the connection) left them, and which fails the transaction, rolling back all
// of it, when the limit would be passed.
//
// It fails the transaction the one way both drivers report alike: by inserting a second row
// with the one key of the quota_guard table (schemas/*/013_quotas.sql), a unique violation.
//
// Each driver runs its jobs one at a time on one connection, so the count is exact. Several
// servers sharing one PostgreSQL database (clusters, later) will need a lock per account taken
// before the count as well.

#include "storage/database.hpp"

#include <string>
#include <vector>

namespace starling::storage {

/// A statement that fails its transaction when `condition` holds: an SQL boolean expression
/// over `params` ($1, $2 … as in any statement), such as "(SELECT count(*) FROM blocklist WHERE
/// host = $1 AND username = $2) > $3".
Statement refuse_if(const std::string& condition, std::vector<Value> params);

/// refuse_if for a write that may add one row to `table`: it fails when the row that `scope`
/// and `row` select together does not exist yet and `scope` (the user's rows) already holds
/// `max`. Put it before the write. `max` is bound after `params`.
Statement refuse_one_more(const std::string& table, const std::string& scope,
                          const std::string& row, std::vector<Value> params, std::int64_t max);

/// True when `result` failed because a refuse_if condition held (and for no other reason).
bool refused(const Result& result);

}  // namespace starling::storage
