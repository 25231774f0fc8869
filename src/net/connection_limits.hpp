#pragma once
// How many connections the server holds at once, in all and from one address (limits.connections
// and limits.connections_per_ip). Anyone can connect, and every connection costs a file
// descriptor and memory before it has proved anything, so one host must not be able to take all
// of them. An IPv6 client is counted by its /64: one subscriber gets a whole /64 and can use
// every address in it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace starling::net {

class ConnectionLimits {
public:
    /// 0 for either: no such limit.
    void set_limits(std::size_t total, std::size_t per_address);

    /// A slot for a new connection from `address` (a textual IPv4 or IPv6 address), held as long
    /// as the returned handle lives; null when a limit is reached, with `refused` saying which.
    std::shared_ptr<void> admit(const std::string& address, std::string& refused);

    std::size_t total() const;
    /// Connections counted against `address` (its /64 for IPv6).
    std::size_t from(const std::string& address) const;

private:
    using Key = std::array<std::uint8_t, 16>;
    struct KeyHash {
        std::size_t operator()(const Key& key) const;
    };
    static Key key_of(const std::string& address);
    void release(const Key& key);

    mutable std::mutex mutex_;
    std::size_t limit_total_ = 0;
    std::size_t limit_per_address_ = 0;
    std::size_t total_ = 0;
    std::unordered_map<Key, std::size_t, KeyHash> per_address_;
};

}  // namespace starling::net
