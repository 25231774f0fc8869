#include "net/resolver.hpp"

#include <ares.h>
#include <arpa/nameser.h>
#include <netinet/in.h>

#include <boost/algorithm/string/join.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace starling::net {

namespace {

// RFC 6120 §3.2.2: without SRV records a server is looked for on the domain itself, here.
constexpr std::uint16_t xmpp_server_port = 5269;

void init_library_once() {
    static const int status = ares_library_init(ARES_LIB_INIT_ALL);
    if (status != ARES_SUCCESS)
        throw std::runtime_error(std::string("cannot start c-ares: ") + ares_strerror(status));
}

std::string lookup_failure(const std::string& name, int status) {
    switch (status) {
        case ARES_ETIMEOUT:
            return "DNS lookup of " + name + " timed out";
        case ARES_ENOTFOUND:
            return "DNS lookup of " + name + " found no such name";
        case ARES_ENODATA:
            return "DNS lookup of " + name + " found no records";
        default:
            return "DNS lookup of " + name + " failed: " + ares_strerror(status);
    }
}

// The address an XMPP domain names directly, if it is one: IPv4 as is, IPv6 in brackets.
std::optional<asio::ip::address> domain_address(const std::string& domain) {
    error_code ec;
    if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
        const auto address = asio::ip::make_address_v6(domain.substr(1, domain.size() - 2), ec);
        if (!ec) return address;
    } else {
        const auto address = asio::ip::make_address_v4(domain, ec);
        if (!ec) return address;
    }
    return std::nullopt;
}

struct SrvRecord {
    Target target;
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
};

// What one SRV name said about its service.
struct ServiceAnswer {
    enum class Kind { records, not_offered, missing, failed };
    Kind kind = Kind::missing;
    std::vector<SrvRecord> records;
    std::string error;
};

ServiceAnswer read_service(const std::string& name, bool direct_tls, int status,
                           const unsigned char* reply, int length) {
    using Kind = ServiceAnswer::Kind;
    if (status == ARES_SUCCESS) {
        ares_srv_reply* parsed = nullptr;
        status = ares_parse_srv_reply(reply, length, &parsed);
        const std::unique_ptr<ares_srv_reply, void (*)(void*)> owned(parsed, ares_free_data);
        if (status == ARES_SUCCESS) {
            ServiceAnswer answer{Kind::records, {}, {}};
            bool root_target = false;
            for (const ares_srv_reply* record = parsed; record; record = record->next) {
                // c-ares spells the root name "" (RFC 2782's "."): the service is not offered.
                const std::string host = record->host;
                if (host.empty() || host == ".") {
                    root_target = true;
                    continue;
                }
                answer.records.push_back(
                    {{host, record->port, direct_tls}, record->priority, record->weight});
            }
            if (answer.records.empty() && root_target) answer.kind = Kind::not_offered;
            return answer;
        }
    }
    if (status == ARES_ENOTFOUND || status == ARES_ENODATA) return {Kind::missing, {}, {}};
    return {Kind::failed, {}, lookup_failure(name, status)};
}

// RFC 2782's order: lowest priority first and, within a priority, a random draw weighted by
// weight. XEP-0368 leaves ties between the two services to us: at equal priority every direct
// TLS record comes before every STARTTLS one (it saves a round trip and a downgrade), but a lower
// priority number always wins, so a domain can still steer us to STARTTLS.
std::vector<Target> order_records(std::vector<SrvRecord> records, std::mt19937& random) {
    // RFC 2782 puts weight-0 records first in each group so that they keep a small chance.
    std::sort(records.begin(), records.end(), [](const SrvRecord& a, const SrvRecord& b) {
        return std::tuple(a.priority, !a.target.direct_tls, a.weight != 0) <
               std::tuple(b.priority, !b.target.direct_tls, b.weight != 0);
    });
    std::vector<Target> ordered;
    ordered.reserve(records.size());
    auto next = records.begin();
    while (next != records.end()) {
        const auto group_end = std::find_if(next, records.end(), [&](const SrvRecord& record) {
            return record.priority != next->priority ||
                   record.target.direct_tls != next->target.direct_tls;
        });
        for (; next != group_end; ++next) {
            std::uint32_t total = 0;
            for (auto it = next; it != group_end; ++it) total += it->weight;
            const std::uint32_t drawn =
                std::uniform_int_distribution<std::uint32_t>(0, total)(random);
            auto chosen = next;
            for (std::uint32_t running = chosen->weight; running < drawn;)
                running += (++chosen)->weight;
            // Moving the chosen record to the front keeps the rest in order, weight 0 first.
            std::rotate(next, chosen, chosen + 1);
            ordered.push_back(std::move(next->target));
        }
    }
    return ordered;
}

}  // namespace

