#include "core/server.hpp"

#include "core/control_socket.hpp"
#include "core/host_meta.hpp"
#include "core/listener_types.hpp"
#include "core/logging.hpp"
#include "core/module_loader.hpp"
#include "net/asio.hpp"
#include "net/connection_limits.hpp"
#include "net/http_session.hpp"
#include "net/websocket_stream.hpp"
#include "net/tls_context.hpp"
#include "storage/account_store.hpp"
#include "stream/c2s_session.hpp"
#include "stream/component_session.hpp"
#include "stream/s2s_in_session.hpp"
#include "stream/s2s_manager.hpp"
#include "stream/s2s_out_session.hpp"
#include "stream/bosh_endpoint.hpp"
#include "stream/websocket_framing.hpp"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <thread>

namespace starling {

namespace {

// The TLS contexts of the listeners: c2s (and direct TLS) ones, and the s2s ones, which ask the
// peer server for its certificate (null when no s2s listener is configured). Built whole and
// swapped whole on reload.
struct TlsSet {
    std::shared_ptr<net::TlsContexts> c2s;
    std::shared_ptr<net::TlsContexts> s2s;
};

TlsSet make_tls(const config::Config& config) {
    TlsSet set;
    set.c2s = std::make_shared<net::TlsContexts>(config.tls);
    const bool s2s = std::any_of(config.listen.begin(), config.listen.end(), [](const auto& l) {
        return find_listener_type(l.type)->kind == StreamKind::s2s;
    });
    if (s2s)
        set.s2s = std::make_shared<net::TlsContexts>(
            config.tls, net::PeerCertificates{true, config.s2s.ca_file});
    return set;
}

}  // namespace

struct Server::Impl {
    using tcp = asio::ip::tcp;
    using Guard = asio::executor_work_guard<asio::io_context::executor_type>;

    struct Listener {
        config::ListenConfig config;
        std::uint16_t port = 0;
        std::vector<std::unique_ptr<tcp::acceptor>> acceptors;  // one per I/O thread
    };

    std::vector<std::unique_ptr<asio::io_context>> io;
    std::vector<Guard> guards;
    std::vector<std::thread> threads;
    asio::io_context control;
    std::optional<Guard> control_guard;
    std::optional<asio::signal_set> signals;
    std::vector<Listener> listeners;
    std::unique_ptr<ControlSocket> control_socket;
    asio::steady_timer housekeeping{control};
    std::chrono::steady_clock::time_point last_idle_release{};

    std::mutex tls_mutex;
    TlsSet tls;

    std::mutex connections_mutex;
    std::vector<std::weak_ptr<C2sSession>> connections;       // every stream, authenticated or not
    std::vector<std::weak_ptr<ComponentSession>> components;  // every component stream
    std::vector<std::weak_ptr<S2sInSession>> s2s_in;          // every incoming s2s stream

    /// Starts a client's stream, over TCP or a WebSocket.
    void start_c2s(std::shared_ptr<C2sSession> session) {
        {
            std::lock_guard lock(connections_mutex);
            connections.push_back(session);
        }
        session->start();
    }

    /// Starts the stream a connection accepted on a listener of `type` speaks.
    void start_stream(Server& server, const ListenerType& type, asio::ip::tcp::socket socket,
                      std::shared_ptr<void> slot) {
        switch (type.kind) {
            case StreamKind::c2s:
                return start_c2s(std::make_shared<C2sSession>(server, std::move(socket),
                                                              tls_contexts().c2s,
                                                              type.direct_tls, std::move(slot)));
            case StreamKind::component: {
                auto session =
                    std::make_shared<ComponentSession>(server, std::move(socket), std::move(slot));
                {
                    std::lock_guard lock(connections_mutex);
                    std::erase_if(components, [](const auto& w) { return w.expired(); });
                    components.push_back(session);
                }
                return session->start();
            }
            case StreamKind::s2s: {
                auto session =
                    std::make_shared<S2sInSession>(server, std::move(socket), tls_contexts().s2s,
                                                   type.direct_tls, std::move(slot));
                {
                    std::lock_guard lock(connections_mutex);
                    std::erase_if(s2s_in, [](const auto& w) { return w.expired(); });
                    s2s_in.push_back(session);
                }
                return session->start();
            }
            case StreamKind::http:
                return std::make_shared<net::HttpSession>(
                           std::move(socket), server.http_routes(), server.config()->http,
                           type.direct_tls ? tls_contexts().c2s : nullptr, std::move(slot))
                    ->start();
            case StreamKind::metrics:
                return std::make_shared<net::HttpSession>(std::move(socket), metrics_routes,
                                                          server.config()->http, nullptr,
                                                          std::move(slot))
                    ->start();
        }
    }
    /// What a metrics listener serves: /metrics and nothing else.
    HttpRoutes metrics_routes;
    Registration metrics_route;
    Registration websocket_route;
    std::shared_ptr<BoshEndpoint> bosh;
    Registration bosh_route;
    std::vector<Registration> host_meta_routes;

