// preauth: N connections that never authenticate, each sending a stream header and then one
// unfinished stanza built to cost the server as much memory as possible per byte: an element
// whose namespace name is a 7,800-character URI, then 2,000 empty children (16 KB in all, the
// pre-authentication stanza limit). Reports the server's RSS growth per connection against the
// bytes each one sent, and how many connections the server closed. Needs no accounts.
#include "bench/bench_error.hpp"
#include "bench/process_stats.hpp"
#include "bench/scenarios/scenarios.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace bench {
namespace {

std::string hostile_bytes(const std::string& domain) {
    std::string out =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='" +
        domain + "' version='1.0'>";
    out += "<iq xmlns='urn:x:" + std::string(7800, 'n') + "'>";
    for (int i = 0; i < 2000; ++i) out += "<a/>";
    return out;  // never closed: the parser holds the whole stanza
}

int connect_to(const options& opts) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw bench_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(opts.port);
    if (inet_pton(AF_INET, opts.host.c_str(), &address.sin_addr) != 1)
        throw bench_error("--host: not an IPv4 address: " + opts.host);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        ::close(fd);
        throw bench_error("connect: " + std::string(std::strerror(error)));
    }
    return fd;
}

// True when the server closed the connection (EOF or reset), reading whatever it sent.
bool closed_by_server(int fd) {
    char buffer[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return false;
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n == 0) return true;
        if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    }
}

}  // namespace

report run_preauth(const options& opts) {
    const process_set server{opts.server_pids};
    const std::string bytes = hostile_bytes(opts.domain);
    const auto rss_before = server.rss_kb();
    std::vector<int> fds;
    std::uint32_t refused = 0;
    for (std::uint32_t i = 0; i < opts.users; ++i) {
        const int fd = connect_to(opts);
        fds.push_back(fd);
        if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(bytes.size()))
            ++refused;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(opts.hold_seconds));
    const auto rss_after = server.rss_kb();
    std::uint32_t closed = 0;
    for (int fd : fds) {
        if (closed_by_server(fd)) ++closed;
        ::close(fd);
    }
    report r;
    r.add("scenario", "preauth");
    r.add("connections", opts.users);
    r.add("bytes_sent_per_connection", bytes.size());
    r.add("send_refused", refused);
    r.add("closed_by_server", closed);
    r.add("server_rss_before_kb", rss_before);
    r.add("server_rss_after_kb", rss_after);
    const double held = (double(rss_after) - double(rss_before)) * 1024 / opts.users;
    r.add("held_bytes_per_connection", held);
    r.add("held_per_byte_sent", held / double(bytes.size()));
    return r;
}

}  // namespace bench
