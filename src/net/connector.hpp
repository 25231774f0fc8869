#pragma once
// Opens the TCP connection of a server-to-server stream to a remote domain: the domain's
// targets (from DNS through the Resolver, or the ones configured for it), and each target's
// addresses in turn, until one accepts (RFC 6120 §3.2.1: on failure, the next target).

#include "net/asio.hpp"
#include "net/resolver.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace starling::net {

/// An open connection and the target it reached (whether it speaks TLS from the first byte,
/// and the host name for the record).
struct Connection {
    asio::ip::tcp::socket socket;
    Target target;
};

using ConnectHandler = std::function<void(std::optional<Connection>, std::string error)>;

/// Connects to `domain` on `io` (the thread the resolver lives on, which runs `done`). With
/// `targets` empty they come from resolver.find_server(); otherwise they are used as given (a
/// private deployment's or a test's fixed address). Each attempt gets `attempt_timeout`. On
/// failure `error` says what was tried and why each failed, for the log and the bounce text.
void connect_to_domain(asio::io_context& io, Resolver& resolver, std::string domain,
                       std::vector<Target> targets, std::chrono::milliseconds attempt_timeout,
                       ConnectHandler done);

}  // namespace starling::net