    std::vector<Registration> core_commands;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> next_strand_thread{0};
    net::ConnectionLimits limits;

    TlsSet tls_contexts() {
        std::lock_guard lock(tls_mutex);
        return tls;
    }
};

namespace {

// How long a stream is quiet before it gives back its parser, and how often that is checked.
// Short, because the parsers of a login storm all live until then: at 5 s, 10,000 logins at
// 1,500 a second left ~100 MB of freed parsers that glibc could not give back (they lie between
// live objects). A client quiet for 2 s rebuilds its parser at its next read, a few µs.
constexpr auto idle_release_every = std::chrono::seconds(2);

// How long accepting pauses after accept() failed (no descriptor or memory left).
constexpr auto accept_pause = std::chrono::milliseconds(200);

// The storage latency histogram's bounds, in seconds: an fsync'd SQLite commit takes ~5 ms, a
// group of jobs some tens, and a job past a few seconds waits behind an outage.
const std::vector<double> storage_job_buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};

// Descriptors kept back from limits.connections' automatic value: the database, the log, the
// listeners, the control socket and starlingctl's connections need theirs.
constexpr rlim_t reserved_descriptors = 256;

// Raises the open-file limit to what the system allows (the soft limit is often 1,024 while
// the hard one is far higher) and returns the connections that fit into it: the configured
// number, or when that is 0, the open-file limit less a reserve.
std::size_t connection_limit(std::size_t configured) {
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &files) != 0) getrlimit(RLIMIT_NOFILE, &files);
    }
    if (configured != 0 || files.rlim_cur == RLIM_INFINITY) return configured;
    const rlim_t usable = files.rlim_cur > 2 * reserved_descriptors
                              ? files.rlim_cur - reserved_descriptors
                              : files.rlim_cur / 2;
    spdlog::info("limits.connections: {} (the open-file limit {} less {} kept back)", usable,
                 files.rlim_cur, files.rlim_cur - usable);
    return static_cast<std::size_t>(usable);
}

// Tells a refused client why, where it can read it: on a plain listener the connection gets a
// stream header and <policy-violation/> (RFC 6120 §4.9.3.14), or on an HTTP one a 503, written
// at once; a direct TLS one is just closed, since nothing can be said before the handshake.
void refuse(asio::ip::tcp::socket& socket, const ListenerType& type, const std::string& why) {
    if (type.direct_tls) return;
    const bool http = type.kind == StreamKind::http || type.kind == StreamKind::metrics;
    const std::string body = "too many connections: " + why + "\n";
    const std::string text =
        http ? "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
               "Content-Length: " +
                   std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body
             : "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:error>"
               "<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
               "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>too many connections: " +
                   why + "</text></stream:error></stream:stream>";
    error_code ec;
    // A new connection's send buffer is empty: the write cannot block, and if it fails the
    // client learns from the close alone.
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(text), ec);
}

