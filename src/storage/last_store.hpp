#pragma once
// Last activity (XEP-0012): when a user's last session ended and the status it left with.

#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace starling::storage {

struct LastLogout {
    std::int64_t at = 0;  // seconds since the Unix epoch
    std::string status;
};

class LastStore {
public:
    explicit LastStore(Database& db) : db_(db) {}

    /// Records (replacing) the user's last logout.
    void set(const std::string& host, const std::string& user, const LastLogout& logout,
             Callback done);
    /// The user's last logout, nullopt when none was recorded.
    void get(const std::string& host, const std::string& user,
             std::function<void(bool ok, std::optional<LastLogout>)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
