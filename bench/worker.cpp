#include "bench/worker.hpp"

namespace bench {

void login_results::merge(login_results&& other) {
    online += other.online;
    failed += other.failed;
    created += other.created;
    existed += other.existed;
    times.merge(std::move(other.times));
    if (!first_failure) first_failure = std::move(other.first_failure);
    connection_failed = connection_failed || other.connection_failed;
}

worker::worker(unsigned number)
    : number_(number), io_(1), guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

worker::~worker() {
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
}

void worker::finish(std::chrono::milliseconds timeout) {
    auto timer = std::make_shared<asio::steady_timer>(io_, timeout);
    timer->async_wait([this, timer](const error_code&) { io_.stop(); });
    guard_.reset();
    if (thread_.joinable()) thread_.join();
}

void worker::run_logins(std::vector<std::shared_ptr<connection>> batch, connection::goal goal,
                        std::uint32_t concurrency, std::function<void()> done) {
    batch_ = std::move(batch);
    next_ = 0;
    finished_ = 0;
    goal_ = goal;
    done_ = std::move(done);
    results_ = login_results();
    if (batch_.empty()) return done_();
    for (std::uint32_t i = 0; i < std::max<std::uint32_t>(concurrency, 1); ++i) start_next_login();
}

void worker::start_next_login() {
    if (next_ >= batch_.size()) return;
    batch_[next_++]->start(goal_);
}

void worker::login_finished(connection& c, bool succeeded) {
    if (succeeded) results_.times.add(static_cast<std::uint64_t>(c.login_time().count()));
    ++finished_;
    start_next_login();
    if (finished_ == batch_.size() && done_) {
        batch_.clear();
        auto done = std::move(done_);
        done_ = nullptr;
        done();
    }
}

void worker::on_online(connection& c) {
    ++results_.online;
    login_finished(c, true);
}

void worker::on_registered(connection& c, register_outcome outcome, const std::string& why) {
    if (outcome == register_outcome::created)
        ++results_.created;
    else if (outcome == register_outcome::existed)
        ++results_.existed;
    else {
        ++results_.failed;
        if (!results_.first_failure) results_.first_failure = why;
    }
    login_finished(c, outcome != register_outcome::failed);
}

void worker::on_failed(connection& c, const std::string& why) {
    if (c.login_time().count() > 0) {
        // Online (or registered) before: the server dropped an established stream.
        ++dropped_;
        if (!first_drop_) first_drop_ = why;
        return;
    }
    ++results_.failed;
    results_.connection_failed = true;
    if (!results_.first_failure) results_.first_failure = why;
    login_finished(c, false);
}

void worker::on_message(connection& c, const stanza& message) {
    if (handler_) handler_->on_message(c, message);
}

}  // namespace bench