// The c-ares channel and the Asio waits that drive it. Shared only so that handlers left in the
// io_context can tell, through a weak_ptr, that the Resolver has gone.
class Resolver::Channel : public std::enable_shared_from_this<Channel> {
public:
    Channel(asio::io_context& io, const Options& options) : io_(io), timer_(io) {
        init_library_once();
        ares_options settings{};
        int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS;
        settings.sock_state_cb = &Channel::on_socket_state;
        settings.sock_state_cb_data = this;
        // The names asked here are absolute (a domain, an SRV target): never append resolv.conf's
        // search domains to them.
        settings.flags = ARES_FLAG_NOSEARCH;
        if (options.timeout.count() > 0) {
            settings.timeout = static_cast<int>(options.timeout.count());
            mask |= ARES_OPT_TIMEOUTMS;
        }
        if (options.tries > 0) {
            settings.tries = options.tries;
            mask |= ARES_OPT_TRIES;
        }
        if (const int status = ares_init_options(&ares_, &settings, mask); status != ARES_SUCCESS)
            throw std::runtime_error(std::string("cannot start the DNS resolver: ") +
                                     ares_strerror(status));
        if (options.servers.empty()) return;
        const std::string servers = boost::algorithm::join(options.servers, ",");
        if (const int status = ares_set_servers_ports_csv(ares_, servers.c_str());
            status != ARES_SUCCESS) {
            ares_destroy(ares_);
            throw std::runtime_error("DNS servers \"" + servers + "\": " + ares_strerror(status) +
                                     " (write each as ip:port, or [ip]:port for IPv6)");
        }
    }

    // ares_destroy() ends every outstanding query with ARES_EDESTRUCTION; the callbacks see that
    // this Channel is going (their weak_ptr no longer locks) and drop the caller's handler. It then
    // closes the sockets, telling on_socket_state() first.
    ~Channel() { ares_destroy(ares_); }

    void find_server(std::string domain, TargetsHandler done) {
        if (const auto address = domain_address(domain)) {
            answer([done = std::move(done), address = *address] {
                done({{address.to_string(), xmpp_server_port, false}}, {});
            });
            return;
        }
        auto discovery = std::make_shared<Discovery>();
        discovery->domain = std::move(domain);
        discovery->done = std::move(done);
        for (const bool direct_tls : {true, false}) {
            auto* query = new ServiceQuery{
                weak_from_this(), discovery, direct_tls,
                (direct_tls ? "_xmpps-server._tcp." : "_xmpp-server._tcp.") + discovery->domain};
            ares_query(ares_, query->name.c_str(), ns_c_in, ns_t_srv, &Channel::on_service, query);
        }
        schedule_timeout();
    }

    void addresses(std::string host, std::uint16_t port, EndpointsHandler done) {
        error_code ec;
        if (const auto address = asio::ip::make_address(host, ec); !ec) {
            answer([done = std::move(done), endpoint = asio::ip::tcp::endpoint(address, port)] {
                done({endpoint}, {});
            });
            return;
        }
        auto* query = new AddressQuery{weak_from_this(), std::move(host), port, std::move(done)};
        ares_addrinfo_hints hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        ares_getaddrinfo(ares_, query->host.c_str(), nullptr, &hints, &Channel::on_addresses,
                         query);
        schedule_timeout();
    }

private:
    // A socket c-ares opened, watched by Asio but always owned by c-ares.
    struct Socket {
        Socket(asio::io_context& io, ares_socket_t fd) : descriptor(io), fd(fd) {}
        asio::posix::stream_descriptor descriptor;
        ares_socket_t fd;
        bool want_read = false;
        bool want_write = false;
        bool reading = false;  // a wait_read is outstanding
        bool writing = false;  // a wait_write is outstanding
    };

