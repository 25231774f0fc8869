// Numbered schema migrations: schemas/<driver>/NNN_name.sql, applied in order, each in one
// transaction with the version it brings the database to, so a failed migration leaves the
// database at the previous version rather than half-changed. A migration file therefore holds no
// BEGIN or COMMIT of its own.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "storage/database.hpp"

namespace starling::storage {

namespace {

namespace fs = std::filesystem;

// NNN_name.sql: a number, an underscore, a name of lowercase letters, digits and underscores.
bool parse_file_name(const std::string& name, int& version) {
    const std::string suffix = ".sql";
    if (name.size() <= suffix.size() || !name.ends_with(suffix)) return false;
    const std::string stem = name.substr(0, name.size() - suffix.size());
    const std::size_t underscore = stem.find('_');
    if (underscore == 0 || underscore == std::string::npos || underscore + 1 == stem.size() ||
        underscore > 9)
        return false;
    for (std::size_t i = 0; i < stem.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(stem[i]);
        const bool ok = i < underscore ? std::isdigit(c) != 0
                                       : std::islower(c) != 0 || std::isdigit(c) != 0 || c == '_';
        if (!ok) return false;
    }
    version = std::stoi(stem.substr(0, underscore));
    return version > 0;
}

std::map<int, fs::path> find_migrations(const fs::path& dir) {
    std::error_code error;
    if (!fs::is_directory(dir, error))
        throw StorageError("storage: migrations directory '" + dir.string() +
                           "' not found (check the installation: `make install` puts the schemas "
                           "under <datadir>/starling/schemas)");
    fs::directory_iterator entries(dir, error);
    if (error)
        throw StorageError("storage: cannot list migrations directory '" + dir.string() +
                           "': " + error.message());
    std::map<int, fs::path> migrations;
    for (const fs::directory_entry& entry : entries) {
        const std::string name = entry.path().filename().string();
        int version = 0;
        if (!parse_file_name(name, version))
            throw StorageError("storage: migration file '" + entry.path().string() +
                               "' is not named NNN_name.sql (a positive number, an underscore, "
                               "lowercase letters, digits or underscores, then .sql)");
        const auto [found, added] = migrations.emplace(version, entry.path());
        if (!added)
            throw StorageError("storage: migration files '" + found->second.string() + "' and '" +
                               entry.path().string() + "' have the same number " +
                               std::to_string(version));
    }
    return migrations;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) throw StorageError("storage: cannot read migration file '" + path.string() + "'");
    return text.str();
}

// Each driver has its own catalog; a database that has never been migrated has no
// schema_version table at all.
Statement table_exists(const std::string& driver, const std::string& table) {
    if (driver == "sqlite")
        return {"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {table}};
    return {
        "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
        "AND tablename = $1",
        {table}};
}

int current_version(Database& db) {
    const Result exists = db.execute_sync(table_exists(db.driver(), "schema_version"));
    if (!exists.ok)
        throw StorageError(std::string("storage: cannot read the ") + db.driver() +
                           " catalog: " + exists.error);
    if (exists.rows.empty()) return 0;
    const Result version = db.execute_sync({"SELECT max(version) FROM schema_version", {}});
    if (!version.ok) throw StorageError("storage: cannot read schema_version: " + version.error);
    if (version.rows.empty() || !version.rows[0][0]) return 0;
    return std::stoi(*version.rows[0][0]);
}

}  // namespace

int migrate(Database& db, const std::string& schema_dir) {
    const fs::path dir = fs::path(schema_dir) / db.driver();
    const std::map<int, fs::path> migrations = find_migrations(dir);
    const int from = current_version(db);
    if (!migrations.empty() && from > migrations.rbegin()->first)
        spdlog::warn(
            "storage: the database is at schema version {}, newer than the newest "
            "migration in {} ({}); was Starling downgraded?",
            from, dir.string(), migrations.rbegin()->first);
    int applied = 0;
    for (const auto& [version, path] : migrations) {
        if (version <= from) continue;
        const Result result = db.execute_script_sync(
            read_file(path), {{"DELETE FROM schema_version", {}},
                              {"INSERT INTO schema_version (version) VALUES ($1)",
                               {static_cast<std::int64_t>(version)}}});
        if (!result.ok)
            throw StorageError("storage: migration '" + path.string() +
                               "' failed: " + result.error);
        spdlog::info("storage: applied migration {}", path.filename().string());
        ++applied;
    }
    return applied;
}

}  // namespace starling::storage
