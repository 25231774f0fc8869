#pragma once
// What both drivers share: their jobs run one at a time on the driver's own thread, and the jobs
// that queue up while it is busy run next as one group: one transaction, each job in its own
// savepoint, every callback after the single commit (group commit). A burst of n writes then
// costs one durable commit instead of n (an fsync'd SQLite commit is ~5 ms here, so one commit
// per write held the server to ~200 offline messages a second), and a lone job still runs at
// once, by itself, as before. A job that fails rolls back to its savepoint and no further.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "storage/database.hpp"
#include "storage/worker_thread.hpp"

namespace starling::storage {

class GroupedDatabase : public Database {
public:
    void execute(Statement statement, Callback done) final;
    void transaction(std::vector<Statement> statements, Callback done) final;
    void execute_script(std::string script, std::vector<Statement> statements, Callback done) final;
    bool idle() const final { return outstanding_.load() == 0; }
    /// Observes each job's seconds from enqueue to result into `latency` from now on; call it
    /// before the first job.
    void time_jobs(Histogram& latency) { job_seconds_ = &latency; }

protected:
    struct Job {
        std::string script;  // run first, when not empty (a migration)
        std::vector<Statement> statements;
        bool atomic = true;  // false for execute(): one statement, no transaction of its own
        Callback done;
        std::chrono::steady_clock::time_point queued_at{};
    };

    /// Runs what is queued, then stops the thread: a driver's destructor calls it before it
    /// closes its connection.
    void stop_worker() { worker_.stop(); }

    /// One job by itself, in its own transaction when atomic.
    virtual Result run_alone(const Job& job) = 0;
    /// One job's script and statements inside the group's transaction: no transaction control,
    /// and no rollback on error (the group rolls back to the job's savepoint).
    virtual Result run_in_group(const Job& job) = 0;
    enum class Control {
        begin,
        savepoint,
        rollback_to_savepoint,
        release_savepoint,
        commit,
        rollback
    };
    /// Runs the transaction control statement (the savepoint has one fixed name).
    virtual Result run_control(Control control) = 0;
    /// False once an error ended the transaction itself (a full disk, a lost connection);
    /// true while it is open, even when a failed statement waits for its rollback.
    virtual bool in_transaction() const = 0;

private:
    void enqueue(Job job);
    void run_queued();
    /// Jobs [first, last): one alone, several as a group.
    std::vector<Result> run_range(std::vector<Job>& jobs, std::size_t first, std::size_t last);
    std::vector<Result> run_group(std::vector<Job>& jobs, std::size_t first, std::size_t last);
    /// The group's transaction is gone while job `failed` ran: it and the jobs before it fail,
    /// the jobs after it run afresh.
    std::vector<Result> lost(std::vector<Job>& jobs, std::vector<Result> results,
                             std::size_t failed, std::size_t last, Result why);

    Histogram* job_seconds_ = nullptr;
    std::mutex queue_mutex_;
    std::vector<Job> queued_;
    bool run_posted_ = false;
    // Jobs accepted whose callback has not returned yet: raised before a job is queued, lowered
    // after its callback, so a job queued by a callback is counted before its parent is not.
    std::atomic<std::size_t> outstanding_{
        0};                    // a run_queued() is on the worker and will take what is queued
    WorkerThread worker_;      // last: it stops before the queue it reads is destroyed
};

}  // namespace starling::storage
