// chat: every online client sends 1:1 messages to random online peers, either at an aggregate
// rate (spread over the workers, paced by one timer per worker) or as fast as the server takes
// them with a window of outstanding messages per client. Each body carries the sender, a
// sequence number and the send time; after a grace period the deliveries give the loss,
// duplicate and latency figures. With --peer-domain the receivers are the same accounts on a
// second server, logged in on the same workers, so every message crosses one s2s stream and its
// latency is still read off one steady clock.
#include "bench/bench_error.hpp"
#include "bench/client_pool.hpp"
#include "bench/delivery_ledger.hpp"
#include "bench/process_stats.hpp"
#include "bench/scenarios/scenarios.hpp"

#include <atomic>
#include <optional>
#include <random>
#include <thread>

namespace bench {
namespace {

// One worker's share of the traffic; all of it runs on that worker's thread.
class chat_traffic final : public message_handler {
public:
    chat_traffic(client_pool& pool, worker& w, std::vector<chat_traffic*>& all,
                 const std::vector<std::string>& jids, std::uint32_t run)
        : pool_(pool),
          worker_(w),
          all_(all),
          jids_(jids),
          run_(run),
          timer_(w.io()),
          random_(0x9e3779b9u + w.number()) {}

    void start() {
        const auto& opts = pool_.opts();
        for (std::uint32_t a = opts.first; a < opts.first + opts.users; ++a)
            if (&pool_.worker_of(a) == &worker_) senders_.push_back(pool_.connection_of(a));
        sending_ = true;
        started_ns_ = now_ns();
        if (opts.rate > 0) {
            rate_ = opts.rate / double(pool_.worker_count());
            return schedule_tick();
        }
        for (auto* c : senders_)
            for (std::uint32_t i = 0; i < opts.window; ++i) send_one(*c);
    }

    void stop() {
        sending_ = false;
        timer_.cancel();
    }

    /// A message `sender` sent was delivered (window mode refills).
    void delivered_from(std::uint32_t sender) {
        auto* c = pool_.connection_of(sender);
        if (c->outstanding > 0) --c->outstanding;
        if (sending_) send_one(*c);
    }

    void on_message(connection& receiver, const stanza& message) override {
        if (!counting_) return;
        const auto body = decode_body(message.body);
        if (!body || body->run != run_) {
            ++foreign_;
            return;
        }
        const auto now = now_ns();
        if (message.type == "error") {
            ++bounced_;
        } else {
            ledger_.record_delivery(body->sender, body->seq);
            latency_.add(now > body->sent_ns ? now - body->sent_ns : 0);
            last_delivery_ns_ = now;
        }
        delivered_.fetch_add(1, std::memory_order_relaxed);
        if (pool_.opts().rate > 0) return;
        auto& sender_worker = pool_.worker_of(body->sender);
        if (&sender_worker == &worker_) return delivered_from(body->sender);
        auto* target = all_[sender_worker.number()];
        asio::post(sender_worker.io(), [target, s = body->sender] { target->delivered_from(s); });
    }

    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> delivered_{0};
    delivery_ledger ledger_;
    latency_stats latency_;
    std::uint64_t started_ns_ = 0;
    std::uint64_t last_delivery_ns_ = 0;
    std::uint64_t bounced_ = 0;
    std::uint64_t foreign_ = 0;
    bool counting_ = true;

private:
    void send_one(connection& c) {
        if (!c.online()) return;
        const auto& opts = pool_.opts();
        std::uint32_t to = 0;
        if (opts.s2s()) {
            // Every account of the peer server is someone else.
            to = static_cast<std::uint32_t>(random_() % jids_.size());
        } else if (opts.users > 1) {
            // A random other account: draw from the users - 1 others and skip over oneself.
            to = static_cast<std::uint32_t>(random_() % (opts.users - 1));
            if (to >= c.account() - opts.first) ++to;
        }
        const message_body body{run_, c.account(), c.next_seq++, now_ns()};
        ledger_.record_sent(body.sender, body.seq);
        ++c.outstanding;
        sent_.fetch_add(1, std::memory_order_relaxed);
        c.send_chat(jids_[to], body);
    }

