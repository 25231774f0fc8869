#include "storage/account_store.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

namespace starling::storage {

namespace {

Result failure(std::string error) {
    Result result;
    result.ok = false;
    result.error = std::move(error);
    return result;
}

// Two secrets for one hash would collide on the primary key and be misreported as "exists".
std::optional<std::string> duplicate_hash(const std::vector<sasl::ScramSecret>& secrets) {
    std::set<sasl::Hash> seen;
    for (const sasl::ScramSecret& secret : secrets)
        if (!seen.insert(secret.hash).second)
            return "two secrets for " + std::string(sasl::hash_name(secret.hash));
    return std::nullopt;
}

std::vector<Value> secret_params(const std::string& host, const std::string& user,
                                 const sasl::ScramSecret& secret) {
    return {host,
            user,
            std::string(sasl::hash_name(secret.hash)),
            Blob{secret.salt},
            static_cast<std::int64_t>(secret.iterations),
            Blob{secret.stored_key},
            Blob{secret.server_key}};
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

void AccountStore::create(const std::string& host, const std::string& user,
                          const std::vector<sasl::ScramSecret>& secrets, Callback done) {
    if (auto duplicate = duplicate_hash(secrets)) return done(failure(*duplicate));
    std::vector<Statement> statements{
        {"INSERT INTO accounts (host, username, created_at) VALUES ($1, $2, $3)",
         {host, user, now_seconds()}}};
    for (const sasl::ScramSecret& secret : secrets)
        statements.push_back(
            {"INSERT INTO scram_secrets (host, username, hash, salt, iterations, "
             "stored_key, server_key) VALUES ($1, $2, $3, $4, $5, $6, $7)",
             secret_params(host, user, secret)});
    // The primary key decides, inside the transaction, so two concurrent registrations of one
    // name cannot both succeed.
    db_.transaction(std::move(statements), [done = std::move(done)](Result result) {
        if (!result.ok && result.unique_violation) result.error = "exists";
        done(std::move(result));
    });
}

void AccountStore::set_secrets(const std::string& host, const std::string& user,
                               const std::vector<sasl::ScramSecret>& secrets, Callback done) {
    if (auto duplicate = duplicate_hash(secrets)) return done(failure(*duplicate));
    std::vector<Statement> statements{
        {"DELETE FROM scram_secrets WHERE host = $1 AND username = $2", {host, user}}};
    // Guarded by EXISTS so that for a missing account nothing is written and the final SELECT
    // can report "not-found", instead of a foreign key error that each driver words differently.
    for (const sasl::ScramSecret& secret : secrets)
        statements.push_back(
            {"INSERT INTO scram_secrets (host, username, hash, salt, iterations, "
             "stored_key, server_key) SELECT $1, $2, $3, $4, $5, $6, $7 "
             "WHERE EXISTS (SELECT 1 FROM accounts "
             "WHERE host = $1 AND username = $2)",
             secret_params(host, user, secret)});
    statements.push_back(
        {"SELECT 1 FROM accounts WHERE host = $1 AND username = $2", {host, user}});
    db_.transaction(std::move(statements), [done = std::move(done)](Result result) {
        if (result.ok && result.rows.empty()) result = failure("not-found");
        done(std::move(result));
    });
}

void AccountStore::remove(const std::string& host, const std::string& user, Callback done) {
    // The secrets go with the account: scram_secrets references it ON DELETE CASCADE.
    db_.execute({"DELETE FROM accounts WHERE host = $1 AND username = $2", {host, user}},
                [done = std::move(done)](Result result) {
                    if (result.ok && result.affected == 0) result = failure("not-found");
                    done(std::move(result));
                });
}

void AccountStore::exists(const std::string& host, const std::string& user,
                          std::function<void(bool ok, bool exists)> done) {
    db_.execute({"SELECT 1 FROM accounts WHERE host = $1 AND username = $2", {host, user}},
                [done = std::move(done)](Result result) {
                    done(result.ok, result.ok && !result.rows.empty());
                });
}

void AccountStore::secret(const std::string& host, const std::string& user, sasl::Hash hash,
                          std::function<void(bool ok, std::optional<sasl::ScramSecret>)> done) {
    db_.execute({"SELECT salt, iterations, stored_key, server_key FROM scram_secrets "
                 "WHERE host = $1 AND username = $2 AND hash = $3",
                 {host, user, std::string(sasl::hash_name(hash))}},
                [hash, done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, std::nullopt);
                    if (result.rows.empty()) return done(true, std::nullopt);
                    const auto& row = result.rows.front();
                    if (!row[0] || !row[1] || !row[2] || !row[3]) return done(false, std::nullopt);
                    sasl::ScramSecret secret;
                    secret.hash = hash;
                    secret.salt = *row[0];
                    secret.iterations = std::stoi(*row[1]);
                    secret.stored_key = *row[2];
                    secret.server_key = *row[3];
                    done(true, std::move(secret));
                });
}

void AccountStore::list(const std::string& host,
                        std::function<void(bool ok, std::vector<std::string>)> done) {
    db_.execute({"SELECT username FROM accounts WHERE host = $1", {host}},
                [done = std::move(done)](Result result) {
                    std::vector<std::string> users;
                    if (!result.ok) return done(false, std::move(users));
                    users.reserve(result.rows.size());
                    for (const auto& row : result.rows)
                        if (row[0]) users.push_back(*row[0]);
                    // Sorted here rather than by ORDER BY: PostgreSQL would sort by the
                    // database's collation, SQLite by bytes, and both drivers must agree.
                    std::sort(users.begin(), users.end());
                    done(true, std::move(users));
                });
}

}  // namespace starling::storage
