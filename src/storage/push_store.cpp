#include "storage/push_store.hpp"

#include "storage/quota_guard.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace starling::storage {

void PushStore::list(const std::string& host, const std::string& user,
                     std::function<void(bool ok, std::vector<PushRegistration>)> done) {
    db_.execute({"SELECT service, node, options, enabled_at FROM push_registrations "
                 "WHERE host = $1 AND username = $2",
                 {host, user}},
                [done = std::move(done)](Result result) {
                    std::vector<PushRegistration> registrations;
                    for (const auto& row : result.rows) {
                        PushRegistration registration;
                        registration.service = row[0].value_or("");
                        registration.node = row[1].value_or("");
                        registration.options = row[2].value_or("");
                        registration.enabled_at = row[3] ? std::stoll(*row[3]) : 0;
                        registrations.push_back(std::move(registration));
                    }
                    // Sorted here rather than by ORDER BY: the two drivers collate differently.
                    std::sort(registrations.begin(), registrations.end(),
                              [](const auto& a, const auto& b) {
                                  return std::tie(a.service, a.node) < std::tie(b.service, b.node);
                              });
                    done(result.ok, std::move(registrations));
                });
}

void PushStore::enable(const std::string& host, const std::string& user,
                       const PushRegistration& registration, std::int64_t max_registrations,
                       Callback done) {
    std::vector<Statement> statements;
    // Before the write: a service and node the user has not enabled yet would be one more.
    if (max_registrations > 0)
        statements.push_back(refuse_one_more(
            "push_registrations", "host = $1 AND username = $2", "service = $3 AND node = $4",
            {host, user, registration.service, registration.node}, max_registrations));
    statements.push_back(
        {"INSERT INTO push_registrations (host, username, service, node, "
         "options, enabled_at) VALUES ($1, $2, $3, $4, $5, $6) "
         "ON CONFLICT (host, username, service, node) DO UPDATE SET "
         "options = excluded.options, enabled_at = excluded.enabled_at",
         {host, user, registration.service, registration.node, registration.options,
          registration.enabled_at}});
    db_.transaction(std::move(statements), std::move(done));
}

void PushStore::disable(const std::string& host, const std::string& user,
                        const std::string& service, const std::optional<std::string>& node,
                        Callback done) {
    if (!node)
        return db_.execute({"DELETE FROM push_registrations WHERE host = $1 AND username = $2 "
                            "AND service = $3",
                            {host, user, service}},
                           std::move(done));
    db_.execute({"DELETE FROM push_registrations WHERE host = $1 AND username = $2 AND "
                 "service = $3 AND node = $4",
                 {host, user, service, *node}},
                std::move(done));
}

}  // namespace starling::storage
