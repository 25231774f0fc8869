#include "storage/muc_store.hpp"

#include <algorithm>
#include <memory>

namespace starling::storage {

void MucStore::load(const std::string& service, const std::string& room,
                    std::function<void(bool ok, std::optional<StoredRoom> stored)> done) {
    // One transaction, so the affiliations read belong to the room read.
    db_.transaction(
        {{"SELECT 'room', config, subject, subject_by FROM muc_rooms "
          "WHERE service = $1 AND room = $2 "
          "UNION ALL SELECT 'affiliation', jid, affiliation, '' FROM muc_affiliations "
          "WHERE service = $1 AND room = $2",
          {service, room}}},
        [done = std::move(done)](Result result) {
            if (!result.ok) return done(false, std::nullopt);
            std::optional<StoredRoom> stored;
            std::map<std::string, std::string> affiliations;
            for (const auto& row : result.rows) {
                if (!row[0] || !row[1] || !row[2]) continue;
                if (*row[0] == "room")
                    stored = StoredRoom{*row[1], *row[2], row[3].value_or(""), {}};
                else
                    affiliations[*row[1]] = *row[2];
            }
            if (stored) stored->affiliations = std::move(affiliations);
            done(true, std::move(stored));
        });
}

void MucStore::save(const std::string& service, const std::string& room, const StoredRoom& stored,
                    Callback done) {
    std::vector<Statement> statements{
        {"INSERT INTO muc_rooms (service, room, config, subject, subject_by) "
         "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (service, room) DO UPDATE SET "
         "config = excluded.config, subject = excluded.subject, subject_by = excluded.subject_by",
         {service, room, stored.config, stored.subject, stored.subject_by}},
        {"DELETE FROM muc_affiliations WHERE service = $1 AND room = $2", {service, room}}};
    for (const auto& [jid, affiliation] : stored.affiliations)
        statements.push_back({"INSERT INTO muc_affiliations (service, room, jid, affiliation) "
                              "VALUES ($1, $2, $3, $4)",
                              {service, room, jid, affiliation}});
    db_.transaction(std::move(statements), std::move(done));
}

void MucStore::set_affiliation(const std::string& service, const std::string& room,
                               const std::string& jid, const std::string& affiliation,
                               Callback done) {
    if (affiliation.empty())
        return db_.execute({"DELETE FROM muc_affiliations WHERE service = $1 AND room = $2 AND "
                            "jid = $3",
                            {service, room, jid}},
                           std::move(done));
    db_.execute({"INSERT INTO muc_affiliations (service, room, jid, affiliation) "
                 "VALUES ($1, $2, $3, $4) ON CONFLICT (service, room, jid) DO UPDATE SET "
                 "affiliation = excluded.affiliation",
                 {service, room, jid, affiliation}},
                std::move(done));
}

void MucStore::set_subject(const std::string& service, const std::string& room,
                           const std::string& subject, const std::string& by, Callback done) {
    db_.execute({"UPDATE muc_rooms SET subject = $3, subject_by = $4 "
                 "WHERE service = $1 AND room = $2",
                 {service, room, subject, by}},
                std::move(done));
}

void MucStore::remove(const std::string& service, const std::string& room, Callback done) {
    db_.transaction(
        {{"DELETE FROM muc_rooms WHERE service = $1 AND room = $2", {service, room}},
         {"DELETE FROM muc_archive_messages WHERE host = $1 AND username = $2", {service, room}},
         {"DELETE FROM muc_archive_counts WHERE host = $1 AND username = $2", {service, room}}},
        std::move(done));
}

void MucStore::list(
    const std::string& service,
    std::function<void(bool ok, std::vector<std::pair<std::string, std::string>>)> done) {
    db_.execute({"SELECT room, config FROM muc_rooms WHERE service = $1", {service}},
                [done = std::move(done)](Result result) {
                    std::vector<std::pair<std::string, std::string>> rooms;
                    for (const auto& row : result.rows)
                        if (row[0] && row[1]) rooms.emplace_back(*row[0], *row[1]);
                    // Sorted here: the two drivers collate differently.
                    std::sort(rooms.begin(), rooms.end());
                    done(result.ok, std::move(rooms));
                });
}

std::string MucStore::secret_sync(const std::string& service, const std::string& fresh) {
    const auto result = db_.transaction_sync(
        {{"INSERT INTO muc_services (service, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
          {service, fresh}},
         {"SELECT secret FROM muc_services WHERE service = $1", {service}}});
    if (!result.ok || result.rows.empty() || !result.rows[0][0]) return {};
    return *result.rows[0][0];
}

}  // namespace starling::storage
