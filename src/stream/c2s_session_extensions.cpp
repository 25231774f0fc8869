// The seams a c2s stream offers to module extensions (core/client_stream.hpp): nonza dispatch,
// the outbound chain, hibernation when the connection dies, and handing a session over to the
// stream that resumes it (XEP-0198).

#include "core/server.hpp"
#include "stream/c2s_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace starling {

// What a resuming stream takes from the old one, on the old one's thread.
struct C2sSession::Adopted {
    Jid jid;
    int priority = 0;
    bool available = false;
    std::vector<Extension> extensions;
    std::vector<StanzaPtr> untracked;  // queued on the old stream and owned by no extension
};

Jid C2sSession::account() const {
    if (username_.empty() || !host_ || state_ == State::connected) return {};
    auto jid = Jid::make(username_, host_->domain(), "");
    return jid ? *jid : Jid();
}

void C2sSession::handle_nonza(xml::ElementPtr element) {
    const auto& ns = element->xmlns();
    auto it = std::find_if(extensions_.begin(), extensions_.end(),
                           [&](const Extension& e) { return e.xmlns == ns; });
    if (it == extensions_.end()) {
        auto spec = host_->find_stream_extension(ns);
        if (!spec) return stream_error("unsupported-stanza-type");
        auto extension = spec->factory(*this);
        if (!extension) return stream_error("unsupported-stanza-type");
        auto pos = std::find_if(extensions_.begin(), extensions_.end(),
                                [&](const Extension& e) { return e.order > spec->order; });
        it = extensions_.insert(pos, Extension{ns, spec->order, std::move(extension)});
    }
    // Kept alive here: handling the nonza may end the stream or replace the list.
    auto extension = it->extension;
    extension->on_nonza(*this, *element);
}

std::shared_ptr<const void> C2sSession::inbound_receipt(const xml::Element& element) {
    std::shared_ptr<const void> receipt;
    for (auto& e : extensions_)
        if (auto r = e.extension->on_inbound(*this, element)) receipt = std::move(r);
    return receipt;
}

void C2sSession::pass_on(StanzaPtr stanza, const StreamExtension* from, bool owned) {
    std::size_t first = 0;
    if (from) {
        auto it = std::find_if(extensions_.begin(), extensions_.end(),
                               [&](const Extension& e) { return e.extension.get() == from; });
        first = it == extensions_.end() ? extensions_.size() : (it - extensions_.begin()) + 1;
    }
    send_through(std::move(stanza), first, owned);
}

void C2sSession::drop_connection() {
    if (dead()) return;
    spdlog::info("c2s {}: {} dropped as dead", peer_, jid_.str());
    if (state_ == State::closing) return finish_close();
    finish_close();
}

bool C2sSession::keep_after_connection_lost() {
    if (extensions_.empty()) return false;
    bool keep = false;
    // Copied: an extension's answer may change the list.
    auto extensions = extensions_;
    for (auto it = extensions.rbegin(); it != extensions.rend(); ++it)
        keep = it->extension->on_connection_lost(*this) || keep;
    return keep;
}

void C2sSession::hibernate() {
    state_ = State::hibernated;
    hibernated_.store(true, std::memory_order_relaxed);
    preauth_timer_.cancel();
    socket_->close();
    connection_slot_.reset();  // a hibernated session holds no connection
    end_paced();
    // What the core still queued was either tracked by an extension, which resends it after a
    // resumption, or is disposed of as for a session that is gone.
    out_.for_each([this](WriteQueue::Entry& out) {
        if (out.stanza && !out.owned) server_.router().undeliverable(*host_, out.stanza);
    });
    out_.clear();
    // Held live stanzas come after all that: the extensions queue them for the resumption.
    for (auto& stanza : take_held_live()) send_through(std::move(stanza), 0, false);
    close_after_write_ = false;
    spdlog::info("c2s {}: {} hibernated (connection lost)", peer_, jid_.str());
    SessionEvent event{*host_, shared_from_this(), "hibernated"};
    host_->session_hooks().fire(events::session_hibernated, event);
}

void C2sSession::end_session(std::string_view reason) {
    if (state_ != State::hibernated) return stream_error(reason);
    spdlog::info("c2s {}: hibernated {} ended ({})", peer_, jid_.str(), reason);
    hibernated_.store(false, std::memory_order_relaxed);
    end_bound_session(reason);
}

void C2sSession::post(std::function<void()> fn) {
    asio::post(socket_->get_executor(), [self = self(), fn = std::move(fn)] { fn(); });
}

