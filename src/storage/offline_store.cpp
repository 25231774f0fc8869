#include "storage/offline_store.hpp"

#include <algorithm>
#include <utility>

namespace starling::storage {

namespace {

constexpr const char* columns = "id, host, username, sender, stanza, stored_at";

std::vector<OfflineMessage> messages_of(const Result& result) {
    std::vector<OfflineMessage> messages;
    messages.reserve(result.rows.size());
    for (const auto& row : result.rows) {
        OfflineMessage m;
        m.id = std::stoll(row.at(0).value_or("0"));
        m.host = row.at(1).value_or("");
        m.user = row.at(2).value_or("");
        m.from = row.at(3).value_or("");
        m.stanza = row.at(4).value_or("");
        m.stored_at = std::stoll(row.at(5).value_or("0"));
        messages.push_back(std::move(m));
    }
    return messages;
}

}  // namespace

void OfflineStore::store(const OfflineMessage& message, std::int64_t max_messages,
                         std::function<void(bool ok)> done) {
    const Value host = message.host;
    const Value user = message.user;
    // offline_counts says how far past the cap the user is without counting rows; the oldest
    // rows past it are dropped and added to the pruned count before the count comes back down.
    // COALESCE guards the LIMIT: PostgreSQL reads LIMIT NULL as no limit at all.
    std::vector<Statement> statements{
        {"INSERT INTO offline_messages (host, username, sender, stanza, stored_at) "
         "VALUES ($1, $2, $3, $4, $5)",
         {host, user, message.from, message.stanza, message.stored_at}},
        {"INSERT INTO offline_counts (host, username, stored) VALUES ($1, $2, 1) "
         "ON CONFLICT (host, username) DO UPDATE SET stored = offline_counts.stored + 1",
         {host, user}},
        {"INSERT INTO offline_pruned (host, username, dropped) "
         "SELECT $1, $2, stored - $3 FROM offline_counts "
         "WHERE host = $1 AND username = $2 AND stored > $3 "
         "ON CONFLICT (host, username) DO UPDATE "
         "SET dropped = offline_pruned.dropped + excluded.dropped",
         {host, user, max_messages}},
        {"DELETE FROM offline_messages WHERE id IN "
         "(SELECT id FROM offline_messages WHERE host = $1 AND username = $2 ORDER BY id "
         "LIMIT COALESCE((SELECT stored - $3 FROM offline_counts "
         "WHERE host = $1 AND username = $2 AND stored > $3), 0))",
         {host, user, max_messages}},
        {"UPDATE offline_counts SET stored = $3 WHERE host = $1 AND username = $2 AND stored > $3",
         {host, user, max_messages}},
    };
    db_.transaction(std::move(statements),
                    [done = std::move(done)](Result result) { done(result.ok); });
}

void OfflineStore::fetch(const std::string& host, const std::string& user,
                         std::function<void(bool ok, std::vector<OfflineMessage>)> done) {
    db_.execute({std::string("SELECT ") + columns +
                     " FROM offline_messages WHERE host = $1 AND username = $2 ORDER BY id",
                 {host, user}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, {});
                    done(true, messages_of(result));
                });
}

void OfflineStore::remove_through(const std::string& host, const std::string& user,
                                  std::int64_t last_id, Callback done) {
    // Ids only grow, so "up to the last one delivered" is exactly what was fetched, in one
    // statement whatever the number (an IN list would hit SQLite's limit on parameters).
    db_.transaction(
        {{"UPDATE offline_counts SET stored = (SELECT count(*) FROM offline_messages "
          "WHERE host = $1 AND username = $2 AND id > $3) WHERE host = $1 AND username = $2",
          {host, user, last_id}},
         {"DELETE FROM offline_messages WHERE host = $1 AND username = $2 AND id <= $3",
          {host, user, last_id}}},
        std::move(done));
}

void OfflineStore::count(const std::string& host, const std::string& user,
                         std::function<void(bool ok, std::int64_t count)> done) {
    db_.execute({"SELECT count(*) FROM offline_messages WHERE host = $1 AND username = $2",
                 {host, user}},
                [done = std::move(done)](Result result) {
                    if (!result.ok || result.rows.empty()) return done(false, 0);
                    done(true, std::stoll(result.rows[0].at(0).value_or("0")));
                });
}

void OfflineStore::take_pruned(const std::string& host, const std::string& user,
                               std::function<void(bool ok, std::int64_t dropped)> done) {
    db_.execute({"DELETE FROM offline_pruned WHERE host = $1 AND username = $2 RETURNING dropped",
                 {host, user}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, 0);
                    if (result.rows.empty()) return done(true, 0);
                    done(true, std::stoll(result.rows[0].at(0).value_or("0")));
                });
}

void OfflineStore::expire(const std::string& host, std::int64_t before,
                          std::function<void(bool ok, std::vector<OfflineMessage>)> done) {
    // One transaction, so a message is either returned here (and its sender told) or delivered.
    db_.transaction(
        {{"UPDATE offline_counts SET stored = stored - expired.n FROM "
          "(SELECT host, username, count(*) AS n FROM offline_messages "
          "WHERE host = $1 AND stored_at < $2 GROUP BY host, username) AS expired "
          "WHERE offline_counts.host = expired.host AND offline_counts.username = expired.username",
          {host, before}},
         {std::string(
              "DELETE FROM offline_messages WHERE host = $1 AND stored_at < $2 RETURNING ") +
              columns,
          {host, before}}},
        [done = std::move(done)](Result result) {
            if (!result.ok) return done(false, {});
            auto messages = messages_of(result);
            std::sort(messages.begin(), messages.end(),
                      [](const auto& a, const auto& b) { return a.id < b.id; });
            done(true, std::move(messages));
        });
}

}  // namespace starling::storage
