// mod_mam's archive writer on both drivers: rows that arrive while the database is busy wait
// and go as one batch, in arrival order; past its byte bound the writer closes the ingress
// gate and opens it once the rows are written; a row that cannot be stored is counted and
// reported, and does not take the rest of its batch with it; what waits for the pending rows
// (a query) runs once they are in the store; a batch that cannot reach the database goes
// again after growing pauses, with the gate closed meanwhile, and nothing is lost.
#include <cppunit/extensions/HelperMacros.h>

#include "../storage/driver_databases.hpp"
#include "../storage/driver_suites.hpp"
#include "modules/mam/archive_writer.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <thread>
#include <tuple>

namespace starling::mam::test {

using storage::test::add_account;
using storage::await_values;
using storage::test::open_migrated;

// A database whose first `failures` transactions fail as a lost connection does.
class FlakyDatabase : public storage::Database {
public:
    FlakyDatabase(storage::Database& real, int failures) : real_(real), failures_(failures) {}
    const char* driver() const override { return real_.driver(); }
    void execute(storage::Statement statement, storage::Callback done) override {
        real_.execute(std::move(statement), std::move(done));
    }
    void transaction(std::vector<storage::Statement> statements, storage::Callback done) override {
        if (failures_.fetch_sub(1) > 0) {
            storage::Result lost;
            lost.ok = false;
            lost.error = "connection to PostgreSQL lost";
            lost.unavailable = true;
            return done(std::move(lost));
        }
        real_.transaction(std::move(statements), std::move(done));
    }
    void execute_script(std::string script, std::vector<storage::Statement> statements,
                        storage::Callback done) override {
        real_.execute_script(std::move(script), std::move(statements), std::move(done));
    }
    bool idle() const override { return real_.idle(); }

private:
    storage::Database& real_;
    std::atomic<int> failures_;
};

class ArchiveWriterContract : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ArchiveWriterContract);
    CPPUNIT_TEST(test_burst_is_written_in_order_under_back_pressure);
    CPPUNIT_TEST(test_batch_that_cannot_reach_the_database_goes_again);
    CPPUNIT_TEST_SUITE_END_ABSTRACT();

public:
    void setUp() override {
        db_ = open_migrated(driver(), dir_, "starling_unit_mam_writer");
        add_account(*db_, "example.test", "juliet");
    }
    void tearDown() override { db_.reset(); }

protected:
    virtual std::string driver() const = 0;

