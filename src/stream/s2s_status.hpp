#pragma once
// What `starlingctl s2s` shows of a server-to-server stream, kept by the stream as it changes
// (a handful of times in its life) and read from the control thread under a lock.

#include <atomic>
#include <mutex>
#include <string>

namespace starling {

class S2sStatus {
public:
    /// "in" or "out"; our domain and theirs.
    S2sStatus(std::string direction, std::string local, std::string remote)
        : direction_(std::move(direction)), local_(std::move(local)), remote_(std::move(remote)) {}

    void set_remote(std::string remote) {
        std::lock_guard lock(mutex_);
        remote_ = std::move(remote);
    }
    void set_local(std::string local) {
        std::lock_guard lock(mutex_);
        local_ = std::move(local);
    }
    void set_peer(std::string peer) {
        std::lock_guard lock(mutex_);
        peer_ = std::move(peer);
    }
    /// What the stream is doing ("connecting", "ready", ...) and, once known, its TLS version
    /// and how the remote side authenticated.
    void set_state(std::string state, std::string tls = {}, std::string authentication = {}) {
        std::lock_guard lock(mutex_);
        state_ = std::move(state);
        if (!tls.empty()) tls_ = std::move(tls);
        if (!authentication.empty()) authentication_ = std::move(authentication);
    }
    /// The stream carries stanzas both ways (XEP-0288).
    void set_bidi() {
        std::lock_guard lock(mutex_);
        bidi_ = true;
    }
    std::atomic<std::size_t> queued{0};  // stanzas waiting (out: while it is set up)
    std::atomic<bool> sm{false};           // XEP-0198 enabled on the stream

    /// "in" or "out"; fixed, so read without the lock.
    const std::string& direction() const { return direction_; }
    std::string remote() const {
        std::lock_guard lock(mutex_);
        return remote_;
    }
    /// One tab-separated line: direction, "local -> remote" (out) or "remote -> local" (in),
    /// peer address, state, authentication, TLS version, queued stanzas, "sm on" once stream
    /// management (XEP-0198) is enabled (else "sm off"), and "bidi" when the stream carries
    /// stanzas both ways (XEP-0288; else "one-way").
    std::string line() const {
        std::lock_guard lock(mutex_);
        const bool out = direction_ == "out";
        return direction_ + "\t" + (out ? local_ + " -> " + remote_ : remote_ + " -> " + local_) +
               "\t" + (peer_.empty() ? "-" : peer_) + "\t" + state_ + "\t" +
               (authentication_.empty() ? "-" : authentication_) + "\t" +
               (tls_.empty() ? "-" : tls_) + "\tqueued " + std::to_string(queued.load()) +
               (sm.load() ? "\tsm on" : "\tsm off") + (bidi_ ? "\tbidi\n" : "\tone-way\n");
    }

private:
    mutable std::mutex mutex_;
    const std::string direction_;
    std::string local_;
    std::string remote_;
    std::string peer_;
    std::string state_ = "connecting";
    std::string tls_;
    std::string authentication_;
    bool bidi_ = false;
};

}  // namespace starling
