#include "storage/pep_subscription_store.hpp"

#include "storage/quota_guard.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>
#include <utility>

namespace starling::storage {

namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Value optional_text(const std::string& text) {
    if (text.empty()) return Value{};
    return Value{text};
}

std::vector<PepSubscription> subscriptions_of(const Result& result) {
    std::vector<PepSubscription> list;
    for (const auto& row : result.rows)
        list.push_back(
            {row.at(0).value_or(""), row.at(1).value_or(""), row.at(2).value_or("")});
    // Sorted here rather than by ORDER BY: the two drivers collate differently.
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
        return std::tie(a.node, a.jid) < std::tie(b.node, b.jid);
    });
    return list;
}

}  // namespace

void PepSubscriptionStore::subscribe(const std::string& host, const std::string& user,
                                     const std::string& node, const std::string& jid,
                                     const Subscriber& subscriber, SubscriptionLimits limits,
                                     std::function<void(bool ok, bool refused)> done) {
    std::vector<Statement> statements;
    // Before the write: a subscription that does not exist yet would be one more, of the node
    // and of the subscriber.
    if (limits.per_node > 0)
        statements.push_back(refuse_one_more("pep_subscriptions",
                                             "host = $1 AND username = $2 AND node = $3",
                                             "jid = $4", {host, user, node, jid}, limits.per_node));
    if (limits.per_subscriber > 0)
        statements.push_back(refuse_if(
            "NOT EXISTS (SELECT 1 FROM pep_subscriptions WHERE host = $1 AND username = $2 AND "
            "node = $3 AND jid = $4) AND (SELECT count(*) FROM pep_subscriptions WHERE "
            "subscriber = $5) >= $6",
            {host, user, node, jid, subscriber.bare, limits.per_subscriber}));
    statements.push_back(
        {"INSERT INTO pep_subscriptions (host, username, node, jid, subscriber, subscriber_host, "
         "subscriber_user, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
         "ON CONFLICT (host, username, node, jid) DO NOTHING",
         {host, user, node, jid, subscriber.bare, optional_text(subscriber.account_host),
          optional_text(subscriber.account_user), now_seconds()}});
    db_.transaction(std::move(statements),
                    [done = std::move(done)](Result result) { done(result.ok, refused(result)); });
}

void PepSubscriptionStore::unsubscribe(const std::string& host, const std::string& user,
                                       const std::string& node, const std::string& jid,
                                       std::function<void(bool ok, bool removed)> done) {
    db_.execute({"DELETE FROM pep_subscriptions WHERE host = $1 AND username = $2 AND node = $3 "
                 "AND jid = $4",
                 {host, user, node, jid}},
                [done = std::move(done)](Result result) { done(result.ok, result.affected > 0); });
}

void PepSubscriptionStore::of_node(
    const std::string& host, const std::string& user, const std::string& node,
    std::function<void(bool ok, std::vector<PepSubscription>)> done) {
    db_.execute({"SELECT node, jid, subscriber FROM pep_subscriptions "
                 "WHERE host = $1 AND username = $2 AND node = $3",
                 {host, user, node}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, {});
                    done(true, subscriptions_of(result));
                });
}

void PepSubscriptionStore::of_subscriber(
    const std::string& host, const std::string& user, const std::string& subscriber,
    const std::string& node, std::function<void(bool ok, std::vector<PepSubscription>)> done) {
    std::string sql =
        "SELECT node, jid, subscriber FROM pep_subscriptions "
        "WHERE host = $1 AND username = $2 AND subscriber = $3";
    std::vector<Value> params{host, user, subscriber};
    if (!node.empty()) {
        sql += " AND node = $4";
        params.emplace_back(node);
    }
    db_.execute({std::move(sql), std::move(params)}, [done = std::move(done)](Result result) {
        if (!result.ok) return done(false, {});
        done(true, subscriptions_of(result));
    });
}

}  // namespace starling::storage
