#include "storage/prekey_store.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace starling::storage {

void PrekeyStore::replace(const std::string& host, const std::string& user, const std::string& node,
                          const std::string& item, const std::vector<Prekey>& keys,
                          std::function<void(bool ok)> done) {
    db_.transaction(replace_statements(host, user, node, item, keys),
                    [done = std::move(done)](Result result) { done(result.ok); });
}

std::vector<Statement> PrekeyStore::replace_statements(const std::string& host,
                                                       const std::string& user,
                                                       const std::string& node,
                                                       const std::string& item,
                                                       const std::vector<Prekey>& keys) {
    std::vector<Statement> statements{
        {"DELETE FROM omemo_prekeys WHERE host = $1 AND username = $2 AND node = $3 "
         "AND item_id = $4 AND claimed = 0",
         {host, user, node, item}},
        {"DELETE FROM omemo_prekeys_low WHERE host = $1 AND username = $2 AND node = $3 "
         "AND item_id = $4",
         {host, user, node, item}}};
    // One multi-row insert per batch of keys; a claimed key of the same id is left claimed (DO
    // NOTHING), which is what keeps a republished, already claimed key from being handed out.
    constexpr std::size_t batch = 200;
    for (std::size_t first = 0; first < keys.size(); first += batch) {
        Statement insert{
            "INSERT INTO omemo_prekeys "
            "(host, username, node, item_id, key_id, key_data, claimed) VALUES ",
            {host, user, node, item}};
        for (std::size_t i = first; i < keys.size() && i < first + batch; ++i) {
            const auto n = insert.params.size();
            insert.sql += (i == first ? "" : ", ");
            insert.sql += "($1, $2, $3, $4, $" + std::to_string(n + 1) + ", $" +
                          std::to_string(n + 2) + ", 0)";
            insert.params.emplace_back(keys[i].id);
            insert.params.emplace_back(keys[i].data);
        }
        insert.sql += " ON CONFLICT (host, username, node, item_id, key_id) DO NOTHING";
        statements.push_back(std::move(insert));
    }
    return statements;
}

void PrekeyStore::unclaimed(
    const std::string& host, const std::string& user, const std::string& node,
    std::function<void(bool ok, std::map<std::string, std::vector<Prekey>>)> done) {
    db_.execute({"SELECT item_id, key_id, key_data FROM omemo_prekeys WHERE host = $1 AND "
                 "username = $2 AND node = $3 AND claimed = 0 ORDER BY item_id, length(key_id), "
                 "key_id",
                 {host, user, node}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, {});
                    std::map<std::string, std::vector<Prekey>> keys;
                    for (const auto& row : result.rows)
                        keys[row.at(0).value_or("")].push_back(
                            {row.at(1).value_or(""), row.at(2).value_or("")});
                    done(true, std::move(keys));
                });
}

void PrekeyStore::claim(
    const std::string& host, const std::string& user, const std::string& node,
    const std::string& item, std::int64_t keep,
    std::function<void(bool ok, std::optional<Prekey>, std::int64_t remaining)> done) {
    // Keys go out in numeric order of their ids (which both OMEMO versions make numbers): by
    // length first, then as text. One statement, so the choice and the mark cannot be split by
    // another claim. On PostgreSQL a concurrent claim skips the row another transaction holds (SKIP
    // LOCKED) instead of waiting for it and then finding it claimed; the outer "claimed = 0" is
    // what makes a double claim impossible on either driver, since the UPDATE re-checks it on the
    // row it locks. SQLite serializes writers, so its subquery always sees the latest state.
    //
    // A claim that must leave `keep` keys takes the key after the first `keep` (OFFSET), so it
    // finds none unless more than `keep` are unclaimed. It locks nothing in the subquery: FOR
    // UPDATE would lock the skipped rows too, and a contact's claim at that moment would skip
    // them all. Two such claims at once pick the same row, the UPDATE lets one have it and the
    // other finds it claimed: the last `keep` stay unclaimed whatever runs beside it.
    const bool postgres = std::string_view(db_.driver()) == "postgres";
    const std::string sql =
        std::string(
            "UPDATE omemo_prekeys SET claimed = 1 WHERE host = $1 AND username = $2 AND "
            "node = $3 AND item_id = $4 AND claimed = 0 AND key_id = (SELECT key_id FROM "
            "omemo_prekeys WHERE host = $1 AND username = $2 AND node = $3 AND "
            "item_id = $4 AND claimed = 0 ORDER BY length(key_id), key_id LIMIT 1 OFFSET $5") +
        (postgres && keep <= 0 ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING key_id, key_data";
    db_.execute(
        {sql, {host, user, node, item, std::max<std::int64_t>(keep, 0)}},
        [this, host, user, node, item, done = std::move(done)](Result result) mutable {
            if (!result.ok) return done(false, std::nullopt, 0);
            std::optional<Prekey> key;
            if (!result.rows.empty())
                key = Prekey{result.rows[0].at(0).value_or(""), result.rows[0].at(1).value_or("")};
            db_.execute({"SELECT count(*) FROM omemo_prekeys WHERE host = $1 AND username = $2 "
                         "AND node = $3 AND item_id = $4 AND claimed = 0",
                         {host, user, node, item}},
                        [key, done = std::move(done)](Result count) {
                            if (!count.ok || count.rows.empty()) return done(false, key, 0);
                            done(true, key, std::stoll(count.rows[0].at(0).value_or("0")));
                        });
        });
}

void PrekeyStore::mark_low(const std::string& host, const std::string& user,
                           const std::string& node, const std::string& item,
                           std::function<void(bool ok, bool first)> done) {
    db_.execute({"INSERT INTO omemo_prekeys_low (host, username, node, item_id) "
                 "VALUES ($1, $2, $3, $4) ON CONFLICT (host, username, node, item_id) DO NOTHING",
                 {host, user, node, item}},
                [done = std::move(done)](Result result) {
                    done(result.ok, result.ok && result.affected > 0);
                });
}

void PrekeyStore::remove(const std::string& host, const std::string& user, const std::string& node,
                         const std::string& item, std::function<void(bool ok)> done) {
    const std::string where = item.empty() ? "" : " AND item_id = $4";
    std::vector<Value> params{host, user, node};
    if (!item.empty()) params.emplace_back(item);
    db_.transaction(
        {{"DELETE FROM omemo_prekeys WHERE host = $1 AND username = $2 AND node = $3" + where,
          params},
         {"DELETE FROM omemo_prekeys_low WHERE host = $1 AND username = $2 AND node = $3" + where,
          params}},
        [done = std::move(done)](Result result) { done(result.ok); });
}

}  // namespace starling::storage
