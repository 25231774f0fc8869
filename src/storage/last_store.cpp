#include "storage/last_store.hpp"

#include <utility>

namespace starling::storage {

void LastStore::set(const std::string& host, const std::string& user, const LastLogout& logout,
                    Callback done) {
    db_.execute({"INSERT INTO last_activity (host, username, logout_at, status) "
                 "VALUES ($1, $2, $3, $4) ON CONFLICT (host, username) DO UPDATE "
                 "SET logout_at = $3, status = $4",
                 {host, user, logout.at, logout.status}},
                std::move(done));
}

void LastStore::get(const std::string& host, const std::string& user,
                    std::function<void(bool ok, std::optional<LastLogout>)> done) {
    db_.execute({"SELECT logout_at, status FROM last_activity WHERE host = $1 AND username = $2",
                 {host, user}},
                [done = std::move(done)](Result result) {
                    if (!result.ok) return done(false, std::nullopt);
                    if (result.rows.empty() || !result.rows.front()[0])
                        return done(true, std::nullopt);
                    const auto& row = result.rows.front();
                    done(true, LastLogout{std::stoll(*row[0]), row[1].value_or("")});
                });
}

}  // namespace starling::storage
