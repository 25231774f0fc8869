#pragma once
// The one-time prekeys of OMEMO bundles, per (host, user, node, item), kept apart from the
// published bundle so that each key can be claimed exactly once (docs/prekeys.md). A claimed key
// stays in the table, marked claimed, and is never listed or claimed again, even when the owner
// republishes a bundle that still carries it.

#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct Prekey {
    std::string id;    // the preKeyId / pk id attribute, as published
    std::string data;  // the key's base64 text, as published
    friend bool operator==(const Prekey&, const Prekey&) = default;
};

class PrekeyStore {
public:
    explicit PrekeyStore(Database& db) : db_(db) {}

    /// The bundle was (re)published with `keys`: unclaimed keys it no longer lists go, new ones
    /// are added unclaimed, claimed ones stay claimed, and the low-water mark is cleared; one
    /// transaction.
    void replace(const std::string& host, const std::string& user, const std::string& node,
                 const std::string& item, const std::vector<Prekey>& keys,
                 std::function<void(bool ok)> done);
    /// The statements of replace(), for a transaction of another store that must commit the
    /// keys with its own write (PubsubStore::publish with the bundle item) or not at all.
    static std::vector<Statement> replace_statements(const std::string& host,
                                                     const std::string& user,
                                                     const std::string& node,
                                                     const std::string& item,
                                                     const std::vector<Prekey>& keys);
    /// The unclaimed keys of every item of the node, by item id, each list in numeric order of the
    /// key ids.
    void unclaimed(const std::string& host, const std::string& user, const std::string& node,
                   std::function<void(bool ok, std::map<std::string, std::vector<Prekey>>)> done);
    /// Atomically marks one unclaimed key of the bundle claimed and returns it (nullopt when none
    /// is left), with the number of unclaimed keys left after it. A key is returned by at most
    /// one claim, whatever number of sessions or servers claim at once. With `keep` > 0 the claim
    /// takes a key only while more than `keep` are unclaimed: the last `keep` are left to other
    /// claims (the owner's contacts).
    void claim(const std::string& host, const std::string& user, const std::string& node,
               const std::string& item, std::int64_t keep,
               std::function<void(bool ok, std::optional<Prekey>, std::int64_t remaining)> done);
    /// Records that the owner was told the bundle runs low; `first` is true only for the first
    /// call since the bundle was last published.
    void mark_low(const std::string& host, const std::string& user, const std::string& node,
                  const std::string& item, std::function<void(bool ok, bool first)> done);
    /// Forgets the keys of one item ("" for every item of the node): the item or node is gone.
    void remove(const std::string& host, const std::string& user, const std::string& node,
                const std::string& item, std::function<void(bool ok)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
