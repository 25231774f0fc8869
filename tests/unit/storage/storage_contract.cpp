#include "storage_contract.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <utility>

#include "storage/account_store.hpp"

namespace starling::storage::test {

namespace {

namespace fs = std::filesystem;
using sasl::Hash;
using sasl::ScramSecret;

const std::string schema_dir = std::string(STARLING_SRCDIR) + "/schemas";

// Turns a store's callback into a value the test can assert on.
template <typename T, typename Start>
T await(Start start) {
    std::promise<T> promise;
    auto future = promise.get_future();
    start([&promise](auto... values) { promise.set_value(T{std::move(values)...}); });
    return future.get();
}

ScramSecret make_secret(Hash hash, char seed) {
    ScramSecret secret;
    secret.hash = hash;
    secret.salt = std::string(16, seed);
    secret.iterations = 4096 + seed;
    secret.stored_key = std::string(32, static_cast<char>(seed + 1));
    secret.server_key = std::string(32, static_cast<char>(seed + 2));
    return secret;
}

void assert_same(const ScramSecret& expected, const std::optional<ScramSecret>& actual) {
    CPPUNIT_ASSERT(actual.has_value());
    CPPUNIT_ASSERT(expected.hash == actual->hash);
    CPPUNIT_ASSERT_EQUAL(expected.salt, actual->salt);
    CPPUNIT_ASSERT_EQUAL(expected.iterations, actual->iterations);
    CPPUNIT_ASSERT_EQUAL(expected.stored_key, actual->stored_key);
    CPPUNIT_ASSERT_EQUAL(expected.server_key, actual->server_key);
}

Result create(AccountStore& store, const std::string& host, const std::string& user,
              const std::vector<ScramSecret>& secrets) {
    return await<Result>([&](auto done) { store.create(host, user, secrets, done); });
}

Result set_secrets(AccountStore& store, const std::string& host, const std::string& user,
                   const std::vector<ScramSecret>& secrets) {
    return await<Result>([&](auto done) { store.set_secrets(host, user, secrets, done); });
}

Result remove(AccountStore& store, const std::string& host, const std::string& user) {
    return await<Result>([&](auto done) { store.remove(host, user, done); });
}

bool exists(AccountStore& store, const std::string& host, const std::string& user) {
    const auto [ok, found] =
        await<std::pair<bool, bool>>([&](auto done) { store.exists(host, user, done); });
    CPPUNIT_ASSERT(ok);
    return found;
}

std::optional<ScramSecret> secret(AccountStore& store, const std::string& host,
                                  const std::string& user, Hash hash) {
    auto [ok, found] = await<std::pair<bool, std::optional<ScramSecret>>>(
        [&](auto done) { store.secret(host, user, hash, done); });
    CPPUNIT_ASSERT(ok);
    return found;
}

std::vector<std::string> list(AccountStore& store, const std::string& host) {
    auto [ok, users] = await<std::pair<bool, std::vector<std::string>>>(
        [&](auto done) { store.list(host, done); });
    CPPUNIT_ASSERT(ok);
    return users;
}

std::string scalar(Database& db, Statement statement) {
    const Result result = db.execute_sync(std::move(statement));
    CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, result.rows.size());
    CPPUNIT_ASSERT(result.rows[0][0].has_value());
    return *result.rows[0][0];
}

void write_file(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::string all_bytes() {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    return bytes;
}

std::string migrate_error(Database& db, const fs::path& dir) {
    try {
        migrate(db, dir.string());
    } catch (const StorageError& e) {
        return e.what();
    }
    CPPUNIT_FAIL("migrate() did not throw");
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

void StorageContract::setUp() {
    db_ = open_empty();
}

void StorageContract::tearDown() {
    db_.reset();
}

void StorageContract::migrate_schemas() {
    migrate(*db_, schema_dir);
}

void StorageContract::test_migrate_from_empty_applies_every_file() {
    const fs::path dir = fs::path(schema_dir) / db_->driver();
    // The numbers need not be contiguous (branches reserve theirs), so the version reached is
    // the highest file's number, not the count of files.
    int files = 0;
    int newest = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        ++files;
        newest = std::max(newest, std::stoi(entry.path().filename().string()));
    }
    CPPUNIT_ASSERT(files >= 1);
    CPPUNIT_ASSERT_EQUAL(files, migrate(*db_, schema_dir));
    CPPUNIT_ASSERT_EQUAL(std::to_string(newest),
                         scalar(*db_, {"SELECT max(version) FROM schema_version", {}}));
    CPPUNIT_ASSERT_EQUAL(std::string("1"),
                         scalar(*db_, {"SELECT count(*) FROM schema_version", {}}));
}

void StorageContract::test_migrate_again_applies_nothing() {
    CPPUNIT_ASSERT(migrate(*db_, schema_dir) >= 1);
    CPPUNIT_ASSERT_EQUAL(0, migrate(*db_, schema_dir));
}

void StorageContract::test_malformed_migration_name_is_named() {
    const fs::path dir = dir_.path() / "schemas";
    write_file(dir / db_->driver() / "001_first.sql",
               "CREATE TABLE schema_version (version integer);");
    write_file(dir / db_->driver() / "2-second.sql", "CREATE TABLE t (x integer);");
    const std::string error = migrate_error(*db_, dir);
    CPPUNIT_ASSERT_MESSAGE(error, contains(error, "2-second.sql"));
    CPPUNIT_ASSERT_MESSAGE(error, contains(error, "is not named NNN_name.sql"));
}

void StorageContract::test_failing_migration_is_named_and_rolled_back() {
    const fs::path dir = dir_.path() / "schemas";
    write_file(dir / db_->driver() / "001_first.sql",
               "CREATE TABLE schema_version (version integer);\nCREATE TABLE t1 (x integer);\n");
    write_file(dir / db_->driver() / "002_broken.sql",
               "CREATE TABLE t2 (x integer);\nTHIS IS NOT SQL;\n");
    const std::string error = migrate_error(*db_, dir);
    CPPUNIT_ASSERT_MESSAGE(error, contains(error, "storage: migration '"));
    CPPUNIT_ASSERT_MESSAGE(error, contains(error, "002_broken.sql' failed: "));
    CPPUNIT_ASSERT_MESSAGE(error, contains(error, "syntax error"));
    // 001 stays applied, nothing of 002 does.
    CPPUNIT_ASSERT_EQUAL(std::string("1"),
                         scalar(*db_, {"SELECT max(version) FROM schema_version", {}}));
    CPPUNIT_ASSERT_EQUAL(std::string("0"), scalar(*db_, {"SELECT count(*) FROM t1", {}}));
    CPPUNIT_ASSERT(!db_->execute_sync({"SELECT count(*) FROM t2", {}}).ok);
}

void StorageContract::test_values_round_trip() {
    const Result created = db_->execute_sync(
        {"CREATE TABLE v (n bigint, t text, b " + blob_type() + ", e " + blob_type() + ", z text)",
         {}});
    CPPUNIT_ASSERT_MESSAGE(created.error, created.ok);
    const std::string text = "h\xc3\xa9llo 'quoted' \"double\" \\ $1";
    const Result inserted = db_->execute_sync(
        {"INSERT INTO v (n, t, b, e, z) VALUES ($1, $2, $3, $4, $5)",
         {std::int64_t{-9007199254740993}, text, Blob{all_bytes()}, Blob{""}, std::monostate{}}});
    CPPUNIT_ASSERT_MESSAGE(inserted.error, inserted.ok);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, inserted.affected);

    const Result selected = db_->execute_sync({"SELECT n, t, b, e, z FROM v", {}});
    CPPUNIT_ASSERT_MESSAGE(selected.error, selected.ok);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, selected.rows.size());
    const auto& row = selected.rows[0];
    CPPUNIT_ASSERT_EQUAL(std::size_t{5}, row.size());
    CPPUNIT_ASSERT_EQUAL(std::string("-9007199254740993"), row[0].value());
    CPPUNIT_ASSERT_EQUAL(text, row[1].value());
    CPPUNIT_ASSERT_EQUAL(all_bytes(), row[2].value());
    CPPUNIT_ASSERT_EQUAL(std::string(), row[3].value());
    CPPUNIT_ASSERT(!row[4].has_value());

