#pragma once
// Explicit subscriptions to PEP nodes (XEP-0060 §6.1 on XEP-0163), per (host, user, node) of the
// owner and subscribed JID. Each goes with its node and its owner's account (schemas: ON DELETE
// CASCADE), and one made by a local account also with that account.

#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct PepSubscription {
    std::string node;
    std::string jid;         ///< the subscribed JID, bare or full, as given
    std::string subscriber;  ///< its bare JID
};

/// Who subscribes: the bare JID the limit counts, and the local account it belongs to, if any
/// (empty host: a subscriber from elsewhere, kept until it unsubscribes or the node goes).
struct Subscriber {
    std::string bare;
    std::string account_host;
    std::string account_user;
};

/// How many subscriptions one write may leave (0: no limit).
struct SubscriptionLimits {
    std::int64_t per_node = 0;        ///< subscriptions of one node
    std::int64_t per_subscriber = 0;  ///< subscriptions one bare JID holds, over every node
};

class PepSubscriptionStore {
public:
    explicit PepSubscriptionStore(Database& db) : db_(db) {}

    /// Subscribes `jid` to the owner's node, which must exist. Subscribing again changes
    /// nothing and is not counted; a new subscription past either limit is not written and
    /// `refused` is true. Both limits are checked inside the write.
    void subscribe(const std::string& host, const std::string& user, const std::string& node,
                   const std::string& jid, const Subscriber& subscriber, SubscriptionLimits limits,
                   std::function<void(bool ok, bool refused)> done);
    /// Removes one subscription; `removed` is false when there was none.
    void unsubscribe(const std::string& host, const std::string& user, const std::string& node,
                     const std::string& jid, std::function<void(bool ok, bool removed)> done);
    /// The node's subscriptions, by JID.
    void of_node(const std::string& host, const std::string& user, const std::string& node,
                 std::function<void(bool ok, std::vector<PepSubscription>)> done);
    /// The subscriptions `subscriber` (a bare JID) holds on the owner's nodes, by node and JID;
    /// only those of `node` unless it is empty.
    void of_subscriber(const std::string& host, const std::string& user,
                       const std::string& subscriber, const std::string& node,
                       std::function<void(bool ok, std::vector<PepSubscription>)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
