#include "storage/archive_ids.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace starling::storage {

namespace {

constexpr std::size_t block = 16;
constexpr std::size_t id_size = 22;  // base64 of 16 bytes without its "==" padding

// The last row numbered in this process: shared by every host's archive and by the module
// instances of a reload, so no two messages ever get the same row.
std::atomic<std::int64_t> last_row{0};

void raise_floor(std::int64_t floor) {
    std::int64_t last = last_row.load();
    while (last < floor && !last_row.compare_exchange_weak(last, floor)) {
    }
}

EVP_CIPHER_CTX* keyed(const std::string& key, bool encrypt) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    const auto* bytes = reinterpret_cast<const unsigned char*>(key.data());
    if (!ctx || EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), nullptr, bytes, nullptr, encrypt) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        throw std::runtime_error("archive ids: the AES-128 cipher could not be set up");
    }
    return ctx;
}

// One block through the context: ECB keeps no state between blocks, so the context is reused.
bool crypt(EVP_CIPHER_CTX* ctx, const unsigned char* in, unsigned char* out) {
    int written = 0;
    return EVP_CipherUpdate(ctx, out, &written, in, block) == 1 && written == block;
}

}  // namespace

ArchiveIds::ArchiveIds(const std::string& key) {
    if (key.size() != key_size)
        throw std::invalid_argument("archive ids: the key must be 16 bytes");
    encrypt_ = keyed(key, true);
    try {
        decrypt_ = keyed(key, false);
    } catch (...) {
        EVP_CIPHER_CTX_free(encrypt_);
        throw;
    }
}

ArchiveIds::~ArchiveIds() {
    EVP_CIPHER_CTX_free(encrypt_);
    EVP_CIPHER_CTX_free(decrypt_);
}

std::string ArchiveIds::encode(std::int64_t row) const {
    unsigned char plain[block] = {};
    for (int i = 0; i < 8; ++i) plain[i] = static_cast<unsigned char>(row >> (56 - 8 * i));
    unsigned char sealed[block];
    {
        std::lock_guard lock(mutex_);
        if (!crypt(encrypt_, plain, sealed)) throw std::runtime_error("archive ids: AES failed");
    }
    char text[25];
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text), sealed, block);
    std::string id(text, id_size);
    std::replace(id.begin(), id.end(), '+', '-');
    std::replace(id.begin(), id.end(), '/', '_');
    return id;
}

std::optional<std::int64_t> ArchiveIds::decode(std::string_view id) const {
    if (id.size() != id_size) return std::nullopt;
    std::string text(id);
    for (char& c : text) {
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (c == '+' || c == '/' || c == '=')
            return std::nullopt;
    }
    text += "==";
    unsigned char sealed[18];  // EVP_DecodeBlock writes 3 bytes per 4 characters, padding too
    if (EVP_DecodeBlock(sealed, reinterpret_cast<const unsigned char*>(text.data()),
                        static_cast<int>(text.size())) != 18)
        return std::nullopt;
    unsigned char plain[block];
    {
        std::lock_guard lock(mutex_);
        if (!crypt(decrypt_, sealed, plain)) return std::nullopt;
    }
    for (std::size_t i = 8; i < block; ++i)
        if (plain[i] != 0) return std::nullopt;
    std::uint64_t row = 0;
    for (int i = 0; i < 8; ++i) row = row << 8 | plain[i];
    return static_cast<std::int64_t>(row);
}

std::shared_ptr<const ArchiveIds> ArchiveIds::load(Database& db) {
    unsigned char fresh[key_size];
    if (RAND_bytes(fresh, sizeof fresh) != 1)
        throw StorageError("archive ids: no random bytes for a new key");
    const Result result = db.transaction_sync(
        {{"INSERT INTO server_keys (name, key) VALUES ('archive_id', $1) ON CONFLICT DO NOTHING",
          {Blob{std::string(reinterpret_cast<const char*>(fresh), sizeof fresh)}}},
         // Rows number users' and rooms' archives alike (one sequence, ArchiveTables).
         {"SELECT key, (SELECT max(m) FROM (SELECT max(id) AS m FROM archive_messages UNION ALL "
          "SELECT max(id) FROM muc_archive_messages) AS both_archives) FROM server_keys "
          "WHERE name = 'archive_id'",
          {}}});
    if (!result.ok) throw StorageError("archive ids: the key could not be read: " + result.error);
    if (result.rows.size() != 1 || !result.rows[0].at(0) || result.rows[0][0]->size() != key_size)
        throw StorageError("archive ids: server_keys holds no 16-byte key named archive_id");
    raise_floor(std::stoll(result.rows[0].at(1).value_or("0")));
    return std::make_shared<const ArchiveIds>(*result.rows[0][0]);
}

std::int64_t ArchiveIds::next_row() {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    std::int64_t last = last_row.load();
    std::int64_t next;
    do {
        next = std::max(last + 1, now);
    } while (!last_row.compare_exchange_weak(last, next));
    return next;
}

}  // namespace starling::storage
