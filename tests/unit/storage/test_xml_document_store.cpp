// XmlDocumentStore on both drivers: one body of tests, each driver's suite only opens the database.
#include <tuple>

#include "storage/xml_document_store.hpp"
#include "test_databases.hpp"

namespace starling::storage::test {

namespace {
using Document = std::tuple<bool, std::optional<std::string>>;
}  // namespace

class XmlDocumentStoreContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(XmlDocumentStoreContract);
    CPPUNIT_TEST(test_missing_document_is_nullopt);
    CPPUNIT_TEST(test_put_replaces_and_keys_are_apart);
    CPPUNIT_TEST(test_remove_and_account_removal);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_fresh();
        add_account(*db_, "example.org", "juliet");
        add_account(*db_, "example.org", "romeo");
        store_ = std::make_unique<XmlDocumentStore>(*db_);
    }
    void tearDown() override {
        store_.reset();
        db_.reset();
    }

protected:
    virtual std::unique_ptr<Database> open_fresh() = 0;
    TempDir dir_;

private:
    void put(const std::string& user, const std::string& kind, const std::string& key,
             const std::string& xml) {
        const auto [result] = await_result<std::tuple<Result>>(
            [&](auto done) { store_->put("example.org", user, kind, key, xml, done); });
        CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    }
    std::optional<std::string> get(const std::string& user, const std::string& kind,
                                   const std::string& key) {
        auto [ok, xml] = await_result<Document>(
            [&](auto done) { store_->get("example.org", user, kind, key, done); });
        CPPUNIT_ASSERT(ok);
        return xml;
    }

    void test_missing_document_is_nullopt() {
        CPPUNIT_ASSERT(!get("juliet", "vcard", "").has_value());
    }

    void test_put_replaces_and_keys_are_apart() {
        put("juliet", "vcard", "", "<vCard xmlns='vcard-temp'><FN>J</FN></vCard>");
        put("juliet", "vcard", "", "<vCard xmlns='vcard-temp'><FN>Juliet</FN></vCard>");
        put("juliet", "private", "exodus:prefs", "<exodus xmlns='exodus:prefs'/>");
        put("romeo", "private", "exodus:prefs", "<exodus xmlns='exodus:prefs'>r</exodus>");
        CPPUNIT_ASSERT_EQUAL(std::string("<vCard xmlns='vcard-temp'><FN>Juliet</FN></vCard>"),
                             get("juliet", "vcard", "").value());
        CPPUNIT_ASSERT_EQUAL(std::string("<exodus xmlns='exodus:prefs'/>"),
                             get("juliet", "private", "exodus:prefs").value());
        CPPUNIT_ASSERT_EQUAL(std::string("<exodus xmlns='exodus:prefs'>r</exodus>"),
                             get("romeo", "private", "exodus:prefs").value());
        CPPUNIT_ASSERT(!get("romeo", "vcard", "").has_value());
        CPPUNIT_ASSERT(!get("juliet", "private", "storage:bookmarks").has_value());
    }

    void test_remove_and_account_removal() {
        put("juliet", "vcard", "", "<vCard xmlns='vcard-temp'/>");
        put("romeo", "vcard", "", "<vCard xmlns='vcard-temp'/>");
        const auto [removed] = await_result<std::tuple<Result>>(
            [&](auto done) { store_->remove("example.org", "juliet", "vcard", "", done); });
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, removed.affected);
        CPPUNIT_ASSERT(!get("juliet", "vcard", "").has_value());
        const Result gone = db_->execute_sync(
            {"DELETE FROM accounts WHERE host = $1 AND username = $2",
             {std::string("example.org"), std::string("romeo")}});
        CPPUNIT_ASSERT_MESSAGE(gone.error, gone.ok);
        CPPUNIT_ASSERT(!get("romeo", "vcard", "").has_value());
    }

    std::unique_ptr<Database> db_;
    std::unique_ptr<XmlDocumentStore> store_;
};

class SqliteXmlDocumentStoreTest : public XmlDocumentStoreContract {
    CPPUNIT_TEST_SUB_SUITE(SqliteXmlDocumentStoreTest, XmlDocumentStoreContract);
    CPPUNIT_TEST_SUITE_END();

protected:
    std::unique_ptr<Database> open_fresh() override { return fresh_sqlite(dir_); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SqliteXmlDocumentStoreTest);

class PostgresXmlDocumentStoreTest : public XmlDocumentStoreContract {
    CPPUNIT_TEST_SUB_SUITE(PostgresXmlDocumentStoreTest, XmlDocumentStoreContract);
    CPPUNIT_TEST_SUITE_END();

protected:
    std::unique_ptr<Database> open_fresh() override {
        return fresh_postgres("starling_unit_documents");
    }
};

namespace {
const bool registered = [] {
    if (pg_conninfo().empty()) return false;  // test_postgres_storage.cpp says it is skipped
    static CppUnit::AutoRegisterSuite<PostgresXmlDocumentStoreTest> registration;
    return true;
}();
}  // namespace

}  // namespace starling::storage::test