    void schedule_tick() {
        timer_.expires_after(std::chrono::milliseconds(1));
        timer_.async_wait([this](const error_code& ec) {
            if (ec || !sending_) return;
            tick();
            schedule_tick();
        });
    }

    // Sends what the target rate says is due by now; a late tick catches up.
    void tick() {
        if (senders_.empty()) return;
        const double elapsed = double(now_ns() - started_ns_) / 1e9;
        const auto due = static_cast<std::uint64_t>(rate_ * elapsed);
        auto sent = sent_.load(std::memory_order_relaxed);
        for (int burst = 0; sent < due && burst < 10000; ++sent, ++burst)
            send_one(*senders_[random_() % senders_.size()]);
    }

    client_pool& pool_;
    worker& worker_;
    std::vector<chat_traffic*>& all_;
    const std::vector<std::string>& jids_;
    std::uint32_t run_;
    asio::steady_timer timer_;
    std::minstd_rand random_;
    std::vector<connection*> senders_;
    double rate_ = 0;
    bool sending_ = false;
};

// Waits on the delivery of one message with its own run id; nothing else counts.
class first_delivery final : public message_handler {
public:
    explicit first_delivery(std::uint32_t run) : run_(run) {}

    void on_message(connection&, const stanza& message) override {
        const auto body = decode_body(message.body);
        if (!body || body->run != run_) return;
        if (message.type == "error") {
            bounced_.store(true);
        } else {
            delivered_ns_.store(now_ns());
        }
    }