    CPPUNIT_ASSERT_EQUAL(std::string("1"), scalar(*db_, {"SELECT count(*) FROM v WHERE b = $1",
                                                         {Blob{all_bytes()}}}));
}

void StorageContract::test_sql_error_is_reported_and_database_keeps_working() {
    const Result missing = db_->execute_sync({"SELECT * FROM no_such_table", {}});
    CPPUNIT_ASSERT(!missing.ok);
    CPPUNIT_ASSERT_MESSAGE(missing.error, contains(missing.error, "no_such_table"));
    CPPUNIT_ASSERT(!missing.unique_violation);

    CPPUNIT_ASSERT_EQUAL(std::string("7"), scalar(*db_, {"SELECT 3 + 4", {}}));
}

void StorageContract::test_failed_transaction_rolls_back() {
    migrate_schemas();
    const Statement insert{"INSERT INTO accounts (host, username, created_at) VALUES ($1, $2, $3)",
                           {std::string("example.org"), std::string("juliet"), std::int64_t{1}}};
    const Result result = db_->transaction_sync({insert, insert});
    CPPUNIT_ASSERT(!result.ok);
    CPPUNIT_ASSERT(result.unique_violation);
    CPPUNIT_ASSERT_EQUAL(std::string("0"), scalar(*db_, {"SELECT count(*) FROM accounts", {}}));
    // The connection is usable, and outside any transaction, afterwards.
    CPPUNIT_ASSERT(db_->execute_sync(insert).ok);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), scalar(*db_, {"SELECT count(*) FROM accounts", {}}));
}

