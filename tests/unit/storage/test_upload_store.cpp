// UploadStore against both drivers: a slot created and found with its owner, the quota judged
// in the insert's transaction (open slots count until they lapse, stored files until they
// expire), marking stored keeps the first time, usage per owner, and the sweep finding expired,
// abandoned and orphaned (account deleted) slots.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/account_store.hpp"
#include "storage/quota_guard.hpp"
#include "storage/upload_store.hpp"

namespace starling::storage::test {

class UploadStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UploadStoreContract);
    CPPUNIT_TEST(test_create_find_and_store);
    CPPUNIT_TEST(test_quota_counts_open_slots_and_stored_files);
    CPPUNIT_TEST(test_sweep_and_usage);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_upload");
        store_ = std::make_unique<UploadStore>(*db_);
        AccountStore accounts(*db_);
        for (const char* user : {"alice", "bob"})
            ok(await_values<Result>([&](auto done) { accounts.create(host, user, {}, done); }));
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    static constexpr const char* host = "example.test";
    static constexpr const char* service = "upload.example.test";

    void ok(const Result& result) { CPPUNIT_ASSERT_MESSAGE(result.error, result.ok); }

    static UploadSlot slot(const std::string& name, const std::string& user, std::int64_t size,
                           std::int64_t created) {
        UploadSlot s;
        s.slot = name;
        s.service = service;
        s.host = host;
        s.username = user;
        s.filename = name + ".jpg";
        s.content_type = "image/jpeg";
        s.size = size;
        s.token_hash = "hash-of-" + name;
        s.created_at = created;
        s.put_before = created + 300;
        return s;
    }

    Result create(const UploadSlot& s, std::int64_t quota, std::int64_t now) {
        return await_values<Result>([&](auto done) {
            store_->create(s, quota, now, now - 30 * 86400, done);
        });
    }

    std::optional<UploadSlot> find(const std::string& name) {
        auto [found_ok, found] = await_values<std::pair<bool, std::optional<UploadSlot>>>(
            [&](auto done) { store_->find(service, name, done); });
        CPPUNIT_ASSERT(found_ok);
        return found;
    }

    void test_create_find_and_store() {
        ok(create(slot("s1", "alice", 1000, 5000), 1 << 20, 5000));
        auto found = find("s1");
        CPPUNIT_ASSERT(found);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), found->username);
        CPPUNIT_ASSERT_EQUAL(std::string("s1.jpg"), found->filename);
        CPPUNIT_ASSERT_EQUAL(std::string("image/jpeg"), found->content_type);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1000}, found->size);
        CPPUNIT_ASSERT_EQUAL(std::string("hash-of-s1"), found->token_hash);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{5300}, found->put_before);
        CPPUNIT_ASSERT(!found->stored_at && found->owner_exists);
        ok(await_values<Result>([&](auto done) { store_->mark_stored(service, "s1", 5010, done); }));
        ok(await_values<Result>([&](auto done) { store_->mark_stored(service, "s1", 5020, done); }));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{5010}, *find("s1")->stored_at);
        CPPUNIT_ASSERT(!find("nope"));
        // The same slot name cannot be given twice.
        CPPUNIT_ASSERT(create(slot("s1", "bob", 1, 5000), 1 << 20, 5000).unique_violation);
    }

    void test_quota_counts_open_slots_and_stored_files() {
        ok(create(slot("a", "alice", 600, 1000), 1000, 1000));
        // 600 open + 500 > 1000: refused by the guard, and nothing inserted.
        auto refused_result = create(slot("b", "alice", 500, 1000), 1000, 1000);
        CPPUNIT_ASSERT(refused(refused_result));
        CPPUNIT_ASSERT(!find("b"));
        // Bob's files are his own.
        ok(create(slot("c", "bob", 900, 1000), 1000, 1000));
        // Once alice's open slot lapses unused it no longer counts...
        ok(create(slot("d", "alice", 500, 1400), 1000, 1400));
        // ...but a stored file does, until it expires.
        ok(await_values<Result>([&](auto done) { store_->mark_stored(service, "d", 1410, done); }));
        CPPUNIT_ASSERT(refused(create(slot("e", "alice", 600, 2000), 1000, 2000)));
        const std::int64_t later = 1400 + 30 * 86400 + 1;
        ok(create(slot("f", "alice", 600, later), 1000, later));
    }

    void test_sweep_and_usage() {
        const std::int64_t day = 86400;
        ok(create(slot("old", "alice", 10, 1000), 1 << 20, 1000));
        ok(create(slot("kept", "alice", 20, 40 * day), 1 << 20, 40 * day));
        ok(create(slot("open", "alice", 30, 40 * day), 1 << 20, 40 * day));
        ok(create(slot("bobs", "bob", 40, 40 * day), 1 << 20, 40 * day));
        for (const char* name : {"old", "kept", "bobs"})
            ok(await_values<Result>(
                [&](auto done) { store_->mark_stored(service, name, 40 * day, done); }));
        auto sweep = [&](std::int64_t now) {
            auto [swept_ok, slots] = await_values<std::pair<bool, std::vector<std::string>>>(
                [&](auto done) { store_->sweepable(service, now - 30 * day, now - 3600, 100, done); });
            CPPUNIT_ASSERT(swept_ok);
            return slots;
        };
        // "old" is past 30 days; "open" was never filled, but its PUT may still come.
        CPPUNIT_ASSERT((std::vector<std::string>{"old"}) == sweep(40 * day));
        // An hour past its put_before, the unfilled slot goes too.
        CPPUNIT_ASSERT((std::vector<std::string>{"old", "open"}) == sweep(40 * day + 4000));

        auto usage = await_values<std::pair<bool, std::vector<UploadUsage>>>(
            [&](auto done) { store_->usage(service, "", "", done); });
        CPPUNIT_ASSERT(usage.first && usage.second.size() == 2);
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.test"), usage.second[0].owner);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, usage.second[0].files);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{30}, usage.second[0].bytes);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{40}, usage.second[1].bytes);

        // Deleting bob's account makes his files sweepable at once.
        AccountStore accounts(*db_);
        ok(await_values<Result>([&](auto done) { accounts.remove(host, "bob", done); }));
        CPPUNIT_ASSERT(!find("bobs")->owner_exists);
        CPPUNIT_ASSERT((std::vector<std::string>{"old", "bobs"}) == sweep(40 * day));

        const auto [listed_ok, listed] = await_values<std::pair<bool, std::vector<std::string>>>(
            [&](auto done) { store_->slots_of(service, host, "alice", done); });
        CPPUNIT_ASSERT(listed_ok && listed.size() == 3);
        const std::vector<std::string> alices = listed;  // a lambda cannot capture a binding
        ok(await_values<Result>([&](auto done) { store_->remove(service, alices, done); }));
        CPPUNIT_ASSERT(!find("kept") && find("bobs"));
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<UploadStore> store_;
};

STARLING_DRIVER_SUITES(UploadStoreContract);

}  // namespace starling::storage::test
