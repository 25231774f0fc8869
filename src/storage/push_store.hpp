#pragma once
// Push notifications (XEP-0357): the app servers (a service JID and a node) each user enabled,
// with the publish options to send to each.

#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct PushRegistration {
    std::string service;  // the app server's JID
    std::string node;
    std::string options;  // the publish-options form as XML text, or ""
    std::int64_t enabled_at = 0;
    friend bool operator==(const PushRegistration&, const PushRegistration&) = default;
};

class PushStore {
public:
    explicit PushStore(Database& db) : db_(db) {}

    /// The user's registrations, sorted by service then node.
    void list(const std::string& host, const std::string& user,
              std::function<void(bool ok, std::vector<PushRegistration> registrations)> done);
    /// Adds the registration, or replaces the options and time of the one with the same service
    /// and node (XEP-0357 §5: the last request's options win). With `max_registrations` above 0
    /// the count is checked inside the write: a new registration past it is not written, and
    /// the result is refused() (storage/quota_guard.hpp).
    void enable(const std::string& host, const std::string& user,
                const PushRegistration& registration, std::int64_t max_registrations,
                Callback done);
    /// Removes the registration of `service` and `node`, or every registration of `service`
    /// when `node` is nullopt; the result's `affected` says how many went.
    void disable(const std::string& host, const std::string& user, const std::string& service,
                 const std::optional<std::string>& node, Callback done);

private:
    Database& db_;
};

}  // namespace starling::storage
