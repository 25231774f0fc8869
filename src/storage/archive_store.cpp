#include "storage/archive_store.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

namespace starling::storage {

namespace {

constexpr const char* columns =
    "id, host, username, archive_id, with_bare, with_resource, stanza, stored_at";

// A row written before archive ids were the encrypted row keeps the random id it was given.
ArchivedMessage message_of(const ArchiveIds& ids,
                           const std::vector<std::optional<std::string>>& row) {
    ArchivedMessage m;
    m.row = std::stoll(row.at(0).value_or("0"));
    m.host = row.at(1).value_or("");
    m.user = row.at(2).value_or("");
    m.archive_id = row.at(3).value_or("");
    if (m.archive_id.empty()) m.archive_id = ids.encode(m.row);
    m.with_bare = row.at(4).value_or("");
    m.with_resource = row.at(5).value_or("");
    m.stanza = row.at(6).value_or("");
    m.stored_at = std::stoll(row.at(7).value_or("0"));
    return m;
}

// The statement text must come from a small set, since SQLite keeps every distinct text it
// prepared: an IN list is padded to the next power of two by repeating its last value.
std::string in_list(std::vector<Value>& params, const std::vector<Value>& values) {
    std::size_t size = 1;
    while (size < values.size()) size *= 2;
    std::string sql = "(";
    for (std::size_t i = 0; i < size; ++i) {
        params.push_back(values[std::min(i, values.size() - 1)]);
        if (i > 0) sql += ", ";
        sql += "$" + std::to_string(params.size());
    }
    return sql + ")";
}

std::string placeholder(std::vector<Value>& params, Value value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
}

// A query in flight: the ids it names resolved to rows, then the count, then the page.
struct Run {
    std::shared_ptr<const ArchiveIds> ids;
    ArchiveTables tables;
    ArchiveQuery query;
    std::map<std::string, std::int64_t> rows;  // archive id -> row
    std::int64_t count = 0;
    std::int64_t before_position = 0;  // messages the form selects that precede the page
    std::function<void(ArchiveOutcome, ArchivePage)> done;

    std::int64_t row(const std::optional<std::string>& id) const { return rows.at(*id); }

