#pragma once
// Where uploaded files' bytes live (HTTP File Upload): a key-value store of immutable blobs,
// written a chunk at a time and read by range, so that neither side holds a whole file. Every
// operation answers through a callback, so that a store that waits on the network (an
// S3-compatible bucket) fits the same interface as the local filesystem (FileBlobStore), which
// answers at once. A callback may run on any thread, possibly before the call returns.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace starling::storage {

/// An error's description; empty for success.
using BlobDone = std::function<void(std::string error)>;

/// One blob being written. It becomes visible under its key only at commit, whole, replacing
/// whatever was there; a writer dropped before that leaves nothing behind.
class BlobWriter {
public:
    virtual ~BlobWriter() = default;
    virtual void write(std::string_view bytes, BlobDone done) = 0;
    virtual void commit(BlobDone done) = 0;
};

/// One blob being read; what it read stays as it was even if the key is removed meanwhile.
class BlobReader {
public:
    virtual ~BlobReader() = default;
    virtual std::uint64_t size() const = 0;
    /// Reads up to `max` bytes at `offset` and passes them to `done`, valid until the next read.
    virtual void read(std::uint64_t offset, std::size_t max,
                      std::function<void(std::string error, std::string_view bytes)> done) = 0;
};

class BlobStore {
public:
    virtual ~BlobStore() = default;
    /// A writer for `key`, or null with `error` set.
    virtual std::unique_ptr<BlobWriter> create(const std::string& key, std::string& error) = 0;
    /// The blob under `key`: a null reader and no error when there is none.
    virtual void open(const std::string& key,
                      std::function<void(std::string error, std::shared_ptr<BlobReader>)> done) = 0;
    /// Removes `key`; removing a key that is not there succeeds.
    virtual void remove(const std::string& key, BlobDone done) = 0;
};

}  // namespace starling::storage
