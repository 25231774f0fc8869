#include "storage/grouped_database.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace starling::storage {

namespace {

// Bounds how long the first callback of a group waits behind the group's last job.
constexpr std::size_t max_group = 512;

}  // namespace

void GroupedDatabase::execute(Statement statement, Callback done) {
    Job job;
    job.statements.push_back(std::move(statement));
    job.atomic = false;
    job.done = std::move(done);
    enqueue(std::move(job));
}

void GroupedDatabase::transaction(std::vector<Statement> statements, Callback done) {
    enqueue({{}, std::move(statements), true, std::move(done)});
}

void GroupedDatabase::execute_script(std::string script, std::vector<Statement> statements,
                                     Callback done) {
    enqueue({std::move(script), std::move(statements), true, std::move(done)});
}

void GroupedDatabase::enqueue(Job job) {
    if (job_seconds_) job.queued_at = std::chrono::steady_clock::now();
    bool post = false;
    outstanding_.fetch_add(1);
    {
        std::lock_guard lock(queue_mutex_);
        queued_.push_back(std::move(job));
        post = !std::exchange(run_posted_, true);
    }
    if (post) worker_.post([this] { run_queued(); });
}

void GroupedDatabase::run_queued() {
    std::vector<Job> jobs;
    {
        std::lock_guard lock(queue_mutex_);
        jobs.swap(queued_);
        run_posted_ = false;
    }
    for (std::size_t first = 0; first < jobs.size(); first += max_group) {
        const std::size_t last = std::min(jobs.size(), first + max_group);
        std::vector<Result> results = run_range(jobs, first, last);
        if (job_seconds_) {
            const auto now = std::chrono::steady_clock::now();
            for (std::size_t i = first; i < last; ++i)
                job_seconds_->observe(
                    std::chrono::duration<double>(now - jobs[i].queued_at).count());
        }
        // Each callback on its own: one that throws must not keep the others from being called.
        for (std::size_t i = first; i < last; ++i)
            run_logging_exceptions(
                [&job = jobs[i], &result = results[i - first]] { job.done(std::move(result)); });
        outstanding_.fetch_sub(last - first);
    }
}

std::vector<Result> GroupedDatabase::run_range(std::vector<Job>& jobs, std::size_t first,
                                               std::size_t last) {
    if (first == last) return {};
    if (last - first == 1) return {run_alone(jobs[first])};
    return run_group(jobs, first, last);
}

std::vector<Result> GroupedDatabase::run_group(std::vector<Job>& jobs, std::size_t first,
                                               std::size_t last) {
    std::vector<Result> results;
    results.reserve(last - first);
    const Result begin = run_control(Control::begin);
    if (!begin.ok) {
        results.assign(last - first, begin);
        return results;
    }
    for (std::size_t i = first; i < last; ++i) {
        Result mark = run_control(Control::savepoint);
        if (!mark.ok) return lost(jobs, std::move(results), i, last, std::move(mark));
        Result result = run_in_group(jobs[i]);
        if (!result.ok) {
            if (!in_transaction()) return lost(jobs, std::move(results), i, last, result);
            Result undo = run_control(Control::rollback_to_savepoint);
            if (!undo.ok) return lost(jobs, std::move(results), i, last, std::move(undo));
        }
        Result release = run_control(Control::release_savepoint);
        if (!release.ok) return lost(jobs, std::move(results), i, last, std::move(release));
        results.push_back(std::move(result));
    }
    const Result commit = run_control(Control::commit);
    if (!commit.ok) {
        if (in_transaction()) run_control(Control::rollback);
        for (Result& result : results)
            if (result.ok) result = commit;
    }
    return results;
}

std::vector<Result> GroupedDatabase::lost(std::vector<Job>& jobs, std::vector<Result> results,
                                          std::size_t failed, std::size_t last, Result why) {
    if (in_transaction()) run_control(Control::rollback);
    // Not `why` itself: an earlier job did not, say, break a unique constraint.
    Result rolled_back;
    rolled_back.ok = false;
    rolled_back.error = "rolled back with its group: " + why.error;
    // Nothing of theirs failed: written again, they may well succeed.
    rolled_back.unavailable = true;
    for (Result& earlier : results)
        if (earlier.ok) earlier = rolled_back;
    results.push_back(std::move(why));
    auto rest = run_range(jobs, failed + 1, last);
    std::move(rest.begin(), rest.end(), std::back_inserter(results));
    return results;
}

}  // namespace starling::storage