void StorageContract::test_transaction_result_is_the_last_statement() {
    migrate_schemas();
    const Result result = db_->transaction_sync(
        {{"INSERT INTO accounts (host, username, created_at) VALUES ($1, $2, $3)",
          {std::string("example.org"), std::string("romeo"), std::int64_t{42}}},
         {"SELECT username, created_at FROM accounts WHERE host = $1",
          {std::string("example.org")}}});
    CPPUNIT_ASSERT_MESSAGE(result.error, result.ok);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, result.rows.size());
    CPPUNIT_ASSERT_EQUAL(std::string("romeo"), result.rows[0][0].value());
    CPPUNIT_ASSERT_EQUAL(std::string("42"), result.rows[0][1].value());
}

void StorageContract::test_callbacks_run_on_the_database_thread() {
    const auto caller = std::this_thread::get_id();
    std::promise<std::thread::id> ran_on;
    db_->execute({"SELECT 1", {}}, [&](Result) { ran_on.set_value(std::this_thread::get_id()); });
    CPPUNIT_ASSERT(caller != ran_on.get_future().get());
}

void StorageContract::test_jobs_queued_together_keep_their_own_outcomes() {
    migrate_schemas();
    auto insert = [](const char* user) {
        return Statement{"INSERT INTO accounts (host, username, created_at) VALUES ($1, $2, $3)",
                         {std::string("example.org"), std::string(user), std::int64_t{1}}};
    };
    // While the first callback holds the database thread, the rest queue up behind it, so a
    // driver that groups queued jobs (SQLite's group commit) runs them as one group.
    std::promise<void> release;
    std::promise<void> holding;
    db_->execute({"SELECT 1", {}}, [&](Result) {
        holding.set_value();
        release.get_future().wait();
    });
    holding.get_future().wait();
    std::vector<std::string> seen;  // appended on the database thread only, in callback order
    std::promise<void> all_done;
    auto note = [&seen](const char* name) {
        return [&seen, name](Result r) {
            seen.push_back(std::string(name) + (r.ok ? " ok " : " failed ") +
                           std::to_string(r.affected) + (r.unique_violation ? " unique" : ""));
        };
    };
    db_->transaction({insert("juliet")}, note("a"));
    db_->transaction({insert("romeo"), insert("romeo")}, note("b"));  // rolled back, alone
    db_->execute(insert("romeo"), note("c"));                         // so this one fits
    db_->execute({"SELECT no_such_column FROM accounts", {}}, note("d"));
    db_->execute({"SELECT username FROM accounts ORDER BY username", {}}, [&](Result r) {
        seen.push_back("e " + std::to_string(r.rows.size()) + " " + r.rows.at(0)[0].value_or("") +
                       " " + r.rows.at(1)[0].value_or(""));
        all_done.set_value();
    });
    release.set_value();
    all_done.get_future().wait();
    CPPUNIT_ASSERT_EQUAL(std::size_t{5}, seen.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a ok 1"), seen[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("b failed 0 unique"), seen[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("c ok 1"), seen[2]);
    CPPUNIT_ASSERT_EQUAL(std::string("d failed 0"), seen[3]);
    CPPUNIT_ASSERT_EQUAL(std::string("e 2 juliet romeo"), seen[4]);
    // Committed, not just visible inside the group.
    CPPUNIT_ASSERT_EQUAL(std::string("2"), scalar(*db_, {"SELECT count(*) FROM accounts", {}}));
}

void StorageContract::test_account_lifecycle() {
    migrate_schemas();
    AccountStore store(*db_);
    const std::string host = "example.org";
    const ScramSecret sha1 = make_secret(Hash::sha1, 'a');
    const ScramSecret sha256 = make_secret(Hash::sha256, 'b');
    const ScramSecret sha512 = make_secret(Hash::sha512, 'c');

    CPPUNIT_ASSERT(create(store, host, "juliet", {sha1, sha256}).ok);
    CPPUNIT_ASSERT(create(store, host, "alice", {sha256}).ok);
    CPPUNIT_ASSERT(create(store, host, "Zed", {}).ok);
    CPPUNIT_ASSERT(exists(store, host, "juliet"));
    CPPUNIT_ASSERT(!exists(store, host, "romeo"));
    assert_same(sha1, secret(store, host, "juliet", Hash::sha1));
    assert_same(sha256, secret(store, host, "juliet", Hash::sha256));
    CPPUNIT_ASSERT(!secret(store, host, "juliet", Hash::sha512));
    CPPUNIT_ASSERT(!secret(store, host, "romeo", Hash::sha256));
    // Byte order, the same for both drivers whatever the database's collation.
    CPPUNIT_ASSERT(std::vector<std::string>({"Zed", "alice", "juliet"}) == list(store, host));

    const Result replaced = set_secrets(store, host, "juliet", {sha512});
    CPPUNIT_ASSERT_MESSAGE(replaced.error, replaced.ok);
    CPPUNIT_ASSERT(!secret(store, host, "juliet", Hash::sha1));
    CPPUNIT_ASSERT(!secret(store, host, "juliet", Hash::sha256));
    assert_same(sha512, secret(store, host, "juliet", Hash::sha512));
    assert_same(sha256, secret(store, host, "alice", Hash::sha256));

    CPPUNIT_ASSERT(remove(store, host, "juliet").ok);
    CPPUNIT_ASSERT(!exists(store, host, "juliet"));
    CPPUNIT_ASSERT(!secret(store, host, "juliet", Hash::sha512));
    CPPUNIT_ASSERT_EQUAL(std::string("0"),
                         scalar(*db_, {"SELECT count(*) FROM scram_secrets WHERE username = $1",
                                       {std::string("juliet")}}));
    CPPUNIT_ASSERT(std::vector<std::string>({"Zed", "alice"}) == list(store, host));
    CPPUNIT_ASSERT(list(store, "other.example").empty());
}

void StorageContract::test_create_twice_is_exists() {
    migrate_schemas();
    AccountStore store(*db_);
    const ScramSecret first = make_secret(Hash::sha256, 'a');
    CPPUNIT_ASSERT(create(store, "example.org", "juliet", {first}).ok);
    const Result again = create(store, "example.org", "juliet", {make_secret(Hash::sha256, 'x')});
    CPPUNIT_ASSERT(!again.ok);
    CPPUNIT_ASSERT_EQUAL(std::string("exists"), again.error);
    assert_same(first, secret(store, "example.org", "juliet", Hash::sha256));
}

void StorageContract::test_missing_account_is_not_found() {
    migrate_schemas();
    AccountStore store(*db_);
    const Result set = set_secrets(store, "example.org", "nobody", {make_secret(Hash::sha1, 'a')});
    CPPUNIT_ASSERT(!set.ok);
    CPPUNIT_ASSERT_EQUAL(std::string("not-found"), set.error);
    CPPUNIT_ASSERT_EQUAL(std::string("0"),
                         scalar(*db_, {"SELECT count(*) FROM scram_secrets", {}}));
    const Result removed = remove(store, "example.org", "nobody");
    CPPUNIT_ASSERT(!removed.ok);
    CPPUNIT_ASSERT_EQUAL(std::string("not-found"), removed.error);
}

void StorageContract::test_duplicate_hash_is_refused() {
    migrate_schemas();
    AccountStore store(*db_);
    const Result result = create(store, "example.org", "juliet",
                                 {make_secret(Hash::sha256, 'a'), make_secret(Hash::sha256, 'b')});
    CPPUNIT_ASSERT(!result.ok);
    CPPUNIT_ASSERT_EQUAL(std::string("two secrets for SHA-256"), result.error);
    CPPUNIT_ASSERT(!exists(store, "example.org", "juliet"));
}

void StorageContract::test_secret_bytes_round_trip() {
    migrate_schemas();
    AccountStore store(*db_);
    ScramSecret secret_in = make_secret(Hash::sha512, 'a');
    secret_in.salt = all_bytes();
    secret_in.stored_key = std::string("\0\0\x01\xff\0", 5);
    secret_in.server_key = all_bytes() + all_bytes();
    CPPUNIT_ASSERT(create(store, "example.org", "juliet", {secret_in}).ok);
    assert_same(secret_in, secret(store, "example.org", "juliet", Hash::sha512));
}

void StorageContract::test_quotes_are_bound_not_injected() {
    migrate_schemas();
    AccountStore store(*db_);
    const std::string host = "example.org'; --";
    const std::string user = "o'brien\"); DROP TABLE accounts; --";
    const ScramSecret secret_in = make_secret(Hash::sha256, 'q');
    CPPUNIT_ASSERT(create(store, host, user, {secret_in}).ok);
    CPPUNIT_ASSERT(exists(store, host, user));
    CPPUNIT_ASSERT(!exists(store, host, "o'brien"));
    CPPUNIT_ASSERT(!exists(store, "example.org", user));
    assert_same(secret_in, secret(store, host, user, Hash::sha256));
    CPPUNIT_ASSERT(std::vector<std::string>({user}) == list(store, host));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), scalar(*db_, {"SELECT count(*) FROM accounts", {}}));
}