    // One find_server() call: its two SRV queries, and the first one back waits for the other.
    struct Discovery {
        std::string domain;
        TargetsHandler done;
        ServiceAnswer direct_tls;
        ServiceAnswer starttls;
        int outstanding = 2;
    };
    struct ServiceQuery {
        std::weak_ptr<Channel> channel;
        std::shared_ptr<Discovery> discovery;
        bool direct_tls;
        std::string name;
    };
    struct AddressQuery {
        std::weak_ptr<Channel> channel;
        std::string host;
        std::uint16_t port;
        EndpointsHandler done;
    };

    // Posts an answer, which is dropped unanswered if the Resolver has gone by the time it runs.
    template <typename Answer>
    void answer(Answer call) {
        asio::post(io_, [channel = weak_from_this(), call = std::move(call)]() mutable {
            if (!channel.expired()) call();
        });
    }

    static void on_service(void* argument, int status, int, unsigned char* reply, int length) {
        const std::unique_ptr<ServiceQuery> query(static_cast<ServiceQuery*>(argument));
        const auto channel = query->channel.lock();
        if (!channel) return;  // ares_destroy() from ~Channel
        Discovery& discovery = *query->discovery;
        (query->direct_tls ? discovery.direct_tls : discovery.starttls) =
            read_service(query->name, query->direct_tls, status, reply, length);
        if (--discovery.outstanding == 0) channel->finish(discovery);
    }

    void finish(Discovery& discovery) {
        using Kind = ServiceAnswer::Kind;
        std::vector<SrvRecord> records = std::move(discovery.direct_tls.records);
        records.insert(records.end(), discovery.starttls.records.begin(),
                       discovery.starttls.records.end());
        std::vector<Target> targets;
        std::string error;
        if (!records.empty()) {
            targets = order_records(std::move(records), random_);
        } else if (discovery.direct_tls.kind == Kind::failed) {
            error = discovery.direct_tls.error;
        } else if (discovery.starttls.kind == Kind::failed) {
            error = discovery.starttls.error;
        } else if (discovery.starttls.kind == Kind::missing) {
            // The fallback stands in for a missing _xmpp-server record only, so a direct TLS "."
            // (XEP-0368 not offered) leaves it in place.
            targets.push_back({discovery.domain, xmpp_server_port, false});
        } else {
            error = discovery.domain + " does not offer server-to-server XMPP (SRV target \".\")";
        }
        answer(
            [done = std::move(discovery.done), targets = std::move(targets),
             error = std::move(error)]() mutable { done(std::move(targets), std::move(error)); });
    }

    static void on_addresses(void* argument, int status, int, ares_addrinfo* result) {
        const std::unique_ptr<AddressQuery> query(static_cast<AddressQuery*>(argument));
        const std::unique_ptr<ares_addrinfo, void (*)(ares_addrinfo*)> owned(result,
                                                                             ares_freeaddrinfo);
        const auto channel = query->channel.lock();
        if (!channel) return;  // ares_destroy() from ~Channel
        std::vector<asio::ip::tcp::endpoint> endpoints;
        for (const ares_addrinfo_node* node = result ? result->nodes : nullptr; node;
             node = node->ai_next) {
            if (node->ai_family == AF_INET) {
                const auto* in = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
                asio::ip::address_v4::bytes_type bytes;
                std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
                endpoints.emplace_back(asio::ip::make_address_v4(bytes), query->port);
            } else if (node->ai_family == AF_INET6) {
                const auto* in6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
                asio::ip::address_v6::bytes_type bytes;
                std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
                endpoints.emplace_back(asio::ip::make_address_v6(bytes, in6->sin6_scope_id),
                                       query->port);
            }
        }
        std::string error;
        if (endpoints.empty())
            error = lookup_failure(query->host, status == ARES_SUCCESS ? ARES_ENODATA : status);
        channel->answer(
            [done = std::move(query->done), endpoints = std::move(endpoints),
             error = std::move(error)]() mutable { done(std::move(endpoints), std::move(error)); });
    }

