#include "storage/pubsub_store.hpp"

#include "storage/quota_guard.hpp"

#include <chrono>
#include <utility>

namespace starling::storage {

namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::vector<PubsubItem> items_of(const Result& result) {
    std::vector<PubsubItem> items;
    items.reserve(result.rows.size());
    for (const auto& row : result.rows) {
        PubsubItem item;
        item.item_id = row.at(0).value_or("");
        item.payload = row.at(1).value_or("");
        item.publisher = row.at(2).value_or("");
        item.published_at = std::stoll(row.at(3).value_or("0"));
        items.push_back(std::move(item));
    }
    return items;
}

constexpr const char* item_columns = "item_id, payload, publisher, published_at";

// Keeps the newest `max_items` rows of the node. COALESCE-free: only issued when max_items > 0.
Statement trim(const std::string& host, const std::string& user, const std::string& node,
               std::int64_t max_items) {
    return {
        "DELETE FROM pep_items WHERE host = $1 AND username = $2 AND node = $3 AND id NOT IN "
        "(SELECT id FROM pep_items WHERE host = $1 AND username = $2 AND node = $3 "
        "ORDER BY id DESC LIMIT $4)",
        {host, user, node, max_items}};
}

}  // namespace

void PubsubStore::node(const std::string& host, const std::string& user, const std::string& node,
                       std::function<void(bool ok, std::optional<std::string> config)> done) {
    db_.execute({"SELECT config FROM pep_nodes WHERE host = $1 AND username = $2 AND node = $3",
                 {host, user, node}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, std::nullopt);
                    if (result.rows.empty()) return done(true, std::nullopt);
                    done(true, result.rows[0].at(0).value_or(""));
                });
}

void PubsubStore::nodes(const std::string& host, const std::string& user,
                        std::function<void(bool ok, std::vector<PubsubNode>)> done) {
    db_.execute({"SELECT node, config FROM pep_nodes WHERE host = $1 AND username = $2 "
                 "ORDER BY node",
                 {host, user}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, {});
                    std::vector<PubsubNode> nodes;
                    for (const auto& row : result.rows)
                        nodes.push_back({row.at(0).value_or(""), row.at(1).value_or("")});
                    done(true, std::move(nodes));
                });
}

void PubsubStore::create(const std::string& host, const std::string& user, const std::string& node,
                         const std::string& config, std::int64_t max_nodes,
                         std::function<void(bool ok, bool created, bool refused)> done) {
    std::vector<Statement> statements;
    // Before the write: a node the user does not have yet would be one more.
    if (max_nodes > 0)
        statements.push_back(refuse_one_more("pep_nodes", "host = $1 AND username = $2",
                                             "node = $3", {host, user, node}, max_nodes));
    statements.push_back(
        {"INSERT INTO pep_nodes (host, username, node, config, created_at) "
         "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (host, username, node) DO NOTHING",
         {host, user, node, config, now_seconds()}});
    db_.transaction(std::move(statements), [done = std::move(done)](Result result) {
        done(result.ok, result.ok && result.affected > 0, refused(result));
    });
}

void PubsubStore::configure(const std::string& host, const std::string& user,
                            const std::string& node, const std::string& config,
                            std::int64_t max_items, std::function<void(bool ok)> done) {
    std::vector<Statement> statements{
        {"UPDATE pep_nodes SET config = $4 WHERE host = $1 AND username = $2 AND node = $3",
         {host, user, node, config}}};
    if (max_items > 0) statements.push_back(trim(host, user, node, max_items));
    db_.transaction(std::move(statements),
                    [done = std::move(done)](Result result) { done(result.ok); });
}

void PubsubStore::publish(const std::string& host, const std::string& user, const std::string& node,
                          const std::string& config_if_new, const PubsubItem& item,
                          PublishLimits limits, std::vector<Statement> with,
                          std::function<void(bool ok, bool refused)> done) {
    const std::int64_t bytes =
        item.bytes > 0 ? item.bytes : static_cast<std::int64_t>(item.payload.size());
    // Delete and insert rather than upsert, so that a republished id gets a new row id and
    // counts as the newest item, as XEP-0060 §7.1.2 wants of an overwritten item.
    std::vector<Statement> statements = std::move(with);
    statements.push_back(
        {"INSERT INTO pep_nodes (host, username, node, config, created_at) "
         "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (host, username, node) DO NOTHING",
         {host, user, node, config_if_new, now_seconds()}});
    statements.push_back(
        {"DELETE FROM pep_items WHERE host = $1 AND username = $2 AND node = $3 AND item_id = $4",
         {host, user, node, item.item_id}});
    statements.push_back(
        {"INSERT INTO pep_items (host, username, node, item_id, payload, "
         "publisher, published_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
         {host, user, node, item.item_id, item.payload, item.publisher, item.published_at, bytes}});
    if (limits.max_items > 0) statements.push_back(trim(host, user, node, limits.max_items));
    // After the write and the trim: what the user's items then total, the replaced item's old
    // bytes and the trimmed items' no longer counted.
    if (limits.max_user_bytes > 0)
        statements.push_back(refuse_if(
            "(SELECT coalesce(sum(bytes), 0) FROM pep_items WHERE host = $1 AND username = $2) "
            "> $3",
            {host, user, limits.max_user_bytes}));
    db_.transaction(std::move(statements),
                    [done = std::move(done)](Result result) { done(result.ok, refused(result)); });
}

