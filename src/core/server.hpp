#pragma once
// The running server: configuration, I/O threads, hosts, sessions, storage and the control socket.
// This header stays free of Asio so that modules and most of the core compile quickly.

#include "core/command_registry.hpp"
#include "core/component_registry.hpp"
#include "core/config.hpp"
#include "core/host.hpp"
#include "core/http_routes.hpp"
#include "core/ingress_gate.hpp"
#include "core/iq_tracker.hpp"
#include "core/metrics.hpp"
#include "core/router.hpp"
#include "core/service_registry.hpp"
#include "core/session_manager.hpp"
#include "core/strand.hpp"
#include "core/throttle.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace starling {

namespace storage {
class Database;
class AccountStore;
}  // namespace storage

class C2sSession;
class S2sManager;
class S2sStatus;

class Server {
public:
    explicit Server(config::Config config);
    ~Server();

    /// Opens storage, loads modules, binds listeners; throws with an operator-readable message.
    void start();
    /// Runs the I/O threads until stop(); returns the exit status.
    int run();
    /// Shuts down (starlingd(8), SIGTERM): stops accepting, closes every stream with
    /// <system-shutdown/>, lets every session end (its undelivered messages go to offline
    /// storage), waits, bounded, until the database has committed every queued job, then stops
    /// the threads. Any thread.
    void stop();
    /// True from the moment stop() takes effect: sessions then end instead of hibernating, and
    /// what they could not deliver is stored rather than bounced to senders who are being
    /// disconnected too. Any thread.
    bool stopping() const;
    /// Re-reads the configuration file and certificates; all-or-nothing. Returns "" on success,
    /// else the reason the new configuration was rejected (the old one keeps running).
    std::string reload();

    std::shared_ptr<const config::Config> config() const;
    Host* host(std::string_view domain);
    std::vector<std::string> host_names() const;
    Router& router() { return router_; }
    SessionManager& sessions() { return sessions_; }
    ComponentRegistry& components() { return components_; }
    ServiceRegistry& services() { return services_; }
    /// The paths the http and https listeners serve.
    HttpRoutes& http_routes() { return http_routes_; }
    /// Whether `domain` is served here: a host, an in-process service or a component.
    bool serves(std::string_view domain);
    storage::Database& database() { return *database_; }
    storage::AccountStore& accounts() { return *accounts_; }
    IqTracker& iq_tracker() { return iq_tracker_; }
    CommandRegistry& commands() { return commands_; }
    Metrics& metrics() { return metrics_; }
    Throttle& auth_throttle() { return auth_throttle_; }
    /// Closed while a part of the server needs client streams to stop reading.
    IngressGate& ingress() { return ingress_; }
    std::chrono::steady_clock::time_point started_at() const { return started_at_; }

    /// Runs `fn` once after `delay` on the server's control thread; the registration cancels it.
    Registration add_timer(std::chrono::milliseconds interval, std::function<void()> fn);
    /// A new strand (core/strand.hpp) on one of the I/O threads, taken in turn. Only once the
    /// server runs (not from a module's load()).
    StrandPtr make_strand();
    /// One of the I/O threads' loops, taken in turn (for a stream this server opens).
    boost::asio::io_context& next_io();
    /// The outgoing server-to-server streams.
    S2sManager& s2s() { return *s2s_; }
    /// True when the server federates (an s2s listener is configured): stanzas for other
    /// domains go out over s2s streams; otherwise they bounce with remote-server-not-found.
    bool federates() const;
    /// One line per live server-to-server stream, both directions (starlingctl s2s).
    std::vector<std::string> s2s_streams() const;
    /// Closes every stream with `domain`, both directions; returns how many.
    std::size_t close_s2s(const std::string& domain);
    /// Runs `fn` on the control thread (for work that must not run on an I/O thread).
    void post(std::function<void()> fn);
    /// Runs `fn` once, after `delay`, on the control thread; never once the server stopped.
    void post_after(std::chrono::milliseconds delay, std::function<void()> fn);

    /// The ports actually bound, by listener index (port 0 in the config picks a free one).
    std::vector<std::uint16_t> bound_ports() const;

private:
    struct Impl;

    /// Calls `fn` for each live server-to-server stream, both directions, under the lock of
    /// the incoming ones (so `fn` must be quick).
    void for_each_s2s_status(const std::function<void(const S2sStatus&)>& fn) const;

    /// Waits for the next SIGHUP (reload, then wait again), SIGTERM or SIGINT (stop).
    void wait_for_signal();

    /// The rest of stop(), on the control thread: waits, bounded, for `streams` to end and then
    /// for storage to commit, and stops the threads.
    void wait_for_shutdown(std::vector<std::shared_ptr<C2sSession>> streams);

    mutable std::mutex config_mutex_;
    std::shared_ptr<const config::Config> config_;
    // Before the parts that take their counters from it as they are made (the router, the
    // ingress gate), and so destroyed after everything that counts.
    Metrics metrics_;
    std::map<std::string, std::unique_ptr<Host>, std::less<>> hosts_;
    SessionManager sessions_;
    ComponentRegistry components_;
    ServiceRegistry services_;
    HttpRoutes http_routes_;
    Router router_;
    IqTracker iq_tracker_;
    CommandRegistry commands_;
    Throttle auth_throttle_;
    IngressGate ingress_;
    std::unique_ptr<storage::Database> database_;
    std::unique_ptr<storage::AccountStore> accounts_;
    std::chrono::steady_clock::time_point started_at_;
    std::unique_ptr<Impl> impl_;
    // After impl_, so destroyed before it: the streams' sockets belong to its I/O loops.
    std::unique_ptr<S2sManager> s2s_;
    // After s2s_, so gone before the streams it counts.
    Registration s2s_streams_gauge_;
};

}  // namespace starling
