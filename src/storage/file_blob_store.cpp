#include "storage/file_blob_store.hpp"

#include "stream/scram_crypto.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace starling::storage {

namespace fs = std::filesystem;

namespace {

std::string errno_text(const std::string& what, const fs::path& path) {
    return what + " " + path.string() + ": " + std::strerror(errno);
}

class FileWriter : public BlobWriter {
public:
    FileWriter(int fd, fs::path part, fs::path target)
        : fd_(fd), part_(std::move(part)), target_(std::move(target)) {}

    ~FileWriter() override {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(part_.c_str());
    }

    void write(std::string_view bytes, BlobDone done) override {
        while (!bytes.empty()) {
            const auto n = ::write(fd_, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return done(errno_text("cannot write", part_));
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        done({});
    }

    void commit(BlobDone done) override {
        // The bytes are in the page cache once written: a killed server loses none of them.
        // They are not forced to the disk, which would cost each upload a disk flush.
        const int fd = std::exchange(fd_, -1);
        if (::close(fd) != 0) return done(errno_text("cannot close", part_));
        if (::rename(part_.c_str(), target_.c_str()) != 0)
            return done(errno_text("cannot rename", part_));
        committed_ = true;
        done({});
    }

private:
    int fd_;
    fs::path part_, target_;
    bool committed_ = false;
};

class FileReader : public BlobReader {
public:
    FileReader(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
    ~FileReader() override { ::close(fd_); }

    std::uint64_t size() const override { return size_; }

    void read(std::uint64_t offset, std::size_t max,
              std::function<void(std::string error, std::string_view bytes)> done) override {
        buffer_.resize(max);
        ssize_t n;
        do {
            n = ::pread(fd_, buffer_.data(), max, static_cast<off_t>(offset));
        } while (n < 0 && errno == EINTR);
        if (n < 0) return done(std::string("cannot read: ") + std::strerror(errno), {});
        done({}, std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
    }

private:
    int fd_;
    std::uint64_t size_;
    std::string buffer_;
};

}  // namespace

FileBlobStore::FileBlobStore(fs::path directory) : directory_(std::move(directory)) {
    std::error_code ec;
    fs::create_directories(directory_, ec);
    if (ec)
        throw std::runtime_error("cannot create the upload directory " + directory_.string() +
                                 ": " + ec.message());
    fs::permissions(directory_, fs::perms::owner_all, ec);
    if (::access(directory_.c_str(), W_OK | X_OK) != 0)
        throw std::runtime_error(errno_text("cannot write to the upload directory", directory_) +
                                 " (check its owner and mode)");
    // Uploads a crash cut short: nobody will commit them.
    for (const auto& entry : fs::directory_iterator(directory_, ec))
        if (entry.path().extension() == ".part") fs::remove(entry.path(), ec);
}

bool FileBlobStore::valid_key(std::string_view key) {
    if (key.empty() || key.size() > 128) return false;
    for (const char c : key)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '-'))
            return false;
    return true;
}

std::unique_ptr<BlobWriter> FileBlobStore::create(const std::string& key, std::string& error) {
    if (!valid_key(key)) {
        error = "invalid blob key";
        return nullptr;
    }
    // Each writer its own part file: two uploads of one key never write into each other.
    const auto part = directory_ / (key + "." + sasl::to_hex(sasl::random_bytes(8)) + ".part");
    const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = errno_text("cannot create", part);
        return nullptr;
    }
    return std::make_unique<FileWriter>(fd, part, directory_ / key);
}

void FileBlobStore::open(const std::string& key,
                         std::function<void(std::string error, std::shared_ptr<BlobReader>)> done) {
    if (!valid_key(key)) return done({}, nullptr);
    const auto path = directory_ / key;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return done({}, nullptr);
        return done(errno_text("cannot open", path), nullptr);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        auto error = errno_text("cannot stat", path);
        ::close(fd);
        return done(std::move(error), nullptr);
    }
    done({}, std::make_shared<FileReader>(fd, static_cast<std::uint64_t>(st.st_size)));
}

void FileBlobStore::remove(const std::string& key, BlobDone done) {
    if (!valid_key(key)) return done("invalid blob key");
    const auto path = directory_ / key;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return done(errno_text("cannot remove", path));
    done({});
}

}  // namespace starling::storage
