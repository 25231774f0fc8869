// FileBlobStore: a blob is invisible until committed, whole after, read by range; an abandoned
// writer leaves nothing; keys that could name another path are refused; leftovers of a crash
// are cleared at start.
#include "storage/file_blob_store.hpp"

#include "driver_databases.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <fstream>

namespace starling::storage::test {

class FileBlobStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FileBlobStoreTest);
    CPPUNIT_TEST(test_write_commit_read_remove);
    CPPUNIT_TEST(test_abandoned_writer_and_bad_keys);
    CPPUNIT_TEST_SUITE_END();

    static std::string read(BlobStore& store, const std::string& key, std::uint64_t offset,
                            std::size_t max, std::uint64_t* size = nullptr) {
        std::string out = "<missing>";
        store.open(key, [&](std::string error, std::shared_ptr<BlobReader> reader) {
            CPPUNIT_ASSERT_EQUAL(std::string(), error);
            if (!reader) return;
            if (size) *size = reader->size();
            reader->read(offset, max, [&](std::string read_error, std::string_view bytes) {
                CPPUNIT_ASSERT_EQUAL(std::string(), read_error);
                out = std::string(bytes);
            });
        });
        return out;
    }

    static void expect_ok(const std::function<void(BlobDone)>& call) {
        std::string seen = "<not called>";
        call([&](std::string error) { seen = std::move(error); });
        CPPUNIT_ASSERT_EQUAL(std::string(), seen);
    }

public:
    void test_write_commit_read_remove() {
        TempDir dir;
        FileBlobStore store(dir.path() / "blobs");
        std::string error;
        auto writer = store.create("abc123", error);
        CPPUNIT_ASSERT(writer);
        expect_ok([&](BlobDone done) { writer->write("hello ", done); });
        expect_ok([&](BlobDone done) { writer->write("world", done); });
        CPPUNIT_ASSERT_EQUAL(std::string("<missing>"), read(store, "abc123", 0, 100));
        expect_ok([&](BlobDone done) { writer->commit(done); });
        writer.reset();
        std::uint64_t size = 0;
        CPPUNIT_ASSERT_EQUAL(std::string("hello world"), read(store, "abc123", 0, 100, &size));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{11}, size);
        CPPUNIT_ASSERT_EQUAL(std::string("wor"), read(store, "abc123", 6, 3));
        expect_ok([&](BlobDone done) { store.remove("abc123", done); });
        CPPUNIT_ASSERT_EQUAL(std::string("<missing>"), read(store, "abc123", 0, 100));
        expect_ok([&](BlobDone done) { store.remove("abc123", done); });  // already gone: fine
    }

    void test_abandoned_writer_and_bad_keys() {
        TempDir dir;
        const auto blobs = dir.path() / "blobs";
        {
            FileBlobStore store(blobs);
            std::string error;
            auto writer = store.create("half", error);
            expect_ok([&](BlobDone done) { writer->write("partial", done); });
            writer.reset();
            CPPUNIT_ASSERT(std::filesystem::is_empty(blobs));
            for (const char* key : {"../etc", "a/b", "", "UPPER", "x.part"}) {
                CPPUNIT_ASSERT(!store.create(key, error));
                CPPUNIT_ASSERT_EQUAL(std::string("invalid blob key"), error);
            }
        }
        std::ofstream(blobs / "crashed.0011.part") << "left by a crash";
        std::ofstream(blobs / "kept") << "a whole blob";
        FileBlobStore reopened(blobs);
        CPPUNIT_ASSERT(!std::filesystem::exists(blobs / "crashed.0011.part"));
        CPPUNIT_ASSERT_EQUAL(std::string("a whole blob"), read(reopened, "kept", 0, 100));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FileBlobStoreTest);

}  // namespace starling::storage::test
