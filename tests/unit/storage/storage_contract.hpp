#pragma once
// One test body for every driver: each driver's suite derives from this and only says how to open
// an empty database, so SQLite and PostgreSQL are held to exactly the same behaviour.

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>

#include "storage/database.hpp"
#include "temp_dir.hpp"

namespace starling::storage::test {

class StorageContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StorageContract);
    CPPUNIT_TEST(test_migrate_from_empty_applies_every_file);
    CPPUNIT_TEST(test_migrate_again_applies_nothing);
    CPPUNIT_TEST(test_malformed_migration_name_is_named);
    CPPUNIT_TEST(test_failing_migration_is_named_and_rolled_back);
    CPPUNIT_TEST(test_values_round_trip);
    CPPUNIT_TEST(test_sql_error_is_reported_and_database_keeps_working);
    CPPUNIT_TEST(test_failed_transaction_rolls_back);
    CPPUNIT_TEST(test_transaction_result_is_the_last_statement);
    CPPUNIT_TEST(test_callbacks_run_on_the_database_thread);
    CPPUNIT_TEST(test_jobs_queued_together_keep_their_own_outcomes);
    CPPUNIT_TEST(test_account_lifecycle);
    CPPUNIT_TEST(test_create_twice_is_exists);
    CPPUNIT_TEST(test_missing_account_is_not_found);
    CPPUNIT_TEST(test_duplicate_hash_is_refused);
    CPPUNIT_TEST(test_secret_bytes_round_trip);
    CPPUNIT_TEST(test_quotes_are_bound_not_injected);
    CPPUNIT_TEST(test_hosts_are_kept_apart);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override;
    void tearDown() override;

protected:
    /// A database holding none of Starling's tables, so every test starts from scratch.
    virtual std::unique_ptr<Database> open_empty() = 0;
    /// The type a driver calls a binary column.
    virtual std::string blob_type() const = 0;

    void migrate_schemas();

    std::unique_ptr<Database> db_;
    TempDir dir_;

private:
    void test_migrate_from_empty_applies_every_file();
    void test_migrate_again_applies_nothing();
    void test_malformed_migration_name_is_named();
    void test_failing_migration_is_named_and_rolled_back();
    void test_values_round_trip();
    void test_sql_error_is_reported_and_database_keeps_working();
    void test_failed_transaction_rolls_back();
    void test_transaction_result_is_the_last_statement();
    void test_callbacks_run_on_the_database_thread();
    void test_jobs_queued_together_keep_their_own_outcomes();
    void test_account_lifecycle();
    void test_create_twice_is_exists();
    void test_missing_account_is_not_found();
    void test_duplicate_hash_is_refused();
    void test_secret_bytes_round_trip();
    void test_quotes_are_bound_not_injected();
    void test_hosts_are_kept_apart();
};

}  // namespace starling::storage::test
