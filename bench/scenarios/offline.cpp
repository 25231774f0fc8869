// offline: the first account queues K messages for the second while it is offline; then the
// second logs in, and the scenario reports how long until all K have arrived.
#include "bench/bench_error.hpp"
#include "bench/client_pool.hpp"
#include "bench/process_stats.hpp"
#include "bench/scenarios/scenarios.hpp"

#include <atomic>
#include <iostream>
#include <random>
#include <thread>

namespace bench {
namespace {

// Counts the receiver's deliveries of this run's messages (on the worker's thread).
class drain_counter final : public message_handler {
public:
    explicit drain_counter(std::uint32_t run) : run_(run) {}

    void on_message(connection&, const stanza& message) override {
        const auto body = decode_body(message.body);
        if (!body || body->run != run_ || message.type == "error") {
            // A pruning notice, a bounce, or a leftover of an earlier run.
            other_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        last_ns_.store(now_ns(), std::memory_order_relaxed);
        delivered_.fetch_add(1, std::memory_order_relaxed);
    }

    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> last_ns_{0};
    std::atomic<std::uint64_t> other_{0};

private:
    std::uint32_t run_;
};

}  // namespace

report run_offline(const options& opts) {
    const std::uint32_t sender = opts.first, receiver = opts.first + 1;
    client_pool pool(opts);
    const auto run = static_cast<std::uint32_t>(std::random_device{}());
    drain_counter counter(run);
    pool.on_each_worker([&counter](worker& w) { w.set_message_handler(&counter); });

    require_all_online(pool.connect(sender, 1, connection::goal::login), 1);
    const auto queue_started = now_ns();
    pool.on_each_worker([&](worker& w) {
        if (&pool.worker_of(sender) != &w) return;
        auto* c = pool.connection_of(sender);
        const auto to = opts.jid(receiver);
        for (std::uint32_t seq = 0; seq < opts.messages; ++seq)
            c->send_chat(to, message_body{run, sender, seq, now_ns()});
        c->ping();
    });
    // The ping's answer means the server has read every message (and a stream error on the
    // way shows up as a dropped connection); the pause gives its offline store time to commit
    // before the receiver asks for them.
    auto& sender_worker = pool.worker_of(sender);
    const auto deadline = now_ns() + 120'000'000'000ull;
    while (sender_worker.pongs() == 0 && pool.dropped() == 0 && now_ns() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (pool.dropped() > 0)
        throw bench_error("the sender lost its stream while queueing: " +
                          pool.first_drop().value_or("?"));
    if (sender_worker.pongs() == 0)
        throw bench_error(opts.jid(sender) + ": the server did not answer a ping within 120 s");
    const double queue_seconds = double(now_ns() - queue_started) / 1e9;
    pool.close_all();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));

    const auto started = now_ns();
    auto login = pool.connect(receiver, 1, connection::goal::login);
    require_all_online(login, 1);
    const auto online = now_ns();
    // Until all have arrived, or nothing more came for the grace period (at least 10 s: a
    // server may take seconds to fetch a long queue from its store).
    const auto grace = static_cast<std::uint64_t>(std::max(opts.grace_seconds, 10.0) * 1e9);
    while (counter.delivered_.load() < opts.messages) {
        const auto last = std::max(counter.last_ns_.load(), online);
        if (now_ns() > last + grace) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pool.on_each_worker([](worker& w) { w.set_message_handler(nullptr); });
    if (const auto drop = pool.first_drop()) std::cerr << "xmpp-bench: " << *drop << "\n";
    const auto delivered = counter.delivered_.load();
    const auto last = delivered ? counter.last_ns_.load() : now_ns();

    report r;
    r.add("scenario", "offline");
    r.add("messages", opts.messages);
    r.add("drain_seconds", double(last - started) / 1e9);
    r.add("delivered", delivered);
    r.add("login_ms", double(online - started) / 1e6);
    r.add("queue_seconds", queue_seconds);
    r.add("dropped_connections", pool.dropped());
    r.add("other_messages", counter.other_.load());
    return r;
}

}  // namespace bench
