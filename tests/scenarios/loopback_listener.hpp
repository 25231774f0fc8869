#pragma once
// A TCP listener on loopback for scenarios that play a remote server. Until accept() is called,
// connections complete in the kernel's backlog and then hear nothing, as from a server that
// hangs.

#include "raw_stream.hpp"
#include "scenario.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>

namespace starling::scenarios {

class loopback_listener {
public:
    loopback_listener() {
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        require(fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    listen(fd_, 8) == 0,
                "could not listen on loopback");
        socklen_t length = sizeof address;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    ~loopback_listener() { close(fd_); }
    loopback_listener(const loopback_listener&) = delete;
    loopback_listener& operator=(const loopback_listener&) = delete;

    std::uint16_t port() const { return port_; }

    /// The next connection, waited for at most `timeout`.
    std::unique_ptr<raw_stream> accept(std::chrono::milliseconds timeout) {
        pollfd waiting{fd_, POLLIN, 0};
        require(poll(&waiting, 1, static_cast<int>(timeout.count())) == 1,
                "nobody connected to port " + std::to_string(port_));
        const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        require(fd >= 0, "accept failed on port " + std::to_string(port_));
        return std::make_unique<raw_stream>(raw_stream::accepted{fd});
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace starling::scenarios