void StorageContract::test_hosts_are_kept_apart() {
    migrate_schemas();
    AccountStore store(*db_);
    const ScramSecret on_a = make_secret(Hash::sha256, 'a');
    const ScramSecret on_b = make_secret(Hash::sha256, 'b');
    CPPUNIT_ASSERT(create(store, "a.example", "juliet", {on_a}).ok);
    CPPUNIT_ASSERT(create(store, "b.example", "juliet", {on_b}).ok);
    assert_same(on_a, secret(store, "a.example", "juliet", Hash::sha256));
    assert_same(on_b, secret(store, "b.example", "juliet", Hash::sha256));
    CPPUNIT_ASSERT(std::vector<std::string>({"juliet"}) == list(store, "a.example"));

    CPPUNIT_ASSERT(remove(store, "a.example", "juliet").ok);
    CPPUNIT_ASSERT(!exists(store, "a.example", "juliet"));
    CPPUNIT_ASSERT(exists(store, "b.example", "juliet"));
    assert_same(on_b, secret(store, "b.example", "juliet", Hash::sha256));
    const Result set = set_secrets(store, "a.example", "juliet", {on_a});
    CPPUNIT_ASSERT_EQUAL(std::string("not-found"), set.error);
    assert_same(on_b, secret(store, "b.example", "juliet", Hash::sha256));
}

}  // namespace starling::storage::test
