// GroupedDatabase's group commit against a scripted driver, which can fail a job in ways the
// real drivers cannot be made to on demand: a failure that ends the whole transaction (a full
// disk, a lost connection), after which the jobs before it must not be reported as committed.
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/grouped_database.hpp"

namespace starling::storage::test {

namespace {

class ScriptedDatabase final : public GroupedDatabase {
public:
    ~ScriptedDatabase() override { stop_worker(); }
    const char* driver() const override { return "scripted"; }

    std::set<std::string> failing;  // statements that fail, leaving the transaction open
    std::set<std::string> fatal;    // statements that fail and end the transaction
    std::vector<std::string> log;   // what ran, in order (the database thread only)

private:
    Result outcome(const Job& job) {
        Result result;
        const std::string& sql = job.statements.front().sql;
        if (fatal.count(sql) != 0) {
            open_ = false;
            result.ok = false;
            result.error = "disk full";
        } else if (failing.count(sql) != 0) {
            result.ok = false;
            result.error = "constraint";
            result.unique_violation = true;
        } else {
            result.affected = 1;
        }
        return result;
    }
    Result run_alone(const Job& job) override {
        log.push_back("alone " + job.statements.front().sql);
        return outcome(job);
    }
    Result run_in_group(const Job& job) override {
        log.push_back("job " + job.statements.front().sql);
        return outcome(job);
    }
    Result run_control(Control control) override {
        static const char* const names[] = {"begin",   "savepoint", "rollback to",
                                            "release", "commit",    "rollback"};
        log.push_back(names[static_cast<int>(control)]);
        if (control == Control::begin) open_ = true;
        if (control == Control::commit || control == Control::rollback) open_ = false;
        return {};
    }
    bool in_transaction() const override { return open_; }

    bool open_ = false;
};

// Queues `sqls` behind a job that holds the database thread, so that they run as one group;
// returns each one's outcome as "name ok|failed[ unique][: error]".
std::vector<std::string> run_together(ScriptedDatabase& db, const std::vector<std::string>& sqls) {
    std::promise<void> holding, release, all_done;
    db.execute({"hold", {}}, [&](Result) {
        holding.set_value();
        release.get_future().wait();
    });
    holding.get_future().wait();
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < sqls.size(); ++i)
        db.transaction({{sqls[i], {}}}, [&, i](Result r) {
            seen.push_back(sqls[i] + (r.ok ? " ok" : " failed") +
                           (r.unique_violation ? " unique" : "") + (r.ok ? "" : ": " + r.error));
            if (seen.size() == sqls.size()) all_done.set_value();
        });
    release.set_value();
    all_done.get_future().wait();
    return seen;
}

}  // namespace

class GroupedDatabaseTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GroupedDatabaseTest);
    CPPUNIT_TEST(test_a_failed_job_rolls_back_to_its_savepoint_only);
    CPPUNIT_TEST(test_a_lost_transaction_fails_the_jobs_before_it);
    CPPUNIT_TEST(test_idle_only_when_every_job_and_the_jobs_its_callback_queued_are_done);
    CPPUNIT_TEST_SUITE_END();

    void test_a_failed_job_rolls_back_to_its_savepoint_only() {
        ScriptedDatabase db;
        db.failing.insert("b");
        const auto seen = run_together(db, {"a", "b", "c"});
        const std::vector<std::string> expected{"a ok", "b failed unique: constraint", "c ok"};
        CPPUNIT_ASSERT(expected == seen);
        const std::vector<std::string> log{
            "alone hold",  "begin",   "savepoint", "job a", "release", "savepoint", "job b",
            "rollback to", "release", "savepoint", "job c", "release", "commit"};
        CPPUNIT_ASSERT(log == db.log);
    }

    void test_a_lost_transaction_fails_the_jobs_before_it() {
        ScriptedDatabase db;
        db.fatal.insert("b");
        const auto seen = run_together(db, {"a", "b", "c", "d"});
        // a ran, but its transaction went with b's: it must not be reported as committed, nor
        // as b's own error (it broke no constraint). c and d start afresh, as a group of two.
        const std::vector<std::string> expected{"a failed: rolled back with its group: disk full",
                                                "b failed: disk full", "c ok", "d ok"};
        CPPUNIT_ASSERT(expected == seen);
        const std::vector<std::string> log{"alone hold", "begin",     "savepoint", "job a",
                                           "release",    "savepoint", "job b",     "begin",
                                           "savepoint",  "job c",     "release",   "savepoint",
                                           "job d",      "release",   "commit"};
        CPPUNIT_ASSERT(log == db.log);
    }

    // Shutdown waits for idle(): a job queued by another job's callback (the account lookup,
    // then the offline insert) must keep the database busy until it too is done.
    void test_idle_only_when_every_job_and_the_jobs_its_callback_queued_are_done() {
        ScriptedDatabase db;
        CPPUNIT_ASSERT(db.idle());
        std::promise<void> holding, release, done;
        db.execute({"hold", {}}, [&](Result) {
            holding.set_value();
            release.get_future().wait();
        });
        holding.get_future().wait();
        CPPUNIT_ASSERT(!db.idle());  // running, its callback not returned
        bool idle_in_first = true, idle_in_second = true;
        db.execute({"lookup", {}}, [&](Result) {
            idle_in_first = db.idle();
            db.execute({"insert", {}}, [&](Result) {
                idle_in_second = db.idle();
                done.set_value();
            });
        });
        CPPUNIT_ASSERT(!db.idle());  // queued behind the held job
        release.set_value();
        done.get_future().wait();
        CPPUNIT_ASSERT(!idle_in_first);
        CPPUNIT_ASSERT(!idle_in_second);
        // The last callback has returned once idle() says so; it cannot stay busy.
        for (int i = 0; i < 1000 && !db.idle(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        CPPUNIT_ASSERT(db.idle());
        const std::vector<std::string> log{"alone hold", "alone lookup", "alone insert"};
        CPPUNIT_ASSERT(log == db.log);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GroupedDatabaseTest);

}  // namespace starling::storage::test
