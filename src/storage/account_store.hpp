#pragma once
// Accounts: per host, per user, one SCRAM secret set per hash. Never a password.

#include "storage/database.hpp"
#include "stream/scram_secret.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

class AccountStore {
public:
    explicit AccountStore(Database& db) : db_(db) {}

    /// ok=false with error "exists" when the account already exists.
    void create(const std::string& host, const std::string& user,
                const std::vector<sasl::ScramSecret>& secrets, Callback done);
    /// Replaces every secret; ok=false with error "not-found" for no such account.
    void set_secrets(const std::string& host, const std::string& user,
                     const std::vector<sasl::ScramSecret>& secrets, Callback done);
    /// Removes the account and its secrets; ok=false "not-found" when absent.
    void remove(const std::string& host, const std::string& user, Callback done);
    void exists(const std::string& host, const std::string& user,
                std::function<void(bool ok, bool exists)> done);
    /// The secret for one hash; nullopt when no such account (ok=false only on a database error).
    void secret(const std::string& host, const std::string& user, sasl::Hash hash,
                std::function<void(bool ok, std::optional<sasl::ScramSecret>)> done);
    /// Usernames of a host, sorted.
    void list(const std::string& host, std::function<void(bool ok, std::vector<std::string>)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