// The new connection's slot, or null when a limit refuses it (and it is closed).
std::shared_ptr<void> admit(net::ConnectionLimits& limits, Metrics& metrics,
                            asio::ip::tcp::socket& socket, const ListenerType& type) {
    error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    const std::string address = ec ? std::string() : endpoint.address().to_string();
    std::string refused;
    if (auto slot = limits.admit(address, refused)) return slot;
    // Counted and logged at debug only: a flood of refusals must not flood the log as well.
    metrics.counter("c2s.refused").add();
    spdlog::debug("refused a connection from {}: {}", address, refused);
    refuse(socket, type, refused);
    socket.close(ec);
    return nullptr;
}

// A connection's slot that also counts it in `open` for as long as it is held (the stream
// holds its slot until its socket closes).
std::shared_ptr<void> counted(std::shared_ptr<void> slot, Gauge& open) {
    struct Counted {
        std::shared_ptr<void> slot;
        Gauge& open;
        ~Counted() { open.sub(); }
    };
    open.add();
    return std::shared_ptr<Counted>(new Counted{std::move(slot), open});
}

}  // namespace

Server::Server(config::Config config)
    : config_(std::make_shared<const config::Config>(std::move(config))),
      router_(*this),
      ingress_(metrics_.counter("ingress.closures", {},
                                "Times the ingress gate closed, pausing client reads.")),
      started_at_(std::chrono::steady_clock::now()),
      impl_(std::make_unique<Impl>()),
      s2s_(std::make_unique<S2sManager>(*this)) {
    for (const auto& host : config_->hosts)
        hosts_.emplace(host.domain, std::make_unique<Host>(*this, host.domain));
    std::vector<std::string> component_domains;
    for (const auto& component : config_->components) component_domains.push_back(component.domain);
    components_.configure(std::move(component_domains));
    add_core_commands(commands_, impl_->core_commands);
}

Server::~Server() {
    for (auto& [name, host] : hosts_) host->set_modules({});
    impl_->core_commands.clear();
}

std::shared_ptr<const config::Config> Server::config() const {
    std::lock_guard lock(config_mutex_);
    return config_;
}

