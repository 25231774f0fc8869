// MucStore against both drivers: a room saved whole and loaded back with its affiliations,
// single affiliation changes, the subject, the list of a service's rooms, removal taking the
// room's archive with it, and the service secret made once.
#include <cppunit/extensions/HelperMacros.h>

#include "driver_suites.hpp"

#include "driver_databases.hpp"
#include "storage/muc_store.hpp"

namespace starling::storage::test {

class MucStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MucStoreContract);
    CPPUNIT_TEST(test_save_load_and_change);
    CPPUNIT_TEST(test_list_and_remove_with_archive);
    CPPUNIT_TEST(test_secret_is_made_once);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_muc");
        store_ = std::make_unique<MucStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::string driver() const = 0;

private:
    std::optional<StoredRoom> load(const std::string& room) {
        auto [ok, stored] = await_values<std::pair<bool, std::optional<StoredRoom>>>(
            [&](auto done) { store_->load("conference.example.test", room, done); });
        CPPUNIT_ASSERT(ok);
        return stored;
    }
    void ok(const Result& result) { CPPUNIT_ASSERT_MESSAGE(result.error, result.ok); }

    void test_save_load_and_change() {
        CPPUNIT_ASSERT(!load("tea"));
        StoredRoom room{"<x xmlns='jabber:x:data' type='submit'/>", "", "", {}};
        room.affiliations = {{"a@example.test", "owner"}, {"evil.test", "outcast"}};
        ok(await_values<Result>(
            [&](auto done) { store_->save("conference.example.test", "tea", room, done); }));
        auto loaded = load("tea");
        CPPUNIT_ASSERT(loaded);
        CPPUNIT_ASSERT_EQUAL(room.config, loaded->config);
        CPPUNIT_ASSERT(room.affiliations == loaded->affiliations);
        ok(await_values<Result>([&](auto done) {
            store_->set_affiliation("conference.example.test", "tea", "b@example.test", "member",
                                    done);
        }));
        ok(await_values<Result>([&](auto done) {
            store_->set_affiliation("conference.example.test", "tea", "evil.test", "", done);
        }));
        ok(await_values<Result>([&](auto done) {
            store_->set_subject("conference.example.test", "tea", "Agenda & more", "alice", done);
        }));
        loaded = load("tea");
        CPPUNIT_ASSERT((std::map<std::string, std::string>{{"a@example.test", "owner"},
                                                           {"b@example.test", "member"}}) ==
                       loaded->affiliations);
        CPPUNIT_ASSERT_EQUAL(std::string("Agenda & more"), loaded->subject);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), loaded->subject_by);
        // Saving whole replaces the affiliations.
        room.affiliations = {{"c@example.test", "owner"}};
        ok(await_values<Result>(
            [&](auto done) { store_->save("conference.example.test", "tea", room, done); }));
        CPPUNIT_ASSERT(room.affiliations == load("tea")->affiliations);
        // Another service's room of the same name is another room.
        auto [listed_ok, other] = await_values<std::pair<bool, std::optional<StoredRoom>>>(
            [&](auto done) { store_->load("chat.other.test", "tea", done); });
        CPPUNIT_ASSERT(listed_ok && !other);
    }

    void test_list_and_remove_with_archive() {
        for (const char* name : {"b-room", "a-room"})
            ok(await_values<Result>([&](auto done) {
                store_->save("conference.example.test", name, StoredRoom{"<x/>", "", "", {}}, done);
            }));
        ok(await_values<Result>([&](auto done) {
            db_->execute({"INSERT INTO muc_archive_messages (id, host, username, archive_id, "
                          "with_bare, with_resource, stanza, stored_at) VALUES (7, "
                          "'conference.example.test', 'a-room', '', '', '', '<message/>', 1)",
                          {}},
                         done);
        }));
        using Rooms = std::vector<std::pair<std::string, std::string>>;
        auto [ok_list, rooms] = await_values<std::pair<bool, Rooms>>(
            [&](auto done) { store_->list("conference.example.test", done); });
        CPPUNIT_ASSERT(ok_list);
        CPPUNIT_ASSERT((Rooms{{"a-room", "<x/>"}, {"b-room", "<x/>"}}) == rooms);
        ok(await_values<Result>(
            [&](auto done) { store_->remove("conference.example.test", "a-room", done); }));
        CPPUNIT_ASSERT(!load("a-room"));
        CPPUNIT_ASSERT(load("b-room"));
        const auto archived = db_->execute_sync(
            {"SELECT count(*) FROM muc_archive_messages WHERE username = 'a-room'", {}});
        CPPUNIT_ASSERT_EQUAL(std::string("0"), archived.rows.at(0).at(0).value_or(""));
    }

    void test_secret_is_made_once() {
        const auto first = store_->secret_sync("conference.example.test", "first-secret");
        const auto second = store_->secret_sync("conference.example.test", "second-secret");
        CPPUNIT_ASSERT_EQUAL(std::string("first-secret"), first);
        CPPUNIT_ASSERT_EQUAL(first, second);
        CPPUNIT_ASSERT_EQUAL(std::string("other"), store_->secret_sync("chat.other.test", "other"));
    }

    TempDir dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<MucStore> store_;
};

STARLING_DRIVER_SUITES(MucStoreContract);

}  // namespace starling::storage::test
