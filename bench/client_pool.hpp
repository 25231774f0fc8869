#pragma once
// The generator's connections spread over its worker threads, and the phases a scenario runs
// on all of them at once (log in, run a step on every worker, close).

#include "bench/connection.hpp"
#include "bench/options.hpp"
#include "bench/scram_client.hpp"
#include "bench/worker.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace bench {

class client_pool {
public:
    /// Resolves the server and the source addresses (throws bench_error on bad ones) and starts
    /// the worker threads.
    explicit client_pool(const options& opts);
    /// Connections to another server (`opts`, e.g. options::peer_side) on the worker threads of
    /// `home`, so that one message handler per worker sees both pools' messages: an account
    /// lives on the same worker in both. Destroy it before `home`.
    client_pool(const options& opts, client_pool& home);
    ~client_pool();

    const options& opts() const { return opts_; }
    std::size_t worker_count() const { return workers_.size(); }
    worker& worker_of(std::uint32_t account) { return *workers_[slot(account) % workers_.size()]; }
    /// The connection of `account` from the last `connect` that included it (or null); touch it
    /// only on its worker's thread.
    connection* connection_of(std::uint32_t account);

    /// Connects accounts [first, first + count) and runs their login or registration with
    /// `--concurrency` in flight; returns once all have finished.
    login_results connect(std::uint32_t first, std::uint32_t count, connection::goal goal);

    /// Runs `step(worker)` on every worker's thread and waits until each has run.
    void on_each_worker(const std::function<void(worker&)>& step);

    /// Closes every connection (</stream:stream>) and forgets them.
    void close_all();

    /// How many salted passwords the generator has computed (cache misses) so far.
    std::uint64_t pbkdf2_runs() const { return cache_.computed(); }

    /// Counted per worker: a pool sharing its workers counts the other pool's connections too.
    std::uint64_t dropped();
    std::optional<std::string> first_drop();

private:
    client_pool(const options& opts, client_pool* home);
    std::size_t slot(std::uint32_t account) const { return account - opts_.first; }

    const options& opts_;
    asio::ssl::context tls_;
    salted_password_cache cache_;
    connection_setup setup_;
    std::vector<std::unique_ptr<worker>> own_workers_;  // empty when sharing another pool's
    std::vector<worker*> workers_;
    std::vector<std::shared_ptr<connection>> connections_;  // by slot
};

}  // namespace bench
