#pragma once
// A bound client for unit tests that records every stanza delivered to it, as written on its
// stream. It may claim an event loop as its I/O thread (Session::io()), which the test runs.

#include "core/session.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace starling::test {

class FakeSession : public Session {
public:
    FakeSession(std::string_view jid, int priority, bool available,
                boost::asio::io_context* io = nullptr)
        : jid_(*Jid::parse(jid)), priority_(priority), available_(available), io_(io) {}

    const Jid& jid() const override { return jid_; }
    int priority() const override { return priority_; }
    bool available() const override { return available_; }
    boost::asio::io_context* io() const override { return io_; }
    void deliver(StanzaPtr stanza) override {
        if (on_deliver) on_deliver(*stanza);
        std::lock_guard lock(mutex_);
        received_.push_back(stanza->bytes());
        arrived_.notify_all();
    }
    void close(std::string_view, std::string_view) override {}
    std::chrono::steady_clock::time_point last_activity() const override { return {}; }
    std::string peer() const override { return "fake"; }
    std::string security() const override { return "test"; }

    std::vector<std::string> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    /// Waits for stanzas that arrive from another thread (the storage thread's callbacks).
    std::vector<std::string> wait_for(std::size_t count) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, std::chrono::seconds(5), [&] { return received_.size() >= count; });
        return received_;
    }

    /// Called with each stanza as it is delivered, before it is recorded.
    std::function<void(const Stanza&)> on_deliver;

private:
    Jid jid_;
    int priority_;
    bool available_;
    boost::asio::io_context* io_;
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<std::string> received_;
};

}  // namespace starling::test