Host* Server::host(std::string_view domain) {
    // The set of hosts is fixed for the life of the process (a reload may not change it), so
    // this lookup needs no lock.
    auto it = hosts_.find(domain);
    return it == hosts_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Server::host_names() const {
    std::vector<std::string> out;
    for (const auto& [name, host] : hosts_) out.push_back(name);
    return out;
}

void Server::start() {
    const auto config = this->config();
    auth_throttle_.set_limit(config->limits.auth_failures, std::chrono::seconds(60));

    storage::DatabaseConfig db{
        config->storage.driver, config->storage.path, config->storage.conninfo,
        &metrics_.histogram("storage.job_seconds", storage_job_buckets,
                            "Seconds from a database job being queued to its result.")};
    database_ = storage::open_database(db);
    const int applied = storage::migrate(*database_, config->schema_path);
    if (applied > 0) spdlog::info("storage: applied {} migration(s)", applied);
    accounts_ = std::make_unique<storage::AccountStore>(*database_);

    impl_->tls = make_tls(*config);

    for (auto& [name, host] : hosts_) host->set_modules(load_modules(*host, *config));

    const unsigned threads =
        config->threads > 0 ? config->threads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i) {
        impl_->io.push_back(std::make_unique<asio::io_context>(1));
        impl_->guards.emplace_back(impl_->io.back()->get_executor());
    }

    // Before any listener: a SIGTERM from the moment a client could connect must shut down
    // cleanly rather than kill the process (it is handled once run() starts the control loop).
    impl_->signals.emplace(impl_->control, SIGHUP, SIGTERM, SIGINT);
    wait_for_signal();

    // Each I/O thread accepts on its own socket (SO_REUSEPORT): the kernel spreads connections
    // and a connection never leaves the thread that accepted it.
    for (const auto& lc : config->listen) {
        Impl::Listener listener{lc, lc.port, {}};
        // SO_REUSEPORT would let this process share a port another starlingd already listens
        // on, the kernel splitting clients between the two: a plain bind first says whether
        // the port is free.
        if (lc.port != 0) {
            Impl::tcp::acceptor probe(impl_->control);
            Impl::tcp::endpoint endpoint(asio::ip::make_address(lc.address), lc.port);
            probe.open(endpoint.protocol());
            probe.set_option(asio::socket_base::reuse_address(true));
            error_code ec;
            probe.bind(endpoint, ec);
            if (ec)
                throw std::runtime_error("listen: cannot bind " + lc.type + " on " + lc.address +
                                         ":" + std::to_string(lc.port) + ": " + ec.message() +
                                         " (is another server running?)");
        }
        for (auto& io : impl_->io) {
            auto acceptor = std::make_unique<Impl::tcp::acceptor>(*io);
            Impl::tcp::endpoint endpoint(asio::ip::make_address(lc.address), listener.port);
            acceptor->open(endpoint.protocol());
            acceptor->set_option(asio::socket_base::reuse_address(true));
            int one = 1;
            ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
            error_code ec;
            acceptor->bind(endpoint, ec);
            if (ec)
                throw std::runtime_error("listen: cannot bind " + lc.type + " on " + lc.address +
                                         ":" + std::to_string(listener.port) + ": " + ec.message());
            acceptor->listen(asio::socket_base::max_listen_connections);
            listener.port = acceptor->local_endpoint().port();
            listener.acceptors.push_back(std::move(acceptor));
        }
        spdlog::info("listening for {} on {}:{}", lc.type, lc.address, listener.port);
        impl_->listeners.push_back(std::move(listener));
    }
    impl_->metrics_route = impl_->metrics_routes.add("/metrics", [this](HttpRequest& request,
                                                                        HttpRespond respond) {
        if (request.method != "GET" && request.method != "HEAD") {
            auto refused = HttpResponse::text(405, "only GET and HEAD are served at /metrics");
            refused.headers.emplace_back("Allow", "GET, HEAD");
            return respond(std::move(refused));
        }
        HttpResponse response;
        response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        response.body = metrics_.prometheus();
        respond(std::move(response));
    });
    if (!config->http.websocket_path.empty()) {
        // RFC 7395: a client's stream over a WebSocket of an http or https listener.
        impl_->websocket_route = http_routes_.add_websocket(
            config->http.websocket_path, "xmpp",
            [this](HttpRequest&, std::shared_ptr<net::WebSocketStream> stream,
                   std::shared_ptr<void> slot) {
                stream->set_framing({websocket_framing::inbound, websocket_framing::outbound});
                stream->set_message_limit(this->config()->limits.stanza_bytes);
                impl_->start_c2s(
                    std::make_shared<C2sSession>(*this, std::move(stream), std::move(slot)));
            });
    }
    if (!config->http.bosh_path.empty()) {
        // XEP-0124/0206: a client's stream over BOSH sessions of an http or https listener.
        Gauge* open = &metrics_.gauge("connections", {{"type", "bosh"}},
                                      "Open connections, by the type of listener that took them");
        impl_->bosh = std::make_shared<BoshEndpoint>(BoshEndpoint::Hooks{
            [this] {
                const auto http = this->config()->http;
                return BoshEndpoint::Limits{static_cast<unsigned>(http.bosh_max_wait),
                                            static_cast<unsigned>(http.bosh_inactivity)};
            },
            [this](std::string_view domain) { return host(domain) != nullptr; },
            [this, open](const std::string& address, std::string& refused) {
                auto slot = impl_->limits.admit(address, refused);
                if (!slot) metrics_.counter("c2s.refused").add();
                return slot ? counted(std::move(slot), *open) : nullptr;
            },
            [this] { return asio::any_io_executor(next_io().get_executor()); },
            [this](std::shared_ptr<BoshStream> stream, std::shared_ptr<void> slot) {
                impl_->start_c2s(
                    std::make_shared<C2sSession>(*this, std::move(stream), std::move(slot)));
            }});
        HttpRoute route;
        route.handler = [bosh = impl_->bosh](HttpRequest& request, HttpRespond respond) {
            bosh->handle(request, std::move(respond));
        };
        // A request is held for up to the session's 'wait', then answered in time.
        route.answer_within =
            std::chrono::seconds(config->http.bosh_max_wait + config->http.request_timeout);
        impl_->bosh_route = http_routes_.add_route(config->http.bosh_path, std::move(route));
    }
    if (!config->http.websocket_path.empty() || !config->http.bosh_path.empty()) {
        // XEP-0156: where web clients find the endpoints above.
        for (const bool json : {false, true})
            impl_->host_meta_routes.push_back(http_routes_.add(
                json ? "/.well-known/host-meta.json" : "/.well-known/host-meta",
                [this, json](HttpRequest& request, HttpRespond respond) {
                    host_meta::answer(request, std::move(respond), this->config()->http, json);
                }));
    }
    impl_->limits.set_limits(connection_limit(config->limits.connections),
                             config->limits.connections_per_ip);
    for (auto& listener : impl_->listeners) {
        // The configuration accepted only known types.
        const ListenerType* type = find_listener_type(listener.config.type);
        Gauge* open = &metrics_.gauge("connections", {{"type", std::string(type->name)}},
                                      "Open connections, by the type of listener that took them");
        for (auto& acceptor : listener.acceptors) {
            auto* raw = acceptor.get();
            auto pause = std::make_shared<asio::steady_timer>(raw->get_executor());
            // The pending accept (or pause) owns the loop; the loop refers to itself weakly,
            // since a function holding its own shared_ptr is a cycle that outlives the server.
            auto accept = std::make_shared<std::function<void()>>();
            *accept = [this, raw, pause, type, open, next = std::weak_ptr(accept)] {
                raw->async_accept([this, raw, pause, type, open, accept = next.lock()](
                                      const error_code& ec, Impl::tcp::socket socket) {
                    if (ec == asio::error::operation_aborted || impl_->stopping) return;
                    if (ec) {
                        // Out of descriptors or memory, accept fails at once for as long as the
                        // connection waits in the backlog: pause instead of spinning on it.
                        spdlog::warn("accept: {}; accepting again in {} ms", ec.message(),
                                     accept_pause.count());
                        metrics_.counter("c2s.accept_failed").add();
                        pause->expires_after(accept_pause);
                        return pause->async_wait([accept](const error_code& wait_ec) {
                            if (!wait_ec) (*accept)();
                        });
                    }
                    if (auto slot = admit(impl_->limits, metrics_, socket, *type))
                        impl_->start_stream(*this, *type, std::move(socket),
                                            counted(std::move(slot), *open));
                    (*accept)();
                });
            };
            asio::post(raw->get_executor(), [accept] { (*accept)(); });
        }
    }

    if (!config->control_socket.empty())
        impl_->control_socket =
            std::make_unique<ControlSocket>(impl_->control, *this, config->control_socket);

    // Housekeeping: expire server-sent iqs that got no answer, forget closed connections. Like
    // the accept loops, the pending wait owns it.
    auto tick = std::make_shared<std::function<void()>>();
    *tick = [this, next = std::weak_ptr(tick)] {
        impl_->housekeeping.expires_after(std::chrono::seconds(1));
        impl_->housekeeping.async_wait([this, tick = next.lock()](const error_code& ec) {
            if (ec) return;
            const auto now = std::chrono::steady_clock::now();
            iq_tracker_.expire(now);
            {
                std::lock_guard lock(impl_->connections_mutex);
                std::erase_if(impl_->connections, [](const auto& w) { return w.expired(); });
                // Most streams are quiet most of the time: each gives back what it can rebuild
                // when its client speaks again (DESIGN.md: no per-connection buffers while idle).
                if (now - impl_->last_idle_release >= idle_release_every) {
                    impl_->last_idle_release = now;
                    for (const auto& weak : impl_->connections)
                        if (auto stream = weak.lock();
                            stream && now - stream->last_activity() >= idle_release_every)
                            stream->release_idle_memory();
                }
            }
            (*tick)();
        });
    };
    (*tick)();
    impl_->control_guard.emplace(impl_->control.get_executor());

    s2s_streams_gauge_ = metrics_.gauge_callback(
        "s2s.streams",
        [this] {
            std::map<Labels, double> streams;
            for_each_s2s_status([&streams](const S2sStatus& status) {
                ++streams[{{"direction", status.direction()}, {"peer", status.remote()}}];
            });
            std::vector<Sample> samples;
            for (auto& [labels, count] : streams) samples.push_back({labels, count});
            return samples;
        },
        "Live server-to-server streams, by direction and peer domain.");
}

