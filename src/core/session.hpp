#pragma once
// A bound client resource as the router sees it. The c2s stream implements it; the cluster layer
// (later) will implement it for sessions on other nodes.

#include "core/stanza.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace starling {

class Session : public std::enable_shared_from_this<Session> {
public:
    virtual ~Session() = default;
    /// The full JID; fixed once bound.
    virtual const Jid& jid() const = 0;
    /// From the last available presence; meaningful only while available().
    virtual int priority() const = 0;
    /// True once the client sent initial presence and until it sends unavailable.
    virtual bool available() const = 0;
    /// Queues the stanza for this client; callable from any thread.
    virtual void deliver(StanzaPtr stanza) = 0;
    /// Queues `stanzas` (a backlog: stored messages, archive results) no faster than the client
    /// takes them, so that they neither fill the outbound queue past its bound nor stream
    /// management's unacknowledged window at once, either of which closes the stream. `done(n)`
    /// runs once all of them are queued, or once the session ended or moved with only the first
    /// n queued: the caller keeps the rest. Any thread.
    virtual void deliver_paced(std::vector<StanzaPtr> stanzas,
                               std::function<void(std::size_t queued)> done) {
        const std::size_t count = stanzas.size();
        for (auto& stanza : stanzas) deliver(std::move(stanza));
        done(count);
    }
    /// Holds the messages delivered from now on behind a backlog on its way (stored messages),
    /// so that no newer one overtakes it: once the returned handle is released, the held
    /// messages follow, in order, whatever deliver_paced() was given before the release.
    /// Presence and iqs are not held. Call it on the session's own thread (a session hook),
    /// before anything can be delivered meanwhile.
    virtual std::shared_ptr<void> hold_live() { return nullptr; }
    /// The event loop of the I/O thread that writes this session's stream, or null for a
    /// session without one. A fan-out (FanOut) hands all its copies for one loop over at once.
    virtual boost::asio::io_context* io() const { return nullptr; }
    /// True while the session manager has this session bound under its JID: not yet unbound,
    /// not replaced by a newer session of the same JID. A sender that kept a pointer to the
    /// session (FanOut's Recipient) checks it before it uses the pointer again.
    bool listed() const { return listed_.load(std::memory_order_acquire); }
    /// Ends the stream with this stream error condition; callable from any thread.
    virtual void close(std::string_view condition, std::string_view text = {}) = 0;
    /// True while the session waits, with no connection, to be resumed (XEP-0198): there is no
    /// client to ping, and its stanzas are queued.
    virtual bool hibernated() const { return false; }
    /// When the client last sent anything (for idle pings and XEP-0012).
    virtual std::chrono::steady_clock::time_point last_activity() const = 0;
    /// The peer address, for logs and `starlingctl sessions`.
    virtual std::string peer() const = 0;
    /// "STARTTLS", "TLS" or "plain", and the SASL mechanism used.
    virtual std::string security() const = 0;

private:
    friend class SessionManager;
    mutable std::atomic<bool> listed_{false};  // the session manager's, set under its lock
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace starling
