#include "stored_data.hpp"

#include "process.hpp"
#include "scenario.hpp"
#include "scram_client.hpp"

#include <sqlite3.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace starling::e2ee {
namespace {

using scenarios::require;

std::string to_hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : bytes) {
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 15]);
    }
    return hex;
}

struct sqlite_closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
};

// Every row of every table, each value as its bytes (so a BLOB is searched as it is stored),
// prefixed with the table's name so that a failure can say where it found something.
void read_sqlite(const std::string& path, stored_data& data) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    std::unique_ptr<sqlite3, sqlite_closer> db(raw);
    require(rc == SQLITE_OK, "cannot open " + path + ": " + sqlite3_errstr(rc));
    sqlite3_busy_timeout(db.get(), 5000);
    sqlite3_stmt* list = nullptr;
    require(sqlite3_prepare_v2(db.get(),
                               "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                               -1, &list, nullptr) == SQLITE_OK,
            std::string("listing tables: ") + sqlite3_errmsg(db.get()));
    while (sqlite3_step(list) == SQLITE_ROW)
        data.tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list, 0)));
    sqlite3_finalize(list);
    for (const auto& table : data.tables) {
        std::string quoted = "\"";
        for (char c : table) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        sqlite3_stmt* rows = nullptr;
        require(sqlite3_prepare_v2(db.get(), ("SELECT * FROM " + quoted + "\"").c_str(), -1, &rows,
                                   nullptr) == SQLITE_OK,
                "reading " + table + ": " + sqlite3_errmsg(db.get()));
        int step;
        while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
            data.database += "\n" + table + ":";
            for (int column = 0; column < sqlite3_column_count(rows); ++column) {
                const void* value = sqlite3_column_blob(rows, column);
                const int size = sqlite3_column_bytes(rows, column);
                data.database += " ";
                if (value) data.database.append(static_cast<const char*>(value), size);
            }
        }
        sqlite3_finalize(rows);
        require(step == SQLITE_DONE, "reading " + table + ": " + sqlite3_errmsg(db.get()));
    }
}

// The database file and whichever of its -wal and -shm files exist, byte for byte: a row
// deleted since (a delivered offline message) lingers in free pages, and a write not yet
// checkpointed lives only in the WAL.
void read_sqlite_files(const std::string& path, stored_data& data) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::ifstream file(path + suffix, std::ios::binary);
        if (!file) {
            require(*suffix != '\0', "cannot read " + path);
            continue;
        }
        std::ostringstream bytes;
        bytes << file.rdbuf();
        data.files.emplace_back(path + suffix, bytes.str());
    }
}

// pg_dump's COPY blocks hold every row of every table; psql names the tables.
void read_postgres(const std::string& conninfo, stored_data& data) {
    auto tables = scenarios::run_split(
        {"psql", "-X", "-A", "-t", "-d", conninfo, "-c",
         "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"},
        "", std::chrono::seconds(30));
    require(tables.exited_with(0), "listing tables: " + tables.describe());
    std::istringstream names(tables.out);
    for (std::string name; std::getline(names, name);)
        if (!name.empty()) data.tables.push_back(name);
    auto dump = scenarios::run_split({"pg_dump", "--data-only", "--no-owner", "-d", conninfo}, "",
                                     std::chrono::seconds(60));
    require(dump.exited_with(0), "pg_dump: " + dump.describe());
    data.database = dump.out;
}

// The table a match at `offset` of the SQLite text belongs to (its rows start "\n<table>:"),
// or the COPY statement above it in a dump.
std::string place_of(const std::string& text, std::size_t offset) {
    const std::size_t copy = text.rfind("COPY ", offset);
    if (copy != std::string::npos) return text.substr(copy, text.find(' ', copy + 5) - copy);
    const std::size_t line = text.rfind('\n', offset);
    if (line == std::string::npos) return "the database";
    return "table " + text.substr(line + 1, text.find(':', line) - line - 1);
}

}  // namespace

stored_data read_stored_data(const scenarios::server_fixture& server) {
    stored_data data;
    const std::string conninfo = server.postgres_conninfo();
    if (conninfo.empty()) {
        // The bytes first, as the server left them, before libsqlite3 opens the database.
        read_sqlite_files(server.sqlite_path(), data);
        read_sqlite(server.sqlite_path(), data);
    } else {
        read_postgres(conninfo, data);
    }
    require(!data.tables.empty(), "the database has no tables to search");
    data.log = server.log_text();
    return data;
}

std::vector<std::string> leak_patterns(const std::string& secret) {
    std::vector<std::string> patterns{secret, to_hex(secret)};
    for (std::size_t shift = 0; shift < 3 && shift < secret.size(); ++shift) {
        const std::string encoded = scenarios::base64_encode(secret.substr(shift));
        const std::size_t whole = (secret.size() - shift) / 3 * 4;
        if (whole >= 16) patterns.push_back(encoded.substr(0, whole));
    }
    return patterns;
}

void require_absent(const stored_data& data, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        for (const auto& pattern : leak_patterns(secret)) {
            const std::size_t in_database = data.database.find(pattern);
            require(in_database == std::string::npos, "the plaintext '" + secret +
                                                          "' is stored as '" + pattern + "' in " +
                                                          place_of(data.database, in_database));
            for (const auto& [path, bytes] : data.files)
                require(bytes.find(pattern) == std::string::npos,
                        "the plaintext '" + secret + "' is stored as '" + pattern + "' in " + path);
            require(data.log.find(pattern) == std::string::npos,
                    "the plaintext '" + secret + "' is in the server log as '" + pattern + "'");
        }
    }
}

}  // namespace starling::e2ee
