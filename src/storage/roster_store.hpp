#pragma once
// Rosters (RFC 6121 §2) and the subscription state of every contact (§3), per host and user, with
// the roster version counter of §2.6.

#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct RosterItem {
    std::string contact;                // the contact's bare JID
    std::string name;                   // empty: no name
    std::string subscription = "none";  // none, to, from or both
    bool ask = false;                   // pending-out: the user asked to subscribe
    bool approved = false;              // the user pre-approved the contact's subscription
    bool pending_in = false;            // the contact asked to subscribe, not yet answered
    std::string pending_status;         // the <status/> of that request
    bool listed = true;                 // false: kept only for a pending-in request
    std::vector<std::string> groups;    // sorted

    bool has_to() const { return subscription == "to" || subscription == "both"; }
    bool has_from() const { return subscription == "from" || subscription == "both"; }
    friend bool operator==(const RosterItem&, const RosterItem&) = default;
};

class RosterStore {
public:
    explicit RosterStore(Database& db) : db_(db) {}

    /// Every item of the user (listed or not), sorted by contact, and the roster version.
    void items(const std::string& host, const std::string& user,
               std::function<void(bool ok, std::vector<RosterItem>, std::int64_t version)> done);
    /// One item, nullopt when the user has none for that contact.
    void item(const std::string& host, const std::string& user, const std::string& contact,
              std::function<void(bool ok, std::optional<RosterItem>)> done);
    /// The number of listed items (for the roster size limit).
    void count(const std::string& host, const std::string& user,
               std::function<void(bool ok, std::int64_t count)> done);
    /// Creates or replaces the item; answers the new roster version. With `max_listed` above 0
    /// the roster size limit is checked inside the write: an item that would become the
    /// user's listed item number max_listed + 1 is not written, and `refused` is true.
    void put(const std::string& host, const std::string& user, const RosterItem& item,
             std::int64_t max_listed,
             std::function<void(bool ok, bool refused, std::int64_t version)> done);
    /// Deletes the item; answers the new roster version (unchanged, with removed=false, when
    /// there was no such item).
    void remove(const std::string& host, const std::string& user, const std::string& contact,
                std::function<void(bool ok, bool removed, std::int64_t version)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