    // The form's selection: the user, 'with', the time span, after-id, before-id and ids.
    std::string where(std::vector<Value>& params) const {
        std::string sql = "host = " + placeholder(params, query.host) +
                          " AND username = " + placeholder(params, query.user);
        if (query.with_bare) {
            sql += " AND with_bare = " + placeholder(params, *query.with_bare);
            if (query.with_resource)
                sql += " AND with_resource = " + placeholder(params, *query.with_resource);
        }
        if (query.start) sql += " AND stored_at >= " + placeholder(params, *query.start);
        if (query.end) sql += " AND stored_at <= " + placeholder(params, *query.end);
        if (query.after_id) sql += " AND id > " + placeholder(params, row(query.after_id));
        if (query.before_id) sql += " AND id < " + placeholder(params, row(query.before_id));
        if (!query.ids.empty()) {
            std::vector<Value> wanted;
            for (const auto& id : query.ids) wanted.emplace_back(rows.at(id));
            sql += " AND id IN " + in_list(params, wanted);
        }
        return sql;
    }
};

void fetch_page(Database& db, std::shared_ptr<Run> run) {
    const auto& q = run->query;
    std::vector<Value> params;
    std::string sql =
        std::string("SELECT ") + columns + " FROM " + run->tables.messages + " WHERE " +
        run->where(params);
    if (q.page_before) {
        if (q.before) sql += " AND id < " + placeholder(params, run->row(q.before));
        sql += " ORDER BY id DESC";
    } else {
        if (q.after) sql += " AND id > " + placeholder(params, run->row(q.after));
        sql += " ORDER BY id";
    }
    // One more than the page shows whether anything lies beyond it.
    sql += " LIMIT " + placeholder(params, q.max + 1);
    db.execute({std::move(sql), std::move(params)}, [run](Result result) {
        if (!result.ok) return run->done(ArchiveOutcome::failed, {});
        ArchivePage page;
        page.count = run->count;
        for (const auto& row : result.rows) page.messages.push_back(message_of(*run->ids, row));
        page.complete = page.messages.size() <= static_cast<std::size_t>(run->query.max);
        if (!page.complete) page.messages.pop_back();
        if (run->query.page_before) {
            std::reverse(page.messages.begin(), page.messages.end());
            page.first_index =
                run->before_position - static_cast<std::int64_t>(page.messages.size());
        } else {
            page.first_index = run->before_position;
        }
        run->done(ArchiveOutcome::ok, std::move(page));
    });
}

void count_and_fetch(Database& db, std::shared_ptr<Run> run) {
    // The count of the whole selection, and how much of it comes before the page: up to the
    // RSM 'after' id going forwards, before the RSM 'before' id going backwards.
    std::vector<Value> params;
    std::string preceding = "0";
    const auto& q = run->query;
    if (q.page_before)
        preceding = q.before ? "id < " + placeholder(params, run->row(q.before)) : "1 = 1";
    else if (q.after)
        preceding = "id <= " + placeholder(params, run->row(q.after));
    std::string sql = preceding == "0" ? "SELECT count(*), 0"
                                       : "SELECT count(*), COALESCE(sum(CASE WHEN " + preceding +
                                             " THEN 1 ELSE 0 END), 0)";
    sql += " FROM " + run->tables.messages + " WHERE " + run->where(params);
    db.execute({std::move(sql), std::move(params)}, [&db, run](Result result) {
        if (!result.ok || result.rows.empty()) return run->done(ArchiveOutcome::failed, {});
        run->count = std::stoll(result.rows[0].at(0).value_or("0"));
        run->before_position = std::stoll(result.rows[0].at(1).value_or("0"));
        if (run->query.max <= 0) {
            ArchivePage page;
            page.count = run->count;
            page.complete = run->count == 0;
            return run->done(ArchiveOutcome::ok, std::move(page));
        }
        fetch_page(db, run);
    });
}

}  // namespace

void ArchiveStore::append(const std::vector<ArchivedMessage>& messages,
                          std::function<void(WriteStatus)> done) {
    const std::string& table = tables_.messages;
    const std::string& counts = tables_.counts;
    std::vector<Statement> statements;
    // Each user's first (lowest) row in this batch, and how many rows the batch has for them.
    std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>> per_user;
    for (const auto& m : messages) {
        auto [it, added] = per_user.try_emplace({m.host, m.user}, m.row, 0);
        it->second.first = std::min(it->second.first, m.row);
        ++it->second.second;
    }
    // The count goes up by what is appended, unless this batch was committed already by a try
    // whose answer a broken connection lost (its rows are all there, or none is: one
    // transaction), so that writing it again changes nothing. The count is kept without a quota
    // too, so that one set later starts from the truth.
    for (const auto& [who, rows] : per_user)
        statements.push_back(
            {"INSERT INTO " + counts + " (host, username, stored) SELECT $1, $2, $3 "
             "WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE id = $4) "
             "ON CONFLICT (host, username) DO UPDATE SET stored = " + counts + ".stored + "
             "excluded.stored",
             {who.first, who.second, rows.second, rows.first}});
    // archive_id stays empty: the id is the encrypted row.
    for (const auto& m : messages)
        statements.push_back(
            {"INSERT INTO " + table + " (id, host, username, archive_id, with_bare, "
             "with_resource, stanza, stored_at) VALUES ($1, $2, $3, '', $4, $5, $6, $7) "
             "ON CONFLICT (id) DO NOTHING",
             {m.row, m.host, m.user, m.with_bare, m.with_resource, m.stanza, m.stored_at}});
    // Past the quota the oldest rows go and the count comes back down; COALESCE guards the
    // LIMIT, since PostgreSQL reads LIMIT NULL as no limit.
    if (max_per_user_ > 0) {
        for (const auto& [who, rows] : per_user) {
            const Value host = who.first;
            const Value user = who.second;
            statements.push_back(
                {"DELETE FROM " + table + " WHERE id IN (SELECT id FROM " + table +
                     " WHERE host = $1 AND username = $2 ORDER BY id LIMIT COALESCE((SELECT "
                     "stored - $3 FROM " + counts +
                     " WHERE host = $1 AND username = $2 AND stored > $3), 0))",
                 {host, user, max_per_user_}});
            statements.push_back(
                {"UPDATE " + counts + " SET stored = $3 WHERE host = $1 AND "
                 "username = $2 AND stored > $3",
                 {host, user, max_per_user_}});
        }
    }
    db_.transaction(std::move(statements),
                    [done = std::move(done)](Result result) { done(write_status(result)); });
}

void ArchiveStore::query(const ArchiveQuery& query,
                         std::function<void(ArchiveOutcome, ArchivePage)> done) {
    auto run = std::make_shared<Run>();
    run->ids = ids_;
    run->tables = tables_;
    run->query = query;
    run->done = std::move(done);
    std::vector<std::string> named;
    for (const auto* id : {&query.after_id, &query.before_id, &query.after, &query.before})
        if (*id) named.push_back(**id);
    named.insert(named.end(), query.ids.begin(), query.ids.end());
    if (named.empty()) return count_and_fetch(db_, std::move(run));
    // Every id the query names must be in this archive (XEP-0313 §4.1.1 and §4.3.2): found by
    // the row it decrypts to, or, for a row archived before that, by the id stored with it.
    std::map<std::int64_t, std::string> decoded;  // row -> the id as the client wrote it
    std::vector<Value> rows;
    std::vector<Value> legacy;
    for (const auto& id : named) {
        if (const auto row = ids_->decode(id)) {
            decoded[*row] = id;
            rows.emplace_back(*row);
        } else {
            legacy.emplace_back(id);
        }
    }
    std::vector<Value> params{query.host, query.user};
    std::string sql;
    if (!rows.empty())
        sql = "SELECT archive_id, id FROM " + tables_.messages +
              " WHERE host = $1 AND username = $2 AND archive_id = '' AND id IN " +
              in_list(params, rows);
    if (!legacy.empty())
        sql += std::string(sql.empty() ? "" : " UNION ALL ") +
               "SELECT archive_id, id FROM " + tables_.messages +
                   " WHERE host = $1 AND username = $2 AND archive_id <> '' AND archive_id IN " +
               in_list(params, legacy);
    db_.execute({std::move(sql), std::move(params)},
                [&db = db_, run, named, decoded = std::move(decoded)](Result result) {
                    if (!result.ok) return run->done(ArchiveOutcome::failed, {});
                    for (const auto& row : result.rows) {
                        const std::string stored = row.at(0).value_or("");
                        const std::int64_t id = std::stoll(row.at(1).value_or("0"));
                        run->rows[stored.empty() ? decoded.at(id) : stored] = id;
                    }
                    for (const auto& id : named)
                        if (!run->rows.count(id)) return run->done(ArchiveOutcome::unknown_id, {});
                    count_and_fetch(db, run);
                });
}

void ArchiveStore::bounds(
    const std::string& host, const std::string& user,
    std::function<void(bool ok, std::optional<ArchivedMessage>, std::optional<ArchivedMessage>)>
        done) {
    db_.execute(
        {std::string("SELECT ") + columns + " FROM " + tables_.messages +
             " WHERE id = (SELECT min(id) FROM " + tables_.messages +
             " WHERE host = $1 AND username = $2) OR id = (SELECT max(id) FROM " +
             tables_.messages + " WHERE host = $1 AND username = $2) ORDER BY id",
         {host, user}},
        [ids = ids_, done = std::move(done)](Result result) {
            if (!result.ok) return done(false, std::nullopt, std::nullopt);
            if (result.rows.empty()) return done(true, std::nullopt, std::nullopt);
            done(true, message_of(*ids, result.rows.front()), message_of(*ids, result.rows.back()));
        });
}

void ArchiveStore::expire(const std::string& host, std::int64_t before, std::int64_t limit,
                          std::function<void(bool ok, std::int64_t deleted)> done) {
    // The same rows, counted off their users' archive_counts and then deleted, in one
    // transaction; the answer is the delete's.
    const std::string& table = tables_.messages;
    const std::string& counts = tables_.counts;
    const std::string oldest = "SELECT id, host, username FROM " + table +
                               " WHERE host = $1 AND stored_at < $2 ORDER BY id LIMIT $3";
    db_.transaction(
        {{"UPDATE " + counts + " SET stored = stored - gone.n FROM (SELECT host, username, "
          "count(*) AS n FROM (" + oldest + ") AS oldest GROUP BY host, username) AS gone WHERE " +
              counts + ".host = gone.host AND " + counts + ".username = gone.username",
          {host, before, limit}},
         {"DELETE FROM " + table + " WHERE id IN (SELECT id FROM (" + oldest + ") AS oldest)",
          {host, before, limit}}},
        [done = std::move(done)](Result result) { done(result.ok, result.affected); });
}

void ArchiveStore::prefs(const std::string& host, const std::string& user,
                         std::function<void(bool ok, std::optional<ArchivePrefs>)> done) {
    // One statement: the default's row first (a NULL jid), then the listed JIDs in order.
    db_.execute(
        {"SELECT 0, default_mode, NULL FROM archive_prefs WHERE host = $1 AND username = $2 "
         "UNION ALL SELECT 1, list, jid FROM archive_pref_jids WHERE host = $1 AND username = $2 "
         "ORDER BY 1, 3",
         {host, user}},
        [done = std::move(done)](Result result) {
            if (!result.ok) return done(false, std::nullopt);
            if (result.rows.empty() || result.rows[0].at(0).value_or("") != "0")
                return done(true, std::nullopt);
            ArchivePrefs prefs;
            prefs.default_mode = result.rows[0].at(1).value_or("");
            for (std::size_t i = 1; i < result.rows.size(); ++i) {
                const auto& row = result.rows[i];
                auto& list = row.at(1).value_or("") == "always" ? prefs.always : prefs.never;
                list.push_back(row.at(2).value_or(""));
            }
            done(true, std::move(prefs));
        });
}

void ArchiveStore::set_prefs(const std::string& host, const std::string& user,
                             const ArchivePrefs& prefs, std::function<void(bool ok)> done) {
    std::vector<Statement> statements{
        {"INSERT INTO archive_prefs (host, username, default_mode) VALUES ($1, $2, $3) "
         "ON CONFLICT (host, username) DO UPDATE SET default_mode = excluded.default_mode",
         {host, user, prefs.default_mode}},
        {"DELETE FROM archive_pref_jids WHERE host = $1 AND username = $2", {host, user}},
    };
    // 'never' is written last and wins for a JID in both lists.
    for (const auto* list : {&prefs.always, &prefs.never}) {
        const std::string name = list == &prefs.always ? "always" : "never";
        for (const auto& jid : *list)
            statements.push_back(
                {"INSERT INTO archive_pref_jids (host, username, jid, list) VALUES ($1, $2, $3, "
                 "$4) ON CONFLICT (host, username, jid) DO UPDATE SET list = excluded.list",
                 {host, user, jid, name}});
    }
    db_.transaction(std::move(statements),
                    [done = std::move(done)](Result result) { done(result.ok); });
}

}  // namespace starling::storage
