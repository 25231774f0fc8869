#include "storage/worker_thread.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace starling::storage {

WorkerThread::WorkerThread() : thread_([this] { run(); }) {}

WorkerThread::~WorkerThread() {
    stop();
}

void WorkerThread::post(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void WorkerThread::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void WorkerThread::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            // Stopping still drains the queue: a caller whose job was accepted gets its callback.
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        run_logging_exceptions(job);
    }
}

void run_logging_exceptions(const std::function<void()>& job) {
    // A throwing result callback must not take the database thread, and with it every later
    // query, down with it.
    try {
        job();
    } catch (const std::exception& e) {
        spdlog::error("storage: a database callback threw: {}", e.what());
    } catch (...) {
        spdlog::error("storage: a database callback threw a non-standard exception");
    }
}

}  // namespace starling::storage