std::shared_ptr<void> C2sSession::after(std::chrono::milliseconds delay, std::function<void()> fn) {
    // Destroying the last handle destroys the timer, which cancels the wait.
    auto timer = std::make_shared<asio::steady_timer>(socket_->get_executor());
    timer->expires_after(delay);
    timer->async_wait([fn = std::move(fn)](const error_code& ec) {
        if (!ec) fn();
    });
    return timer;
}

void C2sSession::take_over(const SessionPtr& old_session, std::function<void(bool)> done) {
    auto old = std::dynamic_pointer_cast<C2sSession>(old_session);
    if (!old || old.get() == this || state_ != State::authenticated) return done(false);
    asio::post(old->socket_->get_executor(),
               [old, self = self(), done = std::move(done)]() mutable {
                   old->hand_over(std::move(self), std::move(done));
               });
}

// On the old stream's thread.
void C2sSession::hand_over(std::shared_ptr<C2sSession> to, std::function<void(bool)> done) {
    if (handed_over_ || (state_ != State::bound && state_ != State::hibernated)) {
        return asio::post(to->socket_->get_executor(),
                          [to, done = std::move(done)] { done(false); });
    }
    end_paced();
    auto adopted = std::make_shared<Adopted>();
    adopted->jid = jid_;
    adopted->priority = priority_.load();
    adopted->available = available_.load();
    for (auto& e : extensions_) e.extension->on_detach(*this);
    adopted->extensions = std::move(extensions_);
    extensions_.clear();
    // Stanzas not yet written go with the session; what is in the middle of a write goes out
    // here and, being tracked, again on the new stream, which the client's count sorts out.
    out_.for_each([&](WriteQueue::Entry& out) {
        if (out.stanza && !out.owned) adopted->untracked.push_back(out.stanza);
    });
    out_.drop_queued([](WriteQueue::Entry&) { return true; });
    for (auto& stanza : take_held_live()) adopted->untracked.push_back(std::move(stanza));
    handed_over_ = true;
    forward_to_ = to;
    const bool was_connected = state_ == State::bound;
    if (was_connected) {
        // XEP-0198 §5: the old stream learns it was replaced.
        stream_error("conflict", "the session was resumed on another connection");
    } else {
        hibernated_.store(false, std::memory_order_relaxed);
        end_bound_session("resumed");
    }
    // Posted before anything forwarded from here, so the new stream is bound first.
    asio::post(to->socket_->get_executor(),
               [to, old = self(), adopted, done = std::move(done)]() mutable {
                   to->adopt(std::move(old), std::move(adopted), std::move(done));
               });
}

// On the new stream's thread.
void C2sSession::adopt(std::shared_ptr<C2sSession> old, std::shared_ptr<Adopted> adopted,
                       std::function<void(bool)> done) {
    if (state_ != State::authenticated) {
        // This stream died while the session came over: the session ends here instead, and
        // what it held is disposed of as for any ended session.
        server_.sessions().unbind(*old);
        SessionEvent event{*host_, old, "closed"};
        host_->session_hooks().fire(events::session_closed, event);
        for (auto it = adopted->extensions.rbegin(); it != adopted->extensions.rend(); ++it)
            it->extension->on_session_end(*this);
        for (auto& stanza : adopted->untracked) server_.router().undeliverable(*host_, stanza);
        if (state_ != State::closed && state_ != State::closing)
            stream_error("undefined-condition");
        return;
    }
    jid_ = adopted->jid;
    priority_.store(adopted->priority);
    available_.store(adopted->available);
    state_ = State::bound;
    preauth_timer_.cancel();
    extensions_ = std::move(adopted->extensions);
    // Messages routed to the old stream until the bind below are forwarded from its thread;
    // those routed here from then on wait until it has forwarded all of them, so that none
    // overtakes them (docs/routing.md, "Order"). Released once the old thread has run what it
    // had before this.
    auto forwarded = hold_live();
    if (auto replaced = server_.sessions().bind(shared_from_this()); replaced && replaced != old)
        replaced->close("conflict", "replaced by a new connection with the same resource");
    spdlog::info("c2s {}: resumed {}", peer_, jid_.str());
    done(true);
    auto extensions = extensions_;
    for (auto it = extensions.rbegin(); it != extensions.rend(); ++it)
        it->extension->on_resumed(*this);
    // Older than anything forwarded, so never held behind it.
    for (auto& stanza : adopted->untracked) send_through(std::move(stanza), 0, false);
    asio::post(old->socket_->get_executor(), [old, forwarded = std::move(forwarded)] {});
    SessionEvent event{*host_, shared_from_this(), "resumed"};
    host_->session_hooks().fire(events::session_resumed, event);
}

}  // namespace starling
