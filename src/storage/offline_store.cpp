#include "storage/offline_store.hpp"

#include <algorithm>
#include <string_view>
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

void OfflineStore::store(const OfflineMessage& message, const OfflineCaps& caps,
                         std::function<void(bool ok)> done) {
    const Value host = message.host;
    const Value user = message.user;
    // The roster lists bare JIDs; a stanza's 'from' is a full JID, bare up to its first '/'.
    const std::string sender = message.from.substr(0, message.from.find('/'));
    const bool own = sender == message.user + "@" + message.host || sender == message.host;
    // The id of the row the insert just made: exact even with other writers on the database,
    // unlike max(id). The statement that reads it inserts nothing itself, so nothing moves it.
    const std::string inserted_id =
        std::string_view(db_.driver()) == "postgres" ? "lastval()" : "last_insert_rowid()";
    // offline_counts says how far past the caps the user is without counting rows. What goes,
    // with $3 the whole cap and $4 the strangers' share (contacts = stored - strangers):
    // contacts' messages past the whole cap, and strangers' past the smaller of their share and
    // what the contacts leave free. CASE rather than min/max, which the drivers spell apart.
    const std::string contacts = "(stored - strangers)";
    const std::string room_for_strangers = "(CASE WHEN " + contacts + " >= $3 THEN 0 WHEN $3 - " +
                                           contacts + " < $4 THEN $3 - " + contacts +
                                           " ELSE $4 END)";
    const std::string excess_strangers = "(CASE WHEN strangers > " + room_for_strangers +
                                         " THEN strangers - " + room_for_strangers + " ELSE 0 END)";
    const std::string excess_contacts =
        "(CASE WHEN " + contacts + " > $3 THEN " + contacts + " - $3 ELSE 0 END)";
    const std::string excess = "(" + excess_strangers + " + " + excess_contacts + ")";
    const std::string of_user = " FROM offline_counts WHERE host = $1 AND username = $2";
    // The oldest rows of one class past its excess; COALESCE guards the LIMIT, since
    // PostgreSQL reads LIMIT NULL as no limit at all.
    // (SQLite wants exactly the parameters a statement names: the contacts' excess needs no $4.)
    const auto drop_oldest = [&](int stranger, const std::string& how_many) {
        Statement drop{
            "DELETE FROM offline_messages WHERE id IN (SELECT id FROM "
            "offline_messages WHERE host = $1 AND username = $2 AND stranger = " +
                std::to_string(stranger) + " ORDER BY id LIMIT COALESCE((SELECT " + how_many +
                of_user + "), 0))",
            {host, user, caps.max_messages}};
        if (stranger == 1) drop.params.emplace_back(caps.max_from_strangers);
        return drop;
    };
    std::vector<Statement> statements{
        {"INSERT INTO offline_counts (host, username, stored, strangers) VALUES ($1, $2, 0, 0) "
         "ON CONFLICT (host, username) DO NOTHING",
         {host, user}},
        // A sender is a contact when the roster lists it or has a subscription with it either
        // way; a pending subscription request alone (an unlisted row) does not make one.
        {"INSERT INTO offline_messages (host, username, sender, stanza, stored_at, stranger) "
         "VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 = 1 OR EXISTS (SELECT 1 FROM roster_items "
         "WHERE host = $1 AND username = $2 AND contact = $7 AND (listed = 1 OR "
         "subscription <> 'none')) THEN 0 ELSE 1 END)",
         {host, user, message.from, message.stanza, message.stored_at, std::int64_t{own ? 1 : 0},
          sender}},
        {"UPDATE offline_counts SET stored = stored + 1, strangers = strangers + "
         "(SELECT stranger FROM offline_messages WHERE id = " +
             inserted_id + ") WHERE host = $1 AND username = $2",
         {host, user}},
        {"INSERT INTO offline_pruned (host, username, dropped, dropped_strangers) "
         "SELECT $1, $2, " +
             excess + ", " + excess_strangers + of_user + " AND " + excess +
             " > 0 ON CONFLICT (host, username) DO UPDATE "
             "SET dropped = offline_pruned.dropped + excluded.dropped, "
             "dropped_strangers = offline_pruned.dropped_strangers + excluded.dropped_strangers",
         {host, user, caps.max_messages, caps.max_from_strangers}},
        drop_oldest(1, excess_strangers),
        drop_oldest(0, excess_contacts),
        // Both right-hand sides read the row as it was before this update.
        {"UPDATE offline_counts SET stored = stored - " + excess + ", strangers = strangers - " +
             excess_strangers + " WHERE host = $1 AND username = $2 AND " + excess + " > 0",
         {host, user, caps.max_messages, caps.max_from_strangers}},
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
          "WHERE host = $1 AND username = $2 AND id > $3), strangers = (SELECT count(*) FROM "
          "offline_messages WHERE host = $1 AND username = $2 AND id > $3 AND stranger = 1) "
          "WHERE host = $1 AND username = $2",
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
                               std::function<void(bool ok, OfflinePruned)> done) {
    db_.execute({"DELETE FROM offline_pruned WHERE host = $1 AND username = $2 "
                 "RETURNING dropped, dropped_strangers",
                 {host, user}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, {});
                    if (result.rows.empty()) return done(true, {});
                    done(true, {std::stoll(result.rows[0].at(0).value_or("0")),
                                std::stoll(result.rows[0].at(1).value_or("0"))});
                });
}

void OfflineStore::expire(const std::string& host, std::int64_t before,
                          std::function<void(bool ok, std::vector<OfflineMessage>)> done) {
    // One transaction, so a message is either returned here (and its sender told) or delivered.
    db_.transaction(
        {{"UPDATE offline_counts SET stored = stored - expired.n, "
          "strangers = strangers - expired.n_strangers FROM "
          "(SELECT host, username, count(*) AS n, sum(stranger) AS n_strangers "
          "FROM offline_messages "
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