void PubsubStore::items(const std::string& host, const std::string& user, const std::string& node,
                        std::int64_t max_items,
                        std::function<void(bool ok, std::vector<PubsubItem>)> done) {
    std::string sql = std::string("SELECT ") + item_columns +
                      ", id FROM pep_items "
                      "WHERE host = $1 AND username = $2 AND node = $3 ORDER BY id DESC";
    std::vector<Value> params{host, user, node};
    if (max_items > 0) {
        sql += " LIMIT $4";
        params.emplace_back(max_items);
    }
    db_.execute(
        {"SELECT " + std::string(item_columns) + " FROM (" + sql + ") AS newest ORDER BY id",
         std::move(params)},
        [done = std::move(done)](Result result) {
            if (!result.ok) return done(false, {});
            done(true, items_of(result));
        });
}

void PubsubStore::items_by_id(const std::string& host, const std::string& user,
                              const std::string& node, const std::vector<std::string>& ids,
                              std::function<void(bool ok, std::vector<PubsubItem>)> done) {
    if (ids.empty()) return done(true, {});
    std::string sql = std::string("SELECT ") + item_columns +
                      " FROM pep_items WHERE host = $1 AND username = $2 AND node = $3 "
                      "AND item_id IN (";
    std::vector<Value> params{host, user, node};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        sql += (i ? ", $" : "$") + std::to_string(params.size() + 1);
        params.emplace_back(ids[i]);
    }
    sql += ") ORDER BY id";
    db_.execute({std::move(sql), std::move(params)}, [done = std::move(done)](Result result) {
        if (!result.ok) return done(false, {});
        done(true, items_of(result));
    });
}

void PubsubStore::retract(const std::string& host, const std::string& user, const std::string& node,
                          const std::string& item_id,
                          std::function<void(bool ok, bool removed)> done) {
    db_.execute(
        {"DELETE FROM pep_items WHERE host = $1 AND username = $2 AND node = $3 AND item_id = $4",
         {host, user, node, item_id}},
        [done = std::move(done)](Result result) { done(result.ok, result.affected > 0); });
}

void PubsubStore::purge(const std::string& host, const std::string& user, const std::string& node,
                        std::function<void(bool ok)> done) {
    db_.execute({"DELETE FROM pep_items WHERE host = $1 AND username = $2 AND node = $3",
                 {host, user, node}},
                [done = std::move(done)](Result result) { done(result.ok); });
}

void PubsubStore::remove(const std::string& host, const std::string& user, const std::string& node,
                         std::function<void(bool ok, bool removed)> done) {
    // The items and the whitelist go with the node (ON DELETE CASCADE).
    db_.execute({"DELETE FROM pep_nodes WHERE host = $1 AND username = $2 AND node = $3",
                 {host, user, node}},
                [done = std::move(done)](Result result) { done(result.ok, result.affected > 0); });
}

void PubsubStore::whitelist(const std::string& host, const std::string& user,
                            const std::string& node,
                            std::function<void(bool ok, std::vector<std::string>)> done) {
    db_.execute({"SELECT jid FROM pep_whitelist WHERE host = $1 AND username = $2 AND node = $3 "
                 "ORDER BY jid",
                 {host, user, node}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, {});
                    std::vector<std::string> jids;
                    for (const auto& row : result.rows) jids.push_back(row.at(0).value_or(""));
                    done(true, std::move(jids));
                });
}

void PubsubStore::set_whitelist(const std::string& host, const std::string& user,
                                const std::string& node,
                                const std::vector<std::pair<std::string, bool>>& changes,
                                std::function<void(bool ok)> done) {
    std::vector<Statement> statements;
    for (const auto& [jid, member] : changes) {
        if (member)
            statements.push_back(
                {"INSERT INTO pep_whitelist (host, username, node, jid) "
                 "VALUES ($1, $2, $3, $4) "
                 "ON CONFLICT (host, username, node, jid) DO NOTHING",
                 {host, user, node, jid}});
        else
            statements.push_back(
                {"DELETE FROM pep_whitelist WHERE host = $1 AND username = $2 "
                 "AND node = $3 AND jid = $4",
                 {host, user, node, jid}});
    }
    if (statements.empty()) return done(true);
    db_.transaction(std::move(statements),
                    [done = std::move(done)](Result result) { done(result.ok); });
}

void PubsubStore::whitelisted_nodes(const std::string& host, const std::string& user,
                                    const std::string& jid,
                                    std::function<void(bool ok, std::vector<std::string>)> done) {
    db_.execute({"SELECT node FROM pep_whitelist WHERE host = $1 AND username = $2 AND jid = $3 "
                 "ORDER BY node",
                 {host, user, jid}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, {});
                    std::vector<std::string> nodes;
                    for (const auto& row : result.rows) nodes.push_back(row.at(0).value_or(""));
                    done(true, std::move(nodes));
                });
}

}  // namespace starling::storage
