#pragma once
// Offline messages (XEP-0160): per (host, user), stanzas as serialized XML text, oldest first,
// with a per-user cap whose drops are counted until the user next collects them. Messages from
// senders outside the user's roster (strangers) have a smaller share of the cap of their own, so
// that strangers can never push a contact's message out.

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

/// How many messages one user's queue keeps.
struct OfflineCaps {
    std::int64_t max_messages = 1000;  // in all
    /// Of them, from strangers: senders that the user's roster neither lists nor has a
    /// subscription with (the user's own account and its server are never strangers).
    std::int64_t max_from_strangers = 100;
};

/// What the caps dropped since the user last collected the count.
struct OfflinePruned {
    std::int64_t dropped = 0;            // in all
    std::int64_t dropped_strangers = 0;  // of them, strangers' messages
};

class OfflineStore {
public:
    explicit OfflineStore(Database& db) : db_(db) {}

    /// Stores the message, deciding from the roster whether its sender is a stranger, then drops
    /// what the caps no longer hold and adds it to the user's pruned count, all in one
    /// transaction: first the oldest strangers' messages past the strangers' share (which
    /// shrinks to what contacts leave free of `max_messages`), and contacts' messages only when
    /// the contacts alone have more than `max_messages`. So the counting is the database's, and
    /// any number of stores in flight at once cannot pass the caps.
    void store(const OfflineMessage& message, const OfflineCaps& caps,
               std::function<void(bool ok)> done);
    /// The user's messages, oldest first.
    void fetch(const std::string& host, const std::string& user,
               std::function<void(bool ok, std::vector<OfflineMessage>)> done);
    /// Deletes the user's messages up to and including id `last_id` (the last one fetched).
    void remove_through(const std::string& host, const std::string& user, std::int64_t last_id,
                        Callback done);
    void count(const std::string& host, const std::string& user,
               std::function<void(bool ok, std::int64_t count)> done);
    /// What the caps dropped of the user's messages since the last call, resetting it to 0.
    void take_pruned(const std::string& host, const std::string& user,
                     std::function<void(bool ok, OfflinePruned)> done);
    /// Deletes every message stored before `before` (seconds) on `host` and returns them.
    void expire(const std::string& host, std::int64_t before,
                std::function<void(bool ok, std::vector<OfflineMessage>)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
