#include "core/fan_out.hpp"

#include "core/host.hpp"
#include "core/router.hpp"
#include "core/server.hpp"
#include "core/session.hpp"
#include "net/asio.hpp"

#include <algorithm>
#include <deque>

namespace starling {
namespace {

// Copies an I/O thread delivers before it returns to its other sessions: some 64 TLS records
// and system calls, about a millisecond, which is what a 1:1 message may wait behind a room.
constexpr std::size_t slice = 64;

// The fan-out deliveries handed to one I/O thread. An io_context service: one per loop, living
// as long as it, touched only from that loop's thread, so it needs no lock. Each sender has a
// lane, whose batches go in the order they were flushed, so each recipient gets that sender's
// stanzas in order; the lanes take turns a slice at a time, so a small room's message does not
// wait for all of a big room's.
class FanOutPump final : public asio::execution_context::service {
public:
    static inline asio::execution_context::id id;

    explicit FanOutPump(asio::execution_context& context)
        : service(context), io_(static_cast<asio::io_context&>(context)) {}

    void add(const void* sender, std::vector<FanOut::Delivery> deliveries) {
        auto lane = std::find_if(lanes_.begin(), lanes_.end(),
                                 [sender](const Lane& l) { return l.sender == sender; });
        if (lane == lanes_.end()) lane = lanes_.insert(lanes_.end(), Lane{sender, {}});
        lane->batches.push_back(Batch{std::move(deliveries), 0});
        if (scheduled_) return;
        scheduled_ = true;
        run();
    }

private:
    struct Batch {
        std::vector<FanOut::Delivery> deliveries;
        std::size_t next;
    };
    struct Lane {
        const void* sender;
        std::deque<Batch> batches;
    };

    void shutdown() override { lanes_.clear(); }

    void run() {
        Lane lane = std::move(lanes_.front());
        lanes_.pop_front();
        std::size_t budget = slice;
        while (!lane.batches.empty() && budget > 0) {
            auto& batch = lane.batches.front();
            const std::size_t end = std::min(batch.deliveries.size(), batch.next + budget);
            budget -= end - batch.next;
            while (batch.next < end) {
                // Moved out first: delivering may end the session, and this drops the last
                // reference to it before the next one.
                auto delivery = std::move(batch.deliveries[batch.next++]);
                auto stanza = delivery.readdress ? Stanza::readdressed(std::move(delivery.stanza),
                                                                       delivery.session->jid())
                                                 : std::move(delivery.stanza);
                delivery.host->server().router().to_session(*delivery.host, delivery.session,
                                                            std::move(stanza));
            }
            if (batch.next == batch.deliveries.size()) lane.batches.pop_front();
        }
        if (!lane.batches.empty()) lanes_.push_back(std::move(lane));
        if (lanes_.empty()) {
            scheduled_ = false;
            return;
        }
        // Behind whatever the thread's other sessions have waiting.
        asio::post(io_, [this] { run(); });
    }

    asio::io_context& io_;
    std::deque<Lane> lanes_;
    bool scheduled_ = false;
};

}  // namespace

FanOut::FanOut(Server& server, const void* sender, StanzaPtr base)
    : server_(server), sender_(sender), base_(std::move(base)) {}

FanOut::~FanOut() {
    flush();
}

Host* FanOut::host_of(const Jid& to) {
    if (!last_host_ || last_host_->domain() != to.domain()) last_host_ = server_.host(to.domain());
    return last_host_;
}

void FanOut::add(const StanzaPtr& base, const Recipient& to) {
    // The session it had, while it is still the one bound under that JID (not replaced by a
    // reconnection with the same resource, not ended); else it is looked up again.
    auto session = to.session.lock();
    if (!session || !session->listed()) {
        session = nullptr;
        if (!to.jid.local().empty() && !to.jid.is_bare() && host_of(to.jid))
            session = server_.sessions().find(to.jid);
        to.session = session;
    }
    Host* host = session ? host_of(to.jid) : nullptr;
    if (!host || !session->io())
        return server_.router().route(nullptr, Stanza::readdressed(base, to.jid));
    // The session was found under to.jid, its own JID: the pump readdresses to that.
    add_for(*host, std::move(session), base, true);
}

void FanOut::add(StanzaPtr stanza) {
    const Jid& to = stanza->to();
    Host* host = nullptr;
    SessionPtr session;
    if (!stanza->bad_to() && !to.local().empty() && !to.is_bare() && (host = host_of(to)))
        session = server_.sessions().find(to);
    // Not a local session's (another domain's, a bare JID, a session just gone): route() knows
    // what to do with it, now, and does it the same way for every stanza to that recipient.
    if (!session || !session->io()) return server_.router().route(nullptr, std::move(stanza));
    add_for(*host, std::move(session), std::move(stanza), false);
}

void FanOut::add_for(Host& host, SessionPtr session, StanzaPtr stanza, bool readdress) {
    auto* io = session->io();
    auto group =
        std::find_if(groups_.begin(), groups_.end(), [io](const Group& g) { return g.io == io; });
    if (group == groups_.end()) group = groups_.insert(groups_.end(), Group{io, {}});
    group->deliveries.push_back(Delivery{&host, std::move(session), std::move(stanza), readdress});
}

void FanOut::flush() {
    for (auto& group : groups_) {
        // Posted even to the calling thread's own loop: the pump may be in the middle of a
        // batch there, which this one must follow.
        asio::post(*group.io, [io = group.io, sender = sender_,
                               deliveries = std::move(group.deliveries)]() mutable {
            asio::use_service<FanOutPump>(*io).add(sender, std::move(deliveries));
        });
    }
    groups_.clear();
}

}  // namespace starling
