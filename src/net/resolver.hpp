#pragma once
// Asynchronous DNS for server-to-server XMPP: where a domain's servers are (SRV records, RFC 6120
// §3.2.1 and XEP-0368 direct TLS) and the addresses of a host, asked through c-ares and waited
// for on an io_context, so a lookup never blocks the thread that carries the streams.

#include "net/asio.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace starling::net {

/// One place to try when connecting to a domain's server-to-server service.
struct Target {
    std::string host;
    std::uint16_t port = 0;
    bool direct_tls = false;  // XEP-0368: TLS from the first byte instead of STARTTLS
};

/// Finds XMPP servers and host addresses with c-ares, driven by an io_context.
///
/// A Resolver belongs to the thread that runs its io_context: create it, call it and destroy it
/// only there. Every answer is posted to that io_context and never runs inside the call that asked
/// for it, so a caller may ask before it has finished setting itself up.
///
/// Destroying the Resolver cancels every question it has not answered yet: their callbacks are
/// destroyed without being called, including answers already posted but not yet run. A caller that
/// owns its Resolver may therefore capture `this` in the callbacks; one that shares a Resolver
/// and must learn of every outcome has to outlive it or keep its own deadline.
class Resolver {
public:
    struct Options {
        /// DNS servers as "ip:port" ("[ip]:port" for IPv6); empty uses /etc/resolv.conf's.
        std::vector<std::string> servers;
        /// How long to wait for one server's answer; zero keeps resolv.conf's (else c-ares's).
        std::chrono::milliseconds timeout{0};
        /// How many times to ask each server; zero keeps resolv.conf's (else c-ares's).
        int tries = 0;
    };

    using TargetsHandler = std::function<void(std::vector<Target>, std::string error)>;
    using EndpointsHandler =
        std::function<void(std::vector<asio::ip::tcp::endpoint>, std::string error)>;

    /// Asks the servers of /etc/resolv.conf.
    explicit Resolver(asio::io_context& io);
    /// Throws std::runtime_error if c-ares cannot start or `options.servers` is malformed.
    Resolver(asio::io_context& io, Options options);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    /// Where to connect for server-to-server XMPP with `domain` (ASCII, A-labels), most preferred
    /// first: the SRV records of _xmpps-server._tcp (direct TLS) and _xmpp-server._tcp (STARTTLS)
    /// together, by priority, then direct TLS before STARTTLS at the same priority, then a
    /// weighted random draw (RFC 2782). A service whose only record targets "." is not offered.
    /// When neither name exists, the answer is {domain, 5269, STARTTLS} (RFC 6120 §3.2.2); an IP
    /// literal gets the same answer without a query. If one service's lookup fails, the other's
    /// records still answer. Exactly one of `targets` and `error` is empty.
    void find_server(std::string domain, TargetsHandler done);

    /// The IPv6 and IPv4 addresses of `host` (A and AAAA) with `port`, in c-ares's order
    /// (RFC 6724). An IP literal is answered without a query. Exactly one of `endpoints` and
    /// `error` is empty.
    void addresses(std::string host, std::uint16_t port, EndpointsHandler done);

private:
    class Channel;
    std::shared_ptr<Channel> channel_;
};

}  // namespace starling::net
