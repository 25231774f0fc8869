#include "bench/client_pool.hpp"

#include "bench/bench_error.hpp"

#include <latch>

namespace bench {

client_pool::client_pool(const options& opts) : client_pool(opts, nullptr) {}

client_pool::client_pool(const options& opts, client_pool& home) : client_pool(opts, &home) {}

client_pool::client_pool(const options& opts, client_pool* home)
    : opts_(opts), tls_(asio::ssl::context::tls_client) {
    // Loopback benchmarks use self-signed certificates: nothing is verified.
    tls_.set_verify_mode(asio::ssl::verify_none);
    setup_.opts = &opts_;
    setup_.tls = &tls_;
    setup_.cache = &cache_;
    error_code ec;
    const auto address = asio::ip::make_address(opts.host, ec);
    if (ec) throw bench_error("--host " + opts.host + ": not an IP address (" + ec.message() + ")");
    setup_.server = tcp::endpoint(address, opts.port);
    for (const auto& source : opts.sources) {
        const auto source_address = asio::ip::make_address(source, ec);
        if (ec) throw bench_error("--sources: '" + source + "' is not an IP address");
        setup_.sources.push_back(source_address);
    }
    if (home) {
        workers_ = home->workers_;
        return;
    }
    for (unsigned i = 0; i < std::max(opts.threads, 1u); ++i) {
        own_workers_.push_back(std::make_unique<worker>(i));
        workers_.push_back(own_workers_.back().get());
    }
}

client_pool::~client_pool() {
    close_all();
    for (auto& w : own_workers_) w->finish(std::chrono::seconds(2));
}

connection* client_pool::connection_of(std::uint32_t account) {
    const auto s = slot(account);
    return s < connections_.size() ? connections_[s].get() : nullptr;
}

login_results client_pool::connect(std::uint32_t first, std::uint32_t count,
                                   connection::goal goal) {
    std::vector<std::vector<std::shared_ptr<connection>>> batches(workers_.size());
    for (std::uint32_t account = first; account < first + count; ++account) {
        auto& w = worker_of(account);
        auto c = std::make_shared<connection>(w.io(), setup_, w, account);
        if (slot(account) >= connections_.size()) connections_.resize(slot(account) + 1);
        connections_[slot(account)] = c;
        batches[w.number()].push_back(std::move(c));
    }
    const auto per_worker =
        std::max<std::uint32_t>(1, opts_.concurrency / static_cast<std::uint32_t>(workers_.size()));
    std::latch finished(static_cast<std::ptrdiff_t>(workers_.size()));
    for (auto* w : workers_) {
        asio::post(w->io(), [&, wp = w] {
            wp->run_logins(std::move(batches[wp->number()]), goal, per_worker,
                           [&finished] { finished.count_down(); });
        });
    }
    finished.wait();
    login_results all;
    on_each_worker([&all](worker& w) { all.merge(w.take_login_results()); });
    return all;
}

void client_pool::on_each_worker(const std::function<void(worker&)>& step) {
    // One worker at a time, so `step` may touch state shared by the caller without a lock.
    for (auto* w : workers_) {
        std::latch ran(1);
        asio::post(w->io(), [&] {
            step(*w);
            ran.count_down();
        });
        ran.wait();
    }
}

void client_pool::close_all() {
    on_each_worker([this](worker& w) {
        for (auto& c : connections_)
            if (c && &worker_of(c->account()) == &w) c->close();
    });
    // The connections stay alive through their pending handlers (shared_from_this).
    on_each_worker([this](worker& w) {
        for (auto& c : connections_)
            if (c && &worker_of(c->account()) == &w) c.reset();
    });
    connections_.clear();
}

std::uint64_t client_pool::dropped() {
    std::uint64_t total = 0;
    on_each_worker([&total](worker& w) { total += w.dropped(); });
    return total;
}

std::optional<std::string> client_pool::first_drop() {
    std::optional<std::string> first;
    on_each_worker([&first](worker& w) {
        if (!first) first = w.first_drop();
    });
    return first;
}

}  // namespace bench
