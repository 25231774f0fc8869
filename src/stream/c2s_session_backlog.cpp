// Backlogs a c2s stream delivers paced (stored messages, archive results), and the live stanzas
// held behind a backlog so that none overtakes it (docs/routing.md, "Order").

#include "core/server.hpp"
#include "stream/c2s_session.hpp"

#include <algorithm>

namespace starling {

void C2sSession::enqueue(StanzaPtr stanza) {
    // Behind a backlog of stored messages, live messages wait their turn. Presence and iqs do
    // not: the contacts' presence and the answers to the client's own requests do not wait for
    // a long backlog. A session that is no longer bound disposes of them at once (send_through
    // knows how), as it would without a backlog.
    if (state_ == State::bound && (live_holds_ > 0 || live_paced_) && stanza->is_message()) {
        held_live_bytes_ += stanza->bytes().size();
        held_live_.push_back(std::move(stanza));
        // Bounded like the queue they wait to enter: a sender cannot grow it without limit
        // while the database is slow.
        if (held_live_bytes_ > out_.limit()) outbound_overflow();
        return;
    }
    send_through(std::move(stanza), 0, false);
}

std::shared_ptr<void> C2sSession::hold_live() {
    ++live_holds_;
    // The handle is released on whatever thread the backlog's load finished; the count is the
    // session thread's. Posted after the deliver_paced() of the backlog, so it is queued first.
    return std::shared_ptr<void>(this, [self = self()](void*) {
        asio::post(self->socket_->get_executor(), [self] { self->release_live_hold(); });
    });
}

void C2sSession::release_live_hold() {
    if (--live_holds_ > 0 || held_live_.empty() || live_paced_) return;
    if (state_ != State::bound) {
        for (auto& stanza : take_held_live()) send_through(std::move(stanza), 0, false);
        return;
    }
    live_paced_ = true;
    paced_.push_back(Paced{});
    pump_paced();
}

std::vector<StanzaPtr> C2sSession::take_held_live() {
    auto held = std::move(held_live_);
    held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(held_live_next_));
    held_live_.clear();
    held_live_next_ = 0;
    held_live_bytes_ = 0;
    return held;
}

void C2sSession::deliver_paced(std::vector<StanzaPtr> stanzas,
                               std::function<void(std::size_t)> done) {
    // Posted, never run inline: a `done` may deliver more, while pump_paced() walks the list.
    asio::post(socket_->get_executor(),
               [self = self(), stanzas = std::move(stanzas), done = std::move(done)]() mutable {
                   if (self->state_ != State::bound) return done(0);
                   self->paced_.push_back(Paced{std::move(stanzas), 0, std::move(done)});
                   self->pump_paced();
               });
}

void C2sSession::pump_paced() {
    const auto extensions_have_room = [this] {
        return std::all_of(extensions_.begin(), extensions_.end(),
                           [this](const Extension& e) { return e.extension->has_room(*this); });
    };
    // Half the bound, so live stanzas keep the other half; an empty queue takes one stanza of
    // any size, or a big one would never go.
    const auto has_room = [&](const StanzaPtr& stanza) {
        const std::size_t size = stanza->bytes().size();
        if (out_.queued_bytes() != 0 && out_.queued_bytes() + size > out_.limit() / 2) return false;
        return extensions_have_room();
    };
    // A write that completes at once calls back in here (on_written): the outer call goes on.
    if (pumping_) return;
    pumping_ = true;
    struct Done {
        bool& flag;
        ~Done() { flag = false; }
    } done_pumping{pumping_};
    while (!paced_.empty() && state_ == State::bound) {
        auto& paced = paced_.front();
        if (!paced.done) {
            // The held live stanzas, which may grow while they go out.
            while (held_live_next_ < held_live_.size()) {
                if (!has_room(held_live_[held_live_next_])) return;
                auto stanza = std::move(held_live_[held_live_next_++]);
                held_live_bytes_ -= stanza->bytes().size();
                send_through(std::move(stanza), 0, false);
                if (state_ != State::bound) return;  // the session disposes of the rest
            }
            take_held_live();
            live_paced_ = false;
            paced_.erase(paced_.begin());
            continue;
        }
        while (paced.next < paced.stanzas.size()) {
            if (!has_room(paced.stanzas[paced.next])) return;
            send_through(std::move(paced.stanzas[paced.next++]), 0, false);
            if (state_ != State::bound) return;  // end_paced() tells the rest
        }
        auto done = std::move(paced.done);
        const std::size_t queued = paced.next;
        paced_.erase(paced_.begin());
        done(queued);
    }
}

void C2sSession::end_paced() {
    auto paced = std::move(paced_);
    paced_.clear();
    live_paced_ = false;
    for (auto& each : paced)
        if (each.done) each.done(each.next);
}

}  // namespace starling