void Server::wait_for_signal() {
    impl_->signals->async_wait([this](const error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
            spdlog::info("SIGHUP: reloading {}", this->config()->path);
            if (auto error = reload(); !error.empty())
                spdlog::error("reload rejected, the running configuration stays: {}", error);
            wait_for_signal();
        } else {
            spdlog::info("{}: shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
            stop();
        }
    });
}

int Server::run() {
    for (auto& io : impl_->io) impl_->threads.emplace_back([&ctx = *io] { ctx.run(); });
    spdlog::info("starlingd ready: {} host(s), {} I/O thread(s)", hosts_.size(), impl_->io.size());
    impl_->control.run();
    for (auto& t : impl_->threads) t.join();
    return 0;
}

void Server::stop() {
    asio::post(impl_->control, [this] {
        if (impl_->stopping.exchange(true)) return;
        for (auto& listener : impl_->listeners)
            for (auto& acceptor : listener.acceptors)
                asio::post(acceptor->get_executor(), [a = acceptor.get()] {
                    error_code ec;
                    a->close(ec);
                });
        if (impl_->control_socket) impl_->control_socket->close();
        std::vector<std::shared_ptr<C2sSession>> streams;
        std::vector<SessionPtr> components;
        std::vector<std::shared_ptr<S2sInSession>> servers;
        {
            std::lock_guard lock(impl_->connections_mutex);
            for (auto& w : impl_->connections)
                if (auto s = w.lock()) streams.push_back(std::move(s));
            for (auto& w : impl_->components)
                if (auto s = w.lock()) components.push_back(std::move(s));
            for (auto& w : impl_->s2s_in)
                if (auto s = w.lock()) servers.push_back(std::move(s));
        }
        // Hibernated XEP-0198 sessions are among the streams: closing one ends it, and what it
        // held goes to offline storage like everything else a stream had not delivered.
        spdlog::info(
            "shutdown: closing {} client stream(s), {} component(s) and {} incoming "
            "server stream(s)",
            streams.size(), components.size(), servers.size());
        for (auto& s : streams) s->close("system-shutdown");
        for (auto& s : components) s->close("system-shutdown");
        for (auto& s : servers) s->close("system-shutdown");
        s2s_->close_all();
        impl_->housekeeping.cancel();
        wait_for_shutdown(std::move(streams));
    });
}

