#include "storage/upload_store.hpp"

#include "storage/quota_guard.hpp"

#include <utility>

namespace starling::storage {

namespace {

std::int64_t number(const std::optional<std::string>& field) {
    return field ? std::stoll(*field) : 0;
}

std::function<void(Result)> slot_names(std::function<void(bool, std::vector<std::string>)> done) {
    return [done = std::move(done)](Result result) {
        std::vector<std::string> slots;
        if (result.ok)
            for (const auto& row : result.rows) slots.push_back(row[0].value_or(""));
        done(result.ok, std::move(slots));
    };
}

}  // namespace

void UploadStore::create(const UploadSlot& slot, std::int64_t quota, std::int64_t now,
                         std::int64_t live_since, Callback done) {
    // The quota holds against everything the owner has or may still fill, this slot included,
    // judged in the insert's own transaction so that slots asked for together cannot all pass.
    auto guard = refuse_if(
        "(SELECT coalesce(sum(size), 0) FROM upload_files WHERE host = $1 AND username = $2 "
        "AND created_at >= $3 AND (stored_at IS NOT NULL OR put_before > $4)) + $5 > $6",
        {slot.host, slot.username, live_since, now, slot.size, quota});
    Statement insert{
        "INSERT INTO upload_files (slot, service, host, username, filename, size, content_type, "
        "token_hash, created_at, put_before) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {slot.slot, slot.service, slot.host, slot.username, slot.filename, slot.size,
         slot.content_type, slot.token_hash, slot.created_at, slot.put_before}};
    db_.transaction({std::move(guard), std::move(insert)}, std::move(done));
}

void UploadStore::find(const std::string& service, const std::string& slot,
                       std::function<void(bool ok, std::optional<UploadSlot>)> done) {
    db_.execute(
        {"SELECT u.host, u.username, u.filename, u.size, u.content_type, u.token_hash, "
         "u.created_at, u.put_before, u.stored_at, a.username IS NOT NULL "
         "FROM upload_files u LEFT JOIN accounts a ON a.host = u.host AND a.username = u.username "
         "WHERE u.service = $1 AND u.slot = $2",
         {service, slot}},
        [service, slot, done = std::move(done)](Result result) {
            if (!result.ok) return done(false, std::nullopt);
            if (result.rows.empty()) return done(true, std::nullopt);
            const auto& row = result.rows.front();
            UploadSlot found;
            found.slot = slot;
            found.service = service;
            found.host = row[0].value_or("");
            found.username = row[1].value_or("");
            found.filename = row[2].value_or("");
            found.size = number(row[3]);
            found.content_type = row[4].value_or("");
            found.token_hash = row[5].value_or("");
            found.created_at = number(row[6]);
            found.put_before = number(row[7]);
            if (row[8]) found.stored_at = number(row[8]);
            // SQLite answers 1, PostgreSQL t.
            found.owner_exists = row[9] && (*row[9] == "1" || *row[9] == "t");
            done(true, std::move(found));
        });
}

void UploadStore::mark_stored(const std::string& service, const std::string& slot,
                              std::int64_t at, Callback done) {
    db_.execute({"UPDATE upload_files SET stored_at = coalesce(stored_at, $3) "
                 "WHERE service = $1 AND slot = $2",
                 {service, slot, at}},
                std::move(done));
}

void UploadStore::sweepable(const std::string& service, std::int64_t expired_before,
                            std::int64_t abandoned_before, std::int64_t limit,
                            std::function<void(bool ok, std::vector<std::string>)> done) {
    db_.execute(
        {"SELECT slot FROM upload_files u WHERE service = $1 AND (created_at < $2 "
         "OR (stored_at IS NULL AND put_before < $3) "
         "OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.host = u.host AND a.username = u.username)) "
         "ORDER BY created_at LIMIT $4",
         {service, expired_before, abandoned_before, limit}},
        slot_names(std::move(done)));
}

void UploadStore::slots_of(const std::string& service, const std::string& host,
                           const std::string& username,
                           std::function<void(bool ok, std::vector<std::string>)> done) {
    db_.execute({"SELECT slot FROM upload_files WHERE service = $1 AND host = $2 AND username = $3 "
                 "ORDER BY created_at",
                 {service, host, username}},
                slot_names(std::move(done)));
}

void UploadStore::remove(const std::string& service, const std::vector<std::string>& slots,
                         Callback done) {
    std::vector<Statement> deletes;
    for (const auto& slot : slots)
        deletes.push_back(
            {"DELETE FROM upload_files WHERE service = $1 AND slot = $2", {service, slot}});
    if (deletes.empty()) return done(Result{});
    db_.transaction(std::move(deletes), std::move(done));
}

void UploadStore::usage(const std::string& service, const std::string& host,
                        const std::string& username,
                        std::function<void(bool ok, std::vector<UploadUsage>)> done) {
    Statement query{"SELECT host, username, count(*), sum(size) FROM upload_files "
                    "WHERE service = $1 AND stored_at IS NOT NULL",
                    {service}};
    if (!username.empty()) {
        query.sql += " AND host = $2 AND username = $3";
        query.params.insert(query.params.end(), {host, username});
    }
    query.sql += " GROUP BY host, username ORDER BY host, username";
    db_.execute(std::move(query), [done = std::move(done)](Result result) {
        std::vector<UploadUsage> usage;
        if (result.ok)
            for (const auto& row : result.rows)
                usage.push_back({row[1].value_or("") + "@" + row[0].value_or(""), number(row[2]),
                                 number(row[3])});
        done(result.ok, std::move(usage));
    });
}

}  // namespace starling::storage
