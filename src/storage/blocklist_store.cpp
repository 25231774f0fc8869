#include "storage/blocklist_store.hpp"

#include "storage/quota_guard.hpp"

#include <algorithm>
#include <utility>

namespace starling::storage {

void BlocklistStore::list(const std::string& host, const std::string& user,
                          std::function<void(bool ok, std::vector<std::string> jids)> done) {
    db_.execute({"SELECT jid FROM blocklist WHERE host = $1 AND username = $2", {host, user}},
                [done = std::move(done)](Result result) {
                    std::vector<std::string> jids;
                    for (const auto& row : result.rows)
                        if (row[0]) jids.push_back(*row[0]);
                    // Sorted here rather than by ORDER BY: the two drivers collate differently.
                    std::sort(jids.begin(), jids.end());
                    done(result.ok, std::move(jids));
                });
}

void BlocklistStore::add(const std::string& host, const std::string& user,
                         const std::vector<std::string>& jids, std::int64_t max_items,
                         Callback done) {
    if (jids.empty()) return done(Result{});
    std::vector<Statement> statements;
    for (const auto& jid : jids)
        statements.push_back(
            {"INSERT INTO blocklist (host, username, jid) VALUES ($1, $2, $3) "
             "ON CONFLICT DO NOTHING",
             {host, user, jid}});
    // After the write: the list as it would stand.
    if (max_items > 0)
        statements.push_back(
            refuse_if("(SELECT count(*) FROM blocklist WHERE host = $1 AND username = $2) > $3",
                      {host, user, max_items}));
    db_.transaction(std::move(statements), std::move(done));
}

void BlocklistStore::remove(const std::string& host, const std::string& user,
                            const std::vector<std::string>& jids, Callback done) {
    if (jids.empty())
        return db_.execute(
            {"DELETE FROM blocklist WHERE host = $1 AND username = $2", {host, user}},
            std::move(done));
    std::vector<Statement> statements;
    for (const auto& jid : jids)
        statements.push_back(
            {"DELETE FROM blocklist WHERE host = $1 AND username = $2 AND jid = $3",
             {host, user, jid}});
    db_.transaction(std::move(statements), std::move(done));
}

}  // namespace starling::storage