bool Server::stopping() const {
    return impl_->stopping.load();
}

namespace {

// The bounds of a shutdown, documented in starlingd(8): streams get this long to flush their
// error and end (a client that does not read is cut off after 1 s), then storage gets this long
// to commit what they handed it. Streams get at least the first delay, which lets component
// streams, whose end is not watched, write their error.
constexpr auto shutdown_min_flush = std::chrono::milliseconds(300);
constexpr auto shutdown_streams_bound = std::chrono::seconds(3);
constexpr auto shutdown_storage_bound = std::chrono::seconds(10);
constexpr auto shutdown_poll = std::chrono::milliseconds(20);

}  // namespace

void Server::wait_for_shutdown(std::vector<std::shared_ptr<C2sSession>> streams) {
    using clock = std::chrono::steady_clock;
    const auto began = clock::now();
    struct Wait {
        std::vector<std::shared_ptr<C2sSession>> streams;
        bool streams_done = false;
        clock::time_point storage_began{};
        asio::steady_timer timer;
    };
    auto wait = std::make_shared<Wait>(
        Wait{std::move(streams), false, {}, asio::steady_timer(impl_->control)});
    // Each wait's handler owns the next step, so nothing is left once the threads stop.
    auto step = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weak_step = step;
    *step = [this, wait, weak_step, began] {
        const auto now = clock::now();
        if (!wait->streams_done) {
            std::erase_if(wait->streams, [](const auto& s) { return s->ended(); });
            const bool flushed = now - began >= shutdown_min_flush;
            const bool late = now - began >= shutdown_streams_bound;
            if (late && !wait->streams.empty())
                spdlog::warn(
                    "shutdown: {} stream(s) had not ended after {} s; what they still "
                    "hold is lost",
                    wait->streams.size(), shutdown_streams_bound.count());
            if ((flushed && wait->streams.empty()) || late) {
                wait->streams_done = true;
                wait->streams.clear();
                wait->storage_began = now;
            }
        }
        if (wait->streams_done) {
            const bool idle = database_->idle();
            const auto waited =
                std::chrono::duration_cast<std::chrono::milliseconds>(now - wait->storage_began);
            if (idle || now - wait->storage_began >= shutdown_storage_bound) {
                if (idle)
                    spdlog::info(
                        "shutdown: {} undelivered message(s) stored offline; storage "
                        "committed everything queued ({} ms)",
                        router_.stored_at_shutdown(), waited.count());
                else
                    spdlog::error(
                        "shutdown: storage still had queued writes after {} s; they "
                        "may be lost ({} message(s) handed to offline storage)",
                        shutdown_storage_bound.count(), router_.stored_at_shutdown());
                impl_->guards.clear();
                for (auto& io : impl_->io) io->stop();
                impl_->signals->cancel();
                impl_->control_guard.reset();
                impl_->control.stop();
                return;
            }
        }
        wait->timer.expires_after(shutdown_poll);
        wait->timer.async_wait([next = weak_step.lock()](const error_code&) { (*next)(); });
    };
    (*step)();
}

