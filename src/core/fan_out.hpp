#pragma once
// One sender's stanzas for many recipients: a chat room's message to every occupant, the
// presences it broadcasts, its answers. Each recipient gets what was added for it in the order
// added, as route() one by one would give it, hooks included. The difference is the cost and
// the effect on everyone else:
// - the copies for local sessions are handed to each session's I/O thread together, one post
//   per thread instead of one per copy;
// - that thread delivers them a slice at a time (FanOutPump), going back to its other sessions
//   between slices, so a message to 1,000 occupants does not hold a thread for the length of
//   1,000 writes while a 1:1 message waits behind it.
// Whatever a sender sends to its recipients goes through here, or a stanza sent directly could
// overtake one still waiting in a slice.

#include "core/session.hpp"

#include <memory>
#include <vector>

namespace starling {

class Host;
class Router;
class Server;

/// A recipient a sender keeps (a room's occupant's session), with the session the last stanza
/// for it went to: a fan-out looks each session up once, not once per stanza.
struct Recipient {
    Jid jid;
    mutable std::weak_ptr<Session> session;

    bool operator==(const Jid& other) const { return jid == other; }
};

class FanOut {
public:
    /// `sender` identifies whose stanzas these are (a room): each recipient gets one sender's
    /// stanzas in order, and different senders' fan-outs take turns. `base` is what
    /// add(const Jid&) readdresses (Stanza::readdressed); it may be null when only addressed
    /// stanzas are added.
    FanOut(Server& server, const void* sender, StanzaPtr base = nullptr);
    /// Hands over what was added and not yet flushed.
    ~FanOut();
    FanOut(const FanOut&) = delete;
    FanOut& operator=(const FanOut&) = delete;

    /// A copy of the base for `to`.
    void add(const Recipient& to) { add(base_, to); }
    /// A copy of `base` (no 'to') for `to`.
    void add(const StanzaPtr& base, const Recipient& to);
    /// A stanza that carries its own 'to'.
    void add(StanzaPtr stanza);
    /// Posts the copies gathered for local sessions to their threads; anything else was routed
    /// as it was added.
    void flush();

    /// One copy for one session, as the pump delivers it.
    struct Delivery {
        Host* host;
        SessionPtr session;
        StanzaPtr stanza;
        // The stanza is a base, readdressed to the session's JID only when it is delivered:
        // on the session's thread, one copy alive at a time, instead of 1,000 made on the
        // sender's thread and freed on another.
        bool readdress;
    };

private:
    Host* host_of(const Jid& to);
    void add_for(Host& host, SessionPtr session, StanzaPtr stanza, bool readdress);

    struct Group {
        boost::asio::io_context* io;
        std::vector<Delivery> deliveries;
    };

    Server& server_;
    const void* sender_;
    StanzaPtr base_;
    Host* last_host_ = nullptr;  // the recipients of one fan-out are mostly on one host
    std::vector<Group> groups_;
};

}  // namespace starling
