#pragma once
// Where a stanza goes (RFC 6121 §8). The rules in prose are in docs/routing.md; this file is the
// code of that text and should read like it.

#include "core/events.hpp"
#include "core/host.hpp"
#include "core/metrics.hpp"
#include "core/offline_flows.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace starling {

class Server;

class Router {
public:
    /// Takes its counters from `server.metrics()`, which must exist already.
    explicit Router(Server& server);

    /// Routes a stanza whose `from` is already trusted (stamped on c2s, or made by the server).
    /// `origin` is the sending session, or null. Callable from any thread.
    void route(const SessionPtr& origin, StanzaPtr stanza);

    /// Routes a stanza a client sent on `host`: `stanza/out` fires there first, and a handler
    /// that does not pass keeps it from the router. The client stream calls this, as does a
    /// module that held a client's stanza back and now lets it go on.
    void route_from_client(Host& host, const SessionPtr& origin, StanzaPtr stanza);

    /// Let a stanza that a hook held back (while it waited for something asynchronous) go on,
    /// as route_from_client() on the sender's host, or as route(). The event's XEP-0198 receipt
    /// is made current again, so the sender's `h` counts the stanza only where it finally ends:
    /// routed from a callback without it, the receipt would be released as the callback
    /// returns, before the stanza is stored (an acknowledged message lost in a crash).
    void route_held_from_client(const StanzaEvent& held);
    void route_held(const StanzaEvent& held);

    /// route() for a stanza from the server to a full JID whose session the caller has just
    /// found (FanOut, which looks sessions up once per fan-out): `stanza/in` and the full-JID
    /// hooks fire, then the session gets it. Call it on the session's I/O thread.
    void to_session(Host& host, const SessionPtr& session, StanzaPtr stanza);

    /// Sends an error reply for `stanza` back to its sender, unless it is itself an error.
    void bounce(const SessionPtr& origin, const Stanza& stanza, std::string_view type,
                std::string_view condition, std::string_view text = {});
    /// Counts a bounce with `condition` sent some other way than bounce() (a room sends its
    /// errors in order behind its fan-outs).
    void count_bounce(std::string_view condition);

    /// Disposes of a stanza a session was given but could not deliver (it ended, or its
    /// stream-management queue was closed): RFC 6121 §8.5.3.2 as if the session had never been
    /// there. A message goes to offline storage (through `message/offline`), or is bounced when
    /// it was for this full JID and the user has another available resource; an iq get/set is
    /// bounced; presence and iq results are dropped.
    /// During shutdown every resource is going away, so a message for a full JID is stored
    /// rather than bounced (docs/routing.md, "Shutdown").
    void undeliverable(Host& host, StanzaPtr stanza);

    /// Runs `then` once no message is on its way to `bare`'s offline storage (any thread): a
    /// session that has just become available fetches its stored messages then, and finds
    /// all that were sent before it was available (docs/routing.md, "Order").
    void when_offline_settled(const Jid& bare, std::function<void()> then) {
        offline_flows_->when_settled(bare.str(), std::move(then));
    }

    /// Messages taken by `message/offline` since shutdown began, for the shutdown log line.
    std::uint64_t stored_at_shutdown() const { return stored_at_shutdown_.load(); }

private:
    /// route() and route_from_client() once the stanza is counted (bounces and held stanzas
    /// come here, as they were counted already or are counted as bounces).
    void to_destination(const SessionPtr& origin, StanzaPtr stanza);
    void from_client(Host& host, const SessionPtr& origin, StanzaPtr stanza);
    /// The one place a stanza is handed to a local session.
    void deliver(const SessionPtr& session, StanzaPtr stanza);
    void count_routed(const Stanza& stanza);
    void to_component(std::string_view domain, const SessionPtr& origin, StanzaPtr stanza);
    void to_host(Host& host, const SessionPtr& origin, StanzaPtr stanza);
    void to_account(Host& host, const SessionPtr& origin, StanzaPtr stanza);
    void to_bare(Host& host, const SessionPtr& origin, StanzaPtr stanza);
    void to_full(Host& host, const SessionPtr& origin, StanzaPtr stanza);
    /// `message/full` or `presence/full`; false when a handler took the stanza. A handler may
    /// replace it.
    bool full_hooks_pass(Host& host, const SessionPtr& origin, StanzaPtr& stanza);
    void message_to_bare(Host& host, const SessionPtr& origin, StanzaPtr stanza);
    /// The available resources of the message's bare JID that take it (priority >= 0).
    std::vector<SessionPtr> taking_sessions(const Stanza& stanza);
    /// `on_its_way`: the message counted in offline_flows_ (enter()) before the router last
    /// looked for a session; no_session() counts it otherwise.
    void no_session(Host& host, const SessionPtr& origin, StanzaPtr stanza,
                    std::shared_ptr<const void> on_its_way = nullptr);
    void iq_to_handler(Host& host, IqTarget target, const SessionPtr& origin, StanzaPtr stanza,
                       bool fall_back_to_host);
    void deliver_to_origin_or_route(const SessionPtr& origin, StanzaPtr stanza);

    Server& server_;
    std::shared_ptr<OfflineFlows> offline_flows_ = std::make_shared<OfflineFlows>();
    std::atomic<std::uint64_t> stored_at_shutdown_{0};
    Counter& routed_messages_;
    Counter& routed_presences_;
    Counter& routed_iqs_;
    Counter& delivered_;
    std::vector<Counter*> bounced_;  // by the index of the condition in stanza_error_conditions()
    Counter& bounced_other_;         // with a condition outside that list
};

}  // namespace starling
