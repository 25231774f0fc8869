#pragma once
// PEP nodes and items (XEP-0163 on XEP-0060) per (host, user, node). A node's configuration is
// opaque text that the pep module writes and reads; an item is its payload as serialized XML.
// Items come back oldest first, the order they were (last) published in.

#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct PubsubNode {
    std::string node;
    std::string config;
};

struct PubsubItem {
    std::string item_id;
    std::string payload;    // the item's child element as XML text, "" for an empty item
    std::string publisher;  // the full JID that published it
    std::int64_t published_at = 0;
    /// What the item costs its owner's storage quota, in bytes: its payload as published (an
    /// OMEMO bundle's one-time prekeys included, which are stored apart); 0 counts the payload.
    /// Written, not read back.
    std::int64_t bytes = 0;
};

/// What one publish must keep to, inside its own transaction.
struct PublishLimits {
    std::int64_t max_items = 0;       ///< the node keeps only its newest max_items (0: no limit)
    std::int64_t max_user_bytes = 0;  ///< the owner's items total at most this (0: no limit)
};

class PubsubStore {
public:
    explicit PubsubStore(Database& db) : db_(db) {}

    /// The node's configuration; nullopt when the user has no such node.
    void node(const std::string& host, const std::string& user, const std::string& node,
              std::function<void(bool ok, std::optional<std::string> config)> done);
    /// Every node of the user, sorted by name.
    void nodes(const std::string& host, const std::string& user,
               std::function<void(bool ok, std::vector<PubsubNode>)> done);
    /// Creates the node; `created` is false when it already existed (it is left unchanged). With
    /// `max_nodes` above 0 the user's node count is checked inside the write: a node that would
    /// be the user's number max_nodes + 1 is not created, and `refused` is true.
    void create(const std::string& host, const std::string& user, const std::string& node,
                const std::string& config, std::int64_t max_nodes,
                std::function<void(bool ok, bool created, bool refused)> done);
    /// Replaces an existing node's configuration and trims it to `max_items` (0: no limit).
    void configure(const std::string& host, const std::string& user, const std::string& node,
                   const std::string& config, std::int64_t max_items,
                   std::function<void(bool ok)> done);
    /// Stores the item, creating the node with `config_if_new` when it does not exist yet, and
    /// keeps only the node's newest `limits.max_items` items; one transaction, which runs
    /// `with` first (another store's statements that stand or fall with the item: a bundle's
    /// prekeys). An item with an id the node already holds replaces it and becomes the newest.
    /// When the user's items would then total more than `limits.max_user_bytes`, nothing is
    /// written and `refused` is true.
    void publish(const std::string& host, const std::string& user, const std::string& node,
                 const std::string& config_if_new, const PubsubItem& item, PublishLimits limits,
                 std::vector<Statement> with, std::function<void(bool ok, bool refused)> done);
    /// The newest `max_items` items (0: all), oldest first.
    void items(const std::string& host, const std::string& user, const std::string& node,
               std::int64_t max_items, std::function<void(bool ok, std::vector<PubsubItem>)> done);
    /// The items with these ids that exist, oldest first.
    void items_by_id(const std::string& host, const std::string& user, const std::string& node,
                     const std::vector<std::string>& ids,
                     std::function<void(bool ok, std::vector<PubsubItem>)> done);
    /// Deletes one item; `removed` is false when there was none with that id.
    void retract(const std::string& host, const std::string& user, const std::string& node,
                 const std::string& item_id, std::function<void(bool ok, bool removed)> done);
    /// Deletes every item of the node.
    void purge(const std::string& host, const std::string& user, const std::string& node,
               std::function<void(bool ok)> done);
    /// Deletes the node with its items and whitelist; `removed` is false when it did not exist.
    void remove(const std::string& host, const std::string& user, const std::string& node,
                std::function<void(bool ok, bool removed)> done);

    /// The bare JIDs on the node's whitelist, sorted.
    void whitelist(const std::string& host, const std::string& user, const std::string& node,
                   std::function<void(bool ok, std::vector<std::string>)> done);
    /// Adds (member) or removes (anything else) JIDs on the whitelist, in one transaction.
    void set_whitelist(const std::string& host, const std::string& user, const std::string& node,
                       const std::vector<std::pair<std::string, bool>>& changes,
                       std::function<void(bool ok)> done);
    /// The user's nodes whose whitelist holds `jid`, sorted.
    void whitelisted_nodes(const std::string& host, const std::string& user, const std::string& jid,
                           std::function<void(bool ok, std::vector<std::string>)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