    std::atomic<std::uint64_t> sent_ns_{0};
    std::atomic<std::uint64_t> delivered_ns_{0};
    std::atomic<bool> bounced_{false};

private:
    std::uint32_t run_;
};

// The first message from --domain to --peer-domain makes the sending server open its s2s
// stream (find the peer, TCP, TLS, authenticate) before it can pass the message on; it is sent
// alone, before the traffic, so the set-up time is neither hidden in nor added to the
// traffic's latency. Milliseconds from writing it to its delivery.
double time_first_delivery(client_pool& pool, const std::string& to, std::uint32_t run,
                           double timeout_seconds) {
    const auto& opts = pool.opts();
    first_delivery probe(run);
    pool.on_each_worker([&probe](worker& w) { w.set_message_handler(&probe); });
    asio::post(pool.worker_of(opts.first).io(), [&] {
        const auto sent = now_ns();
        probe.sent_ns_.store(sent);
        pool.connection_of(opts.first)->send_chat(to, message_body{run, opts.first, 0, sent});
    });
    const auto deadline = now_ns() + static_cast<std::uint64_t>(timeout_seconds * 1e9);
    while (now_ns() < deadline && !probe.delivered_ns_.load() && !probe.bounced_.load())
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    pool.on_each_worker([](worker& w) { w.set_message_handler(nullptr); });
    if (probe.bounced_.load())
        throw bench_error("the first message from " + opts.jid(opts.first) + " to " + to +
                          " came back as an error: the servers could not set up s2s (see their "
                          "logs)");
    if (!probe.delivered_ns_.load())
        throw bench_error("the first message from " + opts.jid(opts.first) + " to " + to +
                          " was not delivered within " + std::to_string(int(timeout_seconds)) +
                          " s: no s2s stream (see the servers' logs)");
    return double(probe.delivered_ns_.load() - probe.sent_ns_.load()) / 1e6;
}

}  // namespace

report run_chat(const options& opts) {
    const process_set server{opts.server_pids};
    // Declared in this order so that the peer's pool, which borrows the home pool's workers, is
    // destroyed first.
    const options peer_opts = opts.peer_side();
    client_pool pool(opts);
    std::optional<client_pool> peer;
    auto logins = pool.connect(opts.first, opts.users, connection::goal::login);
    require_all_online(logins, opts.users);
    if (opts.s2s()) {
        peer.emplace(peer_opts, pool);
        require_all_online(peer->connect(opts.first, opts.users, connection::goal::login),
                           opts.users);
    }

    const auto& receivers = opts.s2s() ? peer_opts : opts;
    std::vector<std::string> jids;
    for (std::uint32_t a = opts.first; a < opts.first + opts.users; ++a)
        jids.push_back(receivers.jid(a));
    const auto run = static_cast<std::uint32_t>(std::random_device{}());
    // The probe's run id differs from the traffic's, so neither is counted as the other.
    const double s2s_setup_ms = opts.s2s() ? time_first_delivery(pool, jids[0], run + 1, 30) : 0;
    std::vector<std::unique_ptr<chat_traffic>> traffic;
    std::vector<chat_traffic*> by_worker;
    pool.on_each_worker([&](worker& w) {
        traffic.push_back(std::make_unique<chat_traffic>(pool, w, by_worker, jids, run));
        by_worker.push_back(traffic.back().get());
        w.set_message_handler(traffic.back().get());
    });
    auto total = [&traffic](auto member) {
        std::uint64_t sum = 0;
        for (auto& t : traffic) sum += ((*t).*member).load(std::memory_order_relaxed);
        return sum;
    };

    const double server_before = server.cpu_seconds();
    const double own_before = own_cpu_seconds();
    const auto started = now_ns();
    pool.on_each_worker([&](worker& w) { by_worker[w.number()]->start(); });
    std::this_thread::sleep_for(std::chrono::duration<double>(opts.duration_seconds));
    pool.on_each_worker([&](worker& w) { by_worker[w.number()]->stop(); });
    const auto stopped = now_ns();
    // Grace: wait for stragglers, but no longer than needed once everything has arrived.
    const auto grace_end = stopped + static_cast<std::uint64_t>(opts.grace_seconds * 1e9);
    while (now_ns() < grace_end && total(&chat_traffic::delivered_) < total(&chat_traffic::sent_))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    pool.on_each_worker([&](worker& w) {
        by_worker[w.number()]->counting_ = false;
        w.set_message_handler(nullptr);
    });
    // Refills one worker posted to another before it stopped counting run now, while the
    // traffic objects they point to still exist.
    pool.on_each_worker([](worker&) {});
    const double own_cpu = own_cpu_seconds() - own_before;
    const double server_cpu = server.cpu_seconds() - server_before;

    delivery_ledger ledger;
    latency_stats latency;
    std::uint64_t last_delivery = started, bounced = 0, foreign = 0;
    for (auto& t : traffic) {
        ledger.merge(std::move(t->ledger_));
        latency.merge(std::move(t->latency_));
        last_delivery = std::max(last_delivery, t->last_delivery_ns_);
        bounced += t->bounced_;
        foreign += t->foreign_;
    }
    const auto totals = ledger.totals();
    const double seconds = double(std::max(last_delivery, stopped) - started) / 1e9;

    report r;
    r.add("scenario", opts.s2s() ? "chat_s2s" : "chat");
    r.add("clients", opts.users);
    if (opts.s2s()) {
        r.add("peer_domain", opts.peer_domain);
        r.add("s2s_setup_ms", s2s_setup_ms);
    }
    r.add("sent", totals.sent);
    r.add("delivered", totals.unique);
    r.add("lost", totals.lost);
    r.add("duplicated", totals.duplicated);
    r.add("bounced", bounced);
    r.add("seconds", seconds);
    r.add("send_seconds", double(stopped - started) / 1e9);
    r.add("sent_per_s", double(totals.sent) / (double(stopped - started) / 1e9));
    r.add("delivered_per_s", double(totals.unique) / seconds);
    auto& ms = r.group("latency_ms");
    ms.add("p50", latency.percentile(0.50) / 1e6);
    ms.add("p90", latency.percentile(0.90) / 1e6);
    ms.add("p99", latency.percentile(0.99) / 1e6);
    ms.add("p999", latency.percentile(0.999) / 1e6);
    ms.add("max", latency.max() / 1e6);
    r.add("generator_cpu_s", own_cpu);
    r.add("server_cpu_s", server_cpu);
    r.add("server_cpu_ms_per_1k_msgs",
          totals.unique ? server_cpu * 1000 / (double(totals.unique) / 1000) : 0.0);
    r.add("dropped_connections", pool.dropped());
    if (foreign) r.add("foreign_messages", foreign);
    return r;
}

}  // namespace bench
