#pragma once
// HTTP File Upload's slots and files (XEP-0363, modules/http_upload): who was given which slot,
// what its file must be, and whether the file has arrived. The bytes are in a BlobStore under
// the slot's name; this is everything else about them.

#include "storage/database.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct UploadSlot {
    std::string slot;     // the random name in the URLs, and the blob's key
    std::string service;  // the upload service's domain
    std::string host, username;  // the owner
    std::string filename, content_type;
    std::int64_t size = 0;
    std::string token_hash;     // SHA-256 of the PUT's token, hex
    std::int64_t created_at = 0;  // seconds since the Unix epoch, as put_before and stored_at
    std::int64_t put_before = 0;
    std::optional<std::int64_t> stored_at;
    bool owner_exists = true;  // read only: false once the account is deleted
};

struct UploadUsage {
    std::string owner;  // bare JID
    std::int64_t files = 0, bytes = 0;
};

class UploadStore {
public:
    explicit UploadStore(Database& db) : db_(db) {}

    /// Adds `slot`, unless its owner's live files and open slots (created at or after
    /// `live_since`; a slot counts until put_before) plus this one would pass `quota` bytes:
    /// then the result is refused() (storage/quota_guard.hpp).
    void create(const UploadSlot& slot, std::int64_t quota, std::int64_t now,
                std::int64_t live_since, Callback done);
    /// The slot of `service` named `slot`, nullopt when there is none.
    void find(const std::string& service, const std::string& slot,
              std::function<void(bool ok, std::optional<UploadSlot>)> done);
    /// Records that the slot's file is whole in the blob store (again: the first time stays).
    void mark_stored(const std::string& service, const std::string& slot, std::int64_t at,
                     Callback done);
    /// Up to `limit` slots that should go: created before `expired_before`, never filled and
    /// past put_before before `abandoned_before`, or owned by an account that no longer exists.
    void sweepable(const std::string& service, std::int64_t expired_before,
                   std::int64_t abandoned_before, std::int64_t limit,
                   std::function<void(bool ok, std::vector<std::string>)> done);
    /// The slots of one owner (to purge them).
    void slots_of(const std::string& service, const std::string& host, const std::string& username,
                  std::function<void(bool ok, std::vector<std::string>)> done);
    void remove(const std::string& service, const std::vector<std::string>& slots, Callback done);
    /// Stored files and their bytes per owner, owners sorted; one owner's when `host` and
    /// `username` are given.
    void usage(const std::string& service, const std::string& host, const std::string& username,
               std::function<void(bool ok, std::vector<UploadUsage>)> done);

private:
    Database& db_;
};

}  // namespace starling::storage
