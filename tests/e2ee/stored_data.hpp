#pragma once

#include "server_fixture.hpp"

#include <string>
#include <utility>
#include <vector>

namespace starling::e2ee {

/// Everything the server keeps about a scenario: each table of its database with every row,
/// read behind the server's back (libsqlite3 on the database file, or pg_dump of the
/// scenario's own PostgreSQL database), the raw bytes of the SQLite files, and its log.
struct stored_data {
    std::vector<std::string> tables;
    std::string database;  ///< every value of every row; PostgreSQL bytea as pg_dump's hex
    /// SQLite only: the database file, its WAL and its shared-memory index as bytes on disk,
    /// by path, which also hold what deleted rows and unmerged WAL frames leave behind.
    std::vector<std::pair<std::string, std::string>> files;
    std::string log;
};

stored_data read_stored_data(const scenarios::server_fixture& server);

/// The forms a secret could take in storage: as it is, hex, and base64 at each of the three
/// alignments it could have inside a longer base64 blob (whole groups only).
std::vector<std::string> leak_patterns(const std::string& secret);

/// Fails the scenario, naming the table or the log and the form found, if any of `secrets`
/// appears in any form of `leak_patterns` anywhere in `data`.
void require_absent(const stored_data& data, const std::vector<std::string>& secrets);

}  // namespace starling::e2ee