private:
    storage::ArchivedMessage message(ArchiveWriter& writer, const std::string& user, int n) {
        storage::ArchivedMessage m;
        m.row = writer.reserve();
        names_[m.row] = "id" + std::to_string(n);
        m.host = "example.test";
        m.user = user;
        m.with_bare = "romeo@montague.test";
        m.stanza = "<message><body>m" + std::to_string(n) + "</body></message>";
        m.stored_at = 1000 * (n + 1);
        return m;
    }

    void test_burst_is_written_in_order_under_back_pressure() {
        auto store = std::make_shared<storage::ArchiveStore>(*db_, storage::ArchiveIds::load(*db_));
        IngressGate gate;
        Counter throttled;
        Counter failed;
        std::vector<std::string> reported;  // only the database thread writes it
        // About three queued rows' worth: the burst below must close the gate.
        auto writer = std::make_shared<ArchiveWriter>(
            store, ArchiveWriter::Server{gate, unused_scheduler(), [] { return false; }},
            3 * (sizeof(storage::ArchivedMessage) + 100), throttled, failed,
            [this, &reported](const storage::ArchivedMessage& m) {
                reported.push_back(names_.at(m.row));
            });

        // The database thread is held up, so that everything after the first row waits.
        std::promise<void> release;
        auto held = release.get_future().share();
        db_->execute({"SELECT 1", {}}, [held](storage::Result) { held.wait(); });
        std::string expected;
        for (int i = 0; i < 40; ++i) {
            // Tybalt has no account: his row fails, and only his.
            writer->add(message(*writer, i == 17 ? "tybalt" : "juliet", i));
            if (i != 17) expected += (expected.empty() ? "id" : ",id") + std::to_string(i);
        }
        CPPUNIT_ASSERT_MESSAGE("the queue past its bound must close the gate", gate.closed());
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, throttled.value());
        std::promise<void> reopened;
        gate.when_open([&reopened] { reopened.set_value(); });
        storage::ArchiveQuery q;
        q.host = "example.test";
        q.user = "juliet";
        q.max = 100;
        // Asked while the rows wait: it sees every one of them.
        std::promise<std::int64_t> seen;
        writer->after_pending([&] {
            store->query(q, [&seen](storage::ArchiveOutcome, storage::ArchivePage page) {
                seen.set_value(page.count);
            });
        });
        auto counted = seen.get_future();
        CPPUNIT_ASSERT(counted.wait_for(std::chrono::milliseconds(50)) ==
                       std::future_status::timeout);
        release.set_value();
        CPPUNIT_ASSERT(counted.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{39}, counted.get());

        CPPUNIT_ASSERT(reopened.get_future().wait_for(std::chrono::seconds(10)) ==
                       std::future_status::ready);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!db_->idle() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        CPPUNIT_ASSERT(db_->idle());
        CPPUNIT_ASSERT(!gate.closed());

        auto [outcome, page] =
            await_values<std::tuple<storage::ArchiveOutcome, storage::ArchivePage>>(
                [&](auto done) { store->query(q, done); });
        CPPUNIT_ASSERT(outcome == storage::ArchiveOutcome::ok);
        std::string stored;
        for (const auto& m : page.messages)
            stored += (stored.empty() ? "" : ",") + names_.at(m.row);
        CPPUNIT_ASSERT_EQUAL(expected, stored);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, failed.value());
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, reported.size());
        CPPUNIT_ASSERT_EQUAL(std::string("id17"), reported.front());
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, throttled.value());
    }

    static ArchiveWriter::Scheduler unused_scheduler() {
        return [](std::chrono::milliseconds, std::function<void()>) {
            CPPUNIT_FAIL("nothing was to be retried");
        };
    }

    void test_batch_that_cannot_reach_the_database_goes_again() {
        // The database drops its connection under the first three transactions (a restart).
        FlakyDatabase flaky(*db_, 3);
        auto store =
            std::make_shared<storage::ArchiveStore>(flaky, storage::ArchiveIds::load(*db_));
        IngressGate gate;
        Counter throttled;
        Counter failed;
        std::vector<std::chrono::milliseconds> pauses;
        std::vector<bool> gate_closed_in_pause;
        std::promise<void> all_written;
        auto writer = std::make_shared<ArchiveWriter>(
            store,
            ArchiveWriter::Server{gate,
                                  [&](std::chrono::milliseconds pause, std::function<void()> fn) {
                                      pauses.push_back(pause);
                                      gate_closed_in_pause.push_back(gate.closed());
                                      // No real wait: the test runs the retry at once.
                                      std::thread(std::move(fn)).detach();
                                  },
                                  [] { return false; }},
            1 << 20, throttled, failed, [](const storage::ArchivedMessage&) {});
        std::string expected;
        for (int i = 0; i < 10; ++i) {
            writer->add(message(*writer, "juliet", i));
            expected += (expected.empty() ? "id" : ",id") + std::to_string(i);
        }
        writer->after_pending([&all_written] { all_written.set_value(); });
        CPPUNIT_ASSERT(all_written.get_future().wait_for(std::chrono::seconds(10)) ==
                       std::future_status::ready);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, failed.value());
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, pauses.size());
        CPPUNIT_ASSERT(pauses[0] < pauses[1] && pauses[1] < pauses[2]);
        CPPUNIT_ASSERT(gate_closed_in_pause[0] && gate_closed_in_pause[2]);
        CPPUNIT_ASSERT(!gate.closed());
        storage::ArchiveQuery q;
        q.host = "example.test";
        q.user = "juliet";
        q.max = 100;
        auto [outcome, page] =
            await_values<std::tuple<storage::ArchiveOutcome, storage::ArchivePage>>(
                [&](auto done) { store->query(q, done); });
        std::string stored;
        for (const auto& m : page.messages)
            stored += (stored.empty() ? "" : ",") + names_.at(m.row);
        CPPUNIT_ASSERT_EQUAL(expected, stored);
    }

    std::map<std::int64_t, std::string> names_;  // row -> "id<n>"
    storage::test::TempDir dir_;
    std::unique_ptr<storage::Database> db_;
};

STARLING_DRIVER_SUITES(ArchiveWriterContract);

}  // namespace starling::mam::test
