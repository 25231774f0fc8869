#include "net/connection_limits.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace starling::net {

void ConnectionLimits::set_limits(std::size_t total, std::size_t per_address) {
    std::lock_guard lock(mutex_);
    limit_total_ = total;
    limit_per_address_ = per_address;
}

std::size_t ConnectionLimits::KeyHash::operator()(const Key& key) const {
    return std::hash<std::string_view>()(
        std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

ConnectionLimits::Key ConnectionLimits::key_of(const std::string& address) {
    Key key{};
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
        std::memcpy(key.data() + 12, &v4, 4);
        key[10] = key[11] = 0xff;  // as the IPv4-mapped IPv6 address, which counts the same
    } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
        std::memcpy(key.data(), &v6, 16);
        const bool mapped_v4 =
            std::all_of(key.begin(), key.begin() + 10, [](auto b) { return b == 0; }) &&
            key[10] == 0xff && key[11] == 0xff;
        if (!mapped_v4) std::fill(key.begin() + 8, key.end(), 0);  // the /64
    }
    // Anything else (no address known) shares the all-zero key.
    return key;
}

std::shared_ptr<void> ConnectionLimits::admit(const std::string& address, std::string& refused) {
    const Key key = key_of(address);
    {
        std::lock_guard lock(mutex_);
        if (limit_total_ != 0 && total_ >= limit_total_) {
            refused =
                "the server has " + std::to_string(total_) + " connections (limits.connections)";
            return nullptr;
        }
        auto& count = per_address_[key];
        if (limit_per_address_ != 0 && count >= limit_per_address_) {
            refused = std::to_string(count) + " connections from this address " +
                      "(limits.connections_per_ip)";
            return nullptr;
        }
        ++count;
        ++total_;
    }
    // The handle's deleter gives the slot back; `this` (the server's) outlives every connection.
    return std::shared_ptr<void>(static_cast<void*>(this), [this, key](void*) { release(key); });
}

void ConnectionLimits::release(const Key& key) {
    std::lock_guard lock(mutex_);
    --total_;
    auto it = per_address_.find(key);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

std::size_t ConnectionLimits::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

std::size_t ConnectionLimits::from(const std::string& address) const {
    std::lock_guard lock(mutex_);
    auto it = per_address_.find(key_of(address));
    return it == per_address_.end() ? 0 : it->second;
}

}  // namespace starling::net