std::string Server::reload() {
    const auto old = config();
    config::Config fresh;
    try {
        fresh = config::load(old->path);
    } catch (const std::exception& e) {
        return e.what();
    }
    // Hosts, listeners and storage are wired into running state; they change with a restart.
    std::vector<std::string> old_hosts, new_hosts;
    for (const auto& h : old->hosts) old_hosts.push_back(h.domain);
    for (const auto& h : fresh.hosts) new_hosts.push_back(h.domain);
    if (old_hosts != new_hosts)
        return fresh.path + ": hosts: changing the list of hosts needs a restart";
    if (old->listen.size() != fresh.listen.size())
        return fresh.path + ": listen: changing listeners needs a restart";
    for (std::size_t i = 0; i < fresh.listen.size(); ++i) {
        const auto& a = old->listen[i];
        const auto& b = fresh.listen[i];
        if (a.type != b.type || a.address != b.address || a.port != b.port)
            return fresh.path + ": listen: changing listeners needs a restart";
    }
    // Components are listeners' peers: their domains are routed from start-up on, and a secret
    // that changed would leave the connected stream authenticated with the old one.
    if (old->components != fresh.components)
        return fresh.path + ": components: changing components needs a restart";
    if (old->storage.driver != fresh.storage.driver || old->storage.path != fresh.storage.path ||
        old->storage.conninfo != fresh.storage.conninfo)
        return fresh.path + ": storage: changing storage needs a restart";

    TlsSet tls;
    try {
        tls = make_tls(fresh);
    } catch (const std::exception& e) {
        return e.what();
    }
    // New module loggers copy the default logger's sinks and level, so logging goes first; a
    // rejected reload puts the old settings back.
    apply_logging(fresh.log);
    // Load every host's new modules before touching the running ones: all or nothing.
    std::map<std::string, std::vector<std::shared_ptr<LoadedModule>>> modules;
    try {
        for (auto& [name, host] : hosts_) modules[name] = load_modules(*host, fresh);
    } catch (const std::exception& e) {
        apply_logging(old->log);
        return e.what();
    }
    auth_throttle_.set_limit(fresh.limits.auth_failures, std::chrono::seconds(60));
    {
        std::lock_guard lock(impl_->tls_mutex);
        impl_->tls = std::move(tls);
    }
    {
        std::lock_guard lock(config_mutex_);
        config_ = std::make_shared<const config::Config>(std::move(fresh));
    }
    for (auto& [name, host] : hosts_) host->set_modules(std::move(modules[name]));
    spdlog::info("configuration reloaded");
    return {};
}

