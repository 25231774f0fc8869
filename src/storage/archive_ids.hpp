#pragma once
// Archive ids (the XEP-0359 stanza-id, XEP-0313 result ids, XEP-0059 paging ids) that need no
// index of their own. An id is the message's row number in the archive, encrypted under a key
// this server keeps in its database: AES-128 of one block (the row, then 64 zero bits), in
// base64url, 22 characters. A client can neither predict it nor learn anything from it, not
// even the archive's size (XEP-0359 §5 and §6), and the store decrypts it back to the row and
// finds the message by primary key. An id that was made up or mistyped fails the zero bits
// (all but 1 in 2^64 do) and is unknown.
//
// Rows are numbered here, not by the database, because the id goes into the stanza before the
// row is written: the microseconds since the epoch, or one more than the last number when that
// is larger, so they only grow, across restarts too (they start above the archive's largest).
// Today's numbers fit in 51 bits; the bits above 2^52 are free for a node number when a cluster
// shares one archive.

#include "storage/database.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace starling::storage {

class ArchiveIds {
public:
    static constexpr std::size_t key_size = 16;

    /// `key` is key_size bytes; throws std::invalid_argument otherwise.
    explicit ArchiveIds(const std::string& key);
    ~ArchiveIds();
    ArchiveIds(const ArchiveIds&) = delete;
    ArchiveIds& operator=(const ArchiveIds&) = delete;

    std::string encode(std::int64_t row) const;
    /// The row, or nullopt for an id this server did not make.
    std::optional<std::int64_t> decode(std::string_view id) const;

    /// The server's key, made on first use and kept in the database (so ids stay valid across
    /// restarts), and the archive's largest row, which next_row() then stays above. Blocks:
    /// for start-up and module loading only; throws StorageError when the database fails.
    static std::shared_ptr<const ArchiveIds> load(Database& db);
    /// A fresh row number, larger than every one before it in this process. Any thread.
    static std::int64_t next_row();

private:
    mutable std::mutex mutex_;  // a cipher context is not for two threads at once
    EVP_CIPHER_CTX* encrypt_;
    EVP_CIPHER_CTX* decrypt_;
};

}  // namespace starling::storage
