#pragma once
// One thread that runs posted jobs in order: each driver owns its connection through one of these,
// so a connection is only ever touched by a single thread and callers never wait for it.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace starling::storage {

/// Runs `job`, logging what it throws instead of letting it end the thread that runs it.
void run_logging_exceptions(const std::function<void()>& job);

class WorkerThread {
public:
    WorkerThread();
    ~WorkerThread();
    WorkerThread(const WorkerThread&) = delete;
    WorkerThread& operator=(const WorkerThread&) = delete;

    /// Queues a job; jobs run one at a time in the order they were posted.
    void post(std::function<void()> job);
    /// Runs every job still queued, then joins. Idempotent; the destructor calls it too.
    void stop();

private:
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace starling::storage
