#pragma once
// One generator thread: an io_context, the connections that live on it, and the login driver
// that keeps `concurrency` logins in flight. Scenario traffic plugs in as a message_handler.

#include "bench/connection.hpp"
#include "bench/latency_stats.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bench {

/// Scenario code that receives this worker's messages (on the worker's thread).
class message_handler {
public:
    virtual void on_message(connection& c, const stanza& message) = 0;
    /// Presences, room subjects and "muc…" iq answers (connection_events::on_room_stanza).
    virtual void on_room_stanza(connection&, const stanza&) {}

protected:
    ~message_handler() = default;
};

/// What one login (or registration) phase of a worker produced.
struct login_results {
    std::uint64_t online = 0;
    std::uint64_t failed = 0;
    std::uint64_t created = 0;
    std::uint64_t existed = 0;
    latency_stats times;  ///< login (or registration) times in nanoseconds
    std::optional<std::string> first_failure;
    bool connection_failed = false;  ///< a failure came from the connection, not the server

    void merge(login_results&& other);
};

class worker final : public connection_events {
public:
    explicit worker(unsigned number);
    ~worker();

    asio::io_context& io() { return io_; }
    unsigned number() const { return number_; }

    /// Runs `batch` through login (or registration), `concurrency` at a time; calls `done` on
    /// this thread when every one has finished. Call on this worker's thread.
    void run_logins(std::vector<std::shared_ptr<connection>> batch, connection::goal goal,
                    std::uint32_t concurrency, std::function<void()> done);
    /// The results of the last run_logins (call after its `done`).
    login_results take_login_results() { return std::move(results_); }

    void set_message_handler(message_handler* handler) { handler_ = handler; }
    /// Connections that failed after they were online (the server dropped them).
    std::uint64_t dropped() const { return dropped_; }
    const std::optional<std::string>& first_drop() const { return first_drop_; }

    /// Answers to connection::ping on this worker; read from any thread.
    std::uint64_t pongs() const { return pongs_.load(std::memory_order_relaxed); }

    /// Stops the thread once the io_context runs out of work or after `timeout`.
    void finish(std::chrono::milliseconds timeout);

private:
    void on_online(connection& c) override;
    void on_registered(connection& c, register_outcome outcome, const std::string& why) override;
    void on_failed(connection& c, const std::string& why) override;
    void on_message(connection& c, const stanza& message) override;
    void on_pong(connection&) override { pongs_.fetch_add(1, std::memory_order_relaxed); }
    void on_room_stanza(connection& c, const stanza& s) override {
        if (handler_) handler_->on_room_stanza(c, s);
    }
    void login_finished(connection& c, bool succeeded);
    void start_next_login();

    unsigned number_;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::thread thread_;

    std::vector<std::shared_ptr<connection>> batch_;
    std::size_t next_ = 0;
    std::size_t finished_ = 0;
    connection::goal goal_ = connection::goal::login;
    std::function<void()> done_;
    login_results results_;

    message_handler* handler_ = nullptr;
    std::atomic<std::uint64_t> pongs_{0};
    std::uint64_t dropped_ = 0;
    std::optional<std::string> first_drop_;
};

}  // namespace bench
