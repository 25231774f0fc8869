#pragma once
// Simple communications blocking (XEP-0191): the set of JIDs each user blocks.

#include "storage/database.hpp"

#include <functional>
#include <string>
#include <vector>

namespace starling::storage {

class BlocklistStore {
public:
    explicit BlocklistStore(Database& db) : db_(db) {}

    /// The user's blocked JIDs, sorted.
    void list(const std::string& host, const std::string& user,
              std::function<void(bool ok, std::vector<std::string> jids)> done);
    /// Adds the JIDs (those already blocked stay as they are), in one transaction. With
    /// `max_items` above 0 the list's length is checked inside it: when the user would then
    /// block more than max_items JIDs, nothing is added and the result is refused()
    /// (storage/quota_guard.hpp).
    void add(const std::string& host, const std::string& user, const std::vector<std::string>& jids,
             std::int64_t max_items, Callback done);
    /// Removes the JIDs, or every blocked JID when `jids` is empty, in one transaction.
    void remove(const std::string& host, const std::string& user,
                const std::vector<std::string>& jids, Callback done);

private:
    Database& db_;
};

}  // namespace starling::storage
