#pragma once
// The BlobStore on a local directory: a blob is the file <directory>/<key>, written as
// <key>.<random>.part beside it and renamed over it at commit, so a reader sees a whole file or
// none. Keys are the names the caller made (hex): anything else is refused rather than joined
// into a path. The calls do blocking file I/O on the calling thread: a local disk's page cache
// answers a 64 KiB write or read in microseconds, less than handing it to another thread costs.

#include "storage/blob_store.hpp"

#include <filesystem>

namespace starling::storage {

class FileBlobStore : public BlobStore {
public:
    /// Creates `directory` (mode 0700) when missing; throws std::runtime_error naming it when
    /// it cannot be made or written, and removes .part files a crash left behind.
    explicit FileBlobStore(std::filesystem::path directory);

    std::unique_ptr<BlobWriter> create(const std::string& key, std::string& error) override;
    void open(const std::string& key,
              std::function<void(std::string error, std::shared_ptr<BlobReader>)> done) override;
    void remove(const std::string& key, BlobDone done) override;

    /// True for the keys this store accepts: 1 to 128 of [0-9a-z_-].
    static bool valid_key(std::string_view key);

private:
    std::filesystem::path directory_;
};

}  // namespace starling::storage