    // c-ares tells which of its sockets it wants to read or write, and (0, 0) just before it
    // closes one.
    static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
        static_cast<Channel*>(data)->watch(fd, readable != 0, writable != 0);
    }

    void watch(ares_socket_t fd, bool read, bool write) {
        auto found = sockets_.find(fd);
        if (!read && !write) {
            // Asio must forget the descriptor now, while it is still open: c-ares closes it next
            // and may get the same number for its next socket, which a later deregistration would
            // hit.
            if (found == sockets_.end()) return;
            found->second->descriptor.release();
            sockets_.erase(found);
            return;
        }
        if (found == sockets_.end()) {
            auto socket = std::make_shared<Socket>(io_, fd);
            error_code ec;
            // If Asio cannot watch the socket, the query still ends through the timer.
            socket->descriptor.assign(fd, ec);
            if (ec) return;
            found = sockets_.emplace(fd, std::move(socket)).first;
        }
        found->second->want_read = read;
        found->second->want_write = write;
        wait(found->second);
    }

    auto ready_handler(const std::shared_ptr<Socket>& socket, bool readable) {
        return [channel = weak_from_this(), weak = std::weak_ptr(socket), readable](error_code) {
            const auto self = channel.lock();
            const auto socket = weak.lock();
            // Gone with the Resolver, or c-ares closed the socket (its release() ended this wait).
            if (!self || !socket) return;
            (readable ? socket->reading : socket->writing) = false;
            self->on_ready(socket, readable);
        };
    }

    void wait(const std::shared_ptr<Socket>& socket) {
        using base = asio::posix::descriptor_base;
        if (socket->want_read && !socket->reading) {
            socket->reading = true;
            socket->descriptor.async_wait(base::wait_read, ready_handler(socket, true));
        }
        if (socket->want_write && !socket->writing) {
            socket->writing = true;
            socket->descriptor.async_wait(base::wait_write, ready_handler(socket, false));
        }
    }

    void on_ready(const std::shared_ptr<Socket>& socket, bool readable) {
        if (readable && socket->want_read) {
            // Asio's epoll reactor is edge-triggered and a wait never checks readiness up front,
            // so bytes c-ares leaves behind (it reads one TCP chunk per call) would never wake us:
            // hand the socket back to c-ares while some remain.
            do ares_process_fd(ares_, socket->fd, ARES_SOCKET_BAD);
            while (watched(socket) && socket->want_read && bytes_waiting(*socket));
        } else if (!readable && socket->want_write) {
            ares_process_fd(ares_, ARES_SOCKET_BAD, socket->fd);
        }
        if (watched(socket)) wait(socket);
        schedule_timeout();
    }

    bool watched(const std::shared_ptr<Socket>& socket) const {
        const auto found = sockets_.find(socket->fd);
        return found != sockets_.end() && found->second == socket;
    }

    static bool bytes_waiting(Socket& socket) {
        asio::posix::descriptor_base::bytes_readable command(true);
        error_code ec;
        socket.descriptor.io_control(command, ec);
        return !ec && command.get() > 0;
    }

    // Wakes c-ares when its next query deadline passes, so it can retry or give up.
    void schedule_timeout() {
        timeval wait_for{};
        if (!ares_timeout(ares_, nullptr, &wait_for)) {
            timer_.cancel();
            return;
        }
        timer_.expires_after(std::chrono::seconds(wait_for.tv_sec) +
                             std::chrono::microseconds(wait_for.tv_usec));
        timer_.async_wait([channel = weak_from_this()](error_code ec) {
            const auto self = channel.lock();
            if (ec || !self) return;
            ares_process_fd(self->ares_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            self->schedule_timeout();
        });
    }

    asio::io_context& io_;
    ares_channel ares_ = nullptr;
    asio::steady_timer timer_;
    std::map<ares_socket_t, std::shared_ptr<Socket>> sockets_;
    std::mt19937 random_{std::random_device{}()};
};

Resolver::Resolver(asio::io_context& io) : Resolver(io, Options{}) {}

Resolver::Resolver(asio::io_context& io, Options options)
    : channel_(std::make_shared<Channel>(io, options)) {}

Resolver::~Resolver() = default;

void Resolver::find_server(std::string domain, TargetsHandler done) {
    channel_->find_server(std::move(domain), std::move(done));
}

void Resolver::addresses(std::string host, std::uint16_t port, EndpointsHandler done) {
    channel_->addresses(std::move(host), port, std::move(done));
}

}  // namespace starling::net
