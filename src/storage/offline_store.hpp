#pragma once
// Offline messages (XEP-0160): per (host, user), stanzas as serialized XML text, oldest first,
// with a per-user cap whose drops are counted until the user next collects them.

#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct OfflineMessage {
    std::int64_t id = 0;
    std::string host;
    std::string user;
    std::string from;    // the sender's JID, as the stanza had it
    std::string stanza;  // the stanza's XML text
    std::int64_t stored_at = 0;  // seconds since the epoch
};

class OfflineStore {
public:
    explicit OfflineStore(Database& db) : db_(db) {}

    /// Stores the message and, when the user then has more than `max_messages`, drops the oldest
    /// and adds them to the user's pruned count, all in one transaction.
    void store(const OfflineMessage& message, std::int64_t max_messages,
               std::function<void(bool ok)> done);
    /// The user's messages, oldest first.
    void fetch(const std::string& host, const std::string& user,
               std::function<void(bool ok, std::vector<OfflineMessage>)> done);
    /// Deletes the user's messages up to and including id `last_id` (the last one fetched).
    void remove_through(const std::string& host, const std::string& user, std::int64_t last_id,
                        Callback done);
    void count(const std::string& host, const std::string& user,
               std::function<void(bool ok, std::int64_t count)> done);
    /// How many of the user's messages the cap dropped since the last call, resetting it to 0.
    void take_pruned(const std::string& host, const std::string& user,
                     std::function<void(bool ok, std::int64_t dropped)> done);
    /// Deletes every message stored before `before` (seconds) on `host` and returns them.
    void expire(const std::string& host, std::int64_t before,
                std::function<void(bool ok, std::vector<OfflineMessage>)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