Registration Server::add_timer(std::chrono::milliseconds interval, std::function<void()> fn) {
    struct Timer {
        asio::steady_timer timer;
        std::function<void()> fn;
        std::chrono::milliseconds interval;
        bool cancelled = false;
    };
    auto timer =
        std::make_shared<Timer>(Timer{asio::steady_timer(impl_->control), std::move(fn), interval});
    auto arm = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weak_arm = arm;
    *arm = [timer, weak_arm] {
        timer->timer.expires_after(timer->interval);
        timer->timer.async_wait([timer, weak_arm](const error_code& ec) {
            if (ec || timer->cancelled) return;
            timer->fn();
            if (auto again = weak_arm.lock()) (*again)();
        });
    };
    asio::post(impl_->control, [arm] { (*arm)(); });
    return Registration([this, timer, arm]() mutable {
        asio::post(impl_->control, [timer, arm] {
            timer->cancelled = true;
            timer->timer.cancel();
        });
        arm.reset();
    });
}

namespace {

class IoStrand final : public Strand {
public:
    explicit IoStrand(asio::io_context& io) : strand_(asio::make_strand(io)) {}
    void post(std::function<void()> fn) override { asio::post(strand_, std::move(fn)); }
    bool running_in_this_thread() const override { return strand_.running_in_this_thread(); }

private:
    asio::strand<asio::io_context::executor_type> strand_;
};

}  // namespace

asio::io_context& Server::next_io() {
    const auto n = impl_->next_strand_thread.fetch_add(1, std::memory_order_relaxed);
    return *impl_->io[n % impl_->io.size()];
}

bool Server::serves(std::string_view domain) {
    return host(domain) || services_.find(domain) || components().serves(domain);
}

bool Server::federates() const {
    const auto& listen = config()->listen;
    return std::any_of(listen.begin(), listen.end(), [](const auto& l) {
        return find_listener_type(l.type)->kind == StreamKind::s2s;
    });
}

std::vector<std::string> Server::s2s_streams() const {
    std::vector<std::string> lines;
    for_each_s2s_status([&lines](const S2sStatus& status) { lines.push_back(status.line()); });
    return lines;
}

void Server::for_each_s2s_status(const std::function<void(const S2sStatus&)>& fn) const {
    for (const auto& stream : s2s_->streams()) fn(stream->status());
    std::lock_guard lock(impl_->connections_mutex);
    for (const auto& weak : impl_->s2s_in)
        if (auto stream = weak.lock(); stream && !stream->ended()) fn(stream->status());
}

std::size_t Server::close_s2s(const std::string& domain) {
    const std::string_view why = "closed by an administrator";
    std::size_t closed = 0;
    for (const auto& stream : s2s_->streams()) {
        if (stream->remote() != domain) continue;
        stream->close("policy-violation");
        ++closed;
    }
    std::lock_guard lock(impl_->connections_mutex);
    for (const auto& weak : impl_->s2s_in) {
        auto stream = weak.lock();
        if (!stream || stream->ended() || stream->status().remote() != domain) continue;
        stream->close("policy-violation", why);
        ++closed;
    }
    return closed;
}

StrandPtr Server::make_strand() {
    const auto n = impl_->next_strand_thread.fetch_add(1, std::memory_order_relaxed);
    return std::make_shared<IoStrand>(*impl_->io[n % impl_->io.size()]);
}

void Server::post(std::function<void()> fn) {
    asio::post(impl_->control, std::move(fn));
}

void Server::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto timer = std::make_shared<asio::steady_timer>(impl_->control, delay);
    timer->async_wait([timer, fn = std::move(fn)](const error_code& ec) {
        if (!ec) fn();
    });
}

std::vector<std::uint16_t> Server::bound_ports() const {
    std::vector<std::uint16_t> out;
    for (const auto& l : impl_->listeners) out.push_back(l.port);
    return out;
}

}  // namespace starling
