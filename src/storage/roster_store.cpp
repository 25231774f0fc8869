#include "storage/roster_store.hpp"

#include "storage/quota_guard.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

namespace starling::storage {

namespace {

constexpr const char* item_columns =
    "contact, name, subscription, ask, approved, pending_in, pending_status, listed";

std::string text(const std::optional<std::string>& column) {
    return column.value_or("");
}
bool flag(const std::optional<std::string>& column) {
    return column && *column != "0";
}

RosterItem parse_item(const std::vector<std::optional<std::string>>& row) {
    RosterItem item;
    item.contact = text(row[0]);
    item.name = text(row[1]);
    item.subscription = text(row[2]);
    item.ask = flag(row[3]);
    item.approved = flag(row[4]);
    item.pending_in = flag(row[5]);
    item.pending_status = text(row[6]);
    item.listed = flag(row[7]);
    return item;
}

// The version goes up inside the same transaction as the change it stands for, so a client that
// saw version N has seen every change up to N.
Statement bump_version(const std::string& host, const std::string& user) {
    return {
        "INSERT INTO roster_versions (host, username, version) VALUES ($1, $2, 1) "
        "ON CONFLICT (host, username) DO UPDATE "
        "SET version = roster_versions.version + 1 RETURNING version",
        {host, user}};
}

std::int64_t first_int(const Result& result) {
    if (result.rows.empty() || !result.rows.front()[0]) return 0;
    return std::stoll(*result.rows.front()[0]);
}

// Sorted here rather than by ORDER BY: the two drivers collate differently.
void sort_items(std::vector<RosterItem>& items) {
    std::sort(items.begin(), items.end(),
              [](const RosterItem& a, const RosterItem& b) { return a.contact < b.contact; });
    for (auto& item : items) std::sort(item.groups.begin(), item.groups.end());
}

}  // namespace

void RosterStore::items(
    const std::string& host, const std::string& user,
    std::function<void(bool ok, std::vector<RosterItem>, std::int64_t version)> done) {
    auto shared_done = std::make_shared<decltype(done)>(std::move(done));
    db_.execute(
        {std::string("SELECT ") + item_columns +
             " FROM roster_items WHERE host = $1 AND username = $2",
         {host, user}},
        [this, host, user, shared_done](Result items) {
            if (!items.ok) return (*shared_done)(false, {}, 0);
            db_.execute(
                {"SELECT contact, name FROM roster_groups WHERE host = $1 AND username = $2",
                 {host, user}},
                [this, host, user, shared_done, items = std::move(items)](Result groups) {
                    if (!groups.ok) return (*shared_done)(false, {}, 0);
                    std::map<std::string, std::vector<std::string>> by_contact;
                    for (const auto& row : groups.rows)
                        by_contact[text(row[0])].push_back(text(row[1]));
                    std::vector<RosterItem> list;
                    for (const auto& row : items.rows) {
                        list.push_back(parse_item(row));
                        list.back().groups = std::move(by_contact[list.back().contact]);
                    }
                    sort_items(list);
                    db_.execute({"SELECT version FROM roster_versions "
                                 "WHERE host = $1 AND username = $2",
                                 {host, user}},
                                [shared_done, list = std::move(list)](Result version) mutable {
                                    if (!version.ok) return (*shared_done)(false, {}, 0);
                                    (*shared_done)(true, std::move(list), first_int(version));
                                });
                });
        });
}

void RosterStore::item(const std::string& host, const std::string& user, const std::string& contact,
                       std::function<void(bool ok, std::optional<RosterItem>)> done) {
    auto shared_done = std::make_shared<decltype(done)>(std::move(done));
    db_.execute({std::string("SELECT ") + item_columns +
                     " FROM roster_items WHERE host = $1 AND username = $2 AND contact = $3",
                 {host, user, contact}},
                [this, host, user, contact, shared_done](Result found) {
                    if (!found.ok) return (*shared_done)(false, std::nullopt);
                    if (found.rows.empty()) return (*shared_done)(true, std::nullopt);
                    auto item = parse_item(found.rows.front());
                    db_.execute({"SELECT name FROM roster_groups "
                                 "WHERE host = $1 AND username = $2 AND contact = $3",
                                 {host, user, contact}},
                                [shared_done, item = std::move(item)](Result groups) mutable {
                                    if (!groups.ok) return (*shared_done)(false, std::nullopt);
                                    for (const auto& row : groups.rows)
                                        item.groups.push_back(text(row[0]));
                                    std::sort(item.groups.begin(), item.groups.end());
                                    (*shared_done)(true, std::move(item));
                                });
                });
}

void RosterStore::count(const std::string& host, const std::string& user,
                        std::function<void(bool ok, std::int64_t count)> done) {
    db_.execute({"SELECT count(*) FROM roster_items "
                 "WHERE host = $1 AND username = $2 AND listed = 1",
                 {host, user}},
                [done = std::move(done)](Result result) { done(result.ok, first_int(result)); });
}

void RosterStore::put(const std::string& host, const std::string& user, const RosterItem& item,
                      std::int64_t max_listed,
                      std::function<void(bool ok, bool refused, std::int64_t version)> done) {
    const auto as_int = [](bool value) { return static_cast<std::int64_t>(value); };
    std::vector<Statement> statements;
    // Before the write: a contact that is not listed yet would be one more listed item.
    if (item.listed && max_listed > 0)
        statements.push_back(
            refuse_one_more("roster_items", "host = $1 AND username = $2 AND listed = 1",
                            "contact = $3", {host, user, item.contact}, max_listed));
    statements.push_back(
        {"INSERT INTO roster_items (host, username, contact, name, subscription, ask, approved, "
         "pending_in, pending_status, listed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
         "ON CONFLICT (host, username, contact) DO UPDATE SET name = $4, subscription = $5, "
         "ask = $6, approved = $7, pending_in = $8, pending_status = $9, listed = $10",
         {host, user, item.contact, item.name, item.subscription, as_int(item.ask),
          as_int(item.approved), as_int(item.pending_in), item.pending_status,
          as_int(item.listed)}});
    statements.push_back(
        {"DELETE FROM roster_groups WHERE host = $1 AND username = $2 AND contact = $3",
         {host, user, item.contact}});
    for (const auto& group : item.groups)
        statements.push_back(
            {"INSERT INTO roster_groups (host, username, contact, name) "
             "VALUES ($1, $2, $3, $4)",
             {host, user, item.contact, group}});
    statements.push_back(bump_version(host, user));
    db_.transaction(std::move(statements), [done = std::move(done)](Result result) {
        done(result.ok, refused(result), first_int(result));
    });
}

void RosterStore::remove(const std::string& host, const std::string& user,
                         const std::string& contact,
                         std::function<void(bool ok, bool removed, std::int64_t version)> done) {
    auto shared_done = std::make_shared<decltype(done)>(std::move(done));
    // The groups go with the item: roster_groups references it ON DELETE CASCADE.
    db_.execute({"DELETE FROM roster_items WHERE host = $1 AND username = $2 AND contact = $3",
                 {host, user, contact}},
                [this, host, user, shared_done](Result deleted) {
                    if (!deleted.ok) return (*shared_done)(false, false, 0);
                    if (deleted.affected > 0)
                        return db_.execute(bump_version(host, user), [shared_done](Result version) {
                            (*shared_done)(version.ok, true, first_int(version));
                        });
                    db_.execute(
                        {"SELECT version FROM roster_versions WHERE host = $1 AND username = $2",
                         {host, user}},
                        [shared_done](Result version) {
                            (*shared_done)(version.ok, false, first_int(version));
                        });
                });
}

}  // namespace starling::storage
