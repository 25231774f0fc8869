// XEP-0198 on one stream: <enable/>, <r/>/<a/> both ways, hibernation when the connection is
// lost, <resume/> onto a new stream, and disposal of what the client never acknowledged.

#include "sm_stream.hpp"

#include "core/router.hpp"
#include "core/server.hpp"
#include "stream/scram_crypto.hpp"
#include "stream/sm_elements.hpp"
#include "xml/serializer.hpp"


#include <spdlog/spdlog.h>
#include <algorithm>

namespace starling::smacks {
namespace {

std::string random_id() { return sasl::to_hex(sasl::random_bytes(18)); }

}  // namespace

void Registry::put(const std::string& id, Entry entry) {
    std::lock_guard lock(mutex_);
    entries_[id] = std::move(entry);
}

std::optional<Registry::Entry> Registry::find(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

void Registry::set_session(const std::string& id, const SessionPtr& session) {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(id); it != entries_.end()) it->second.session = session;
}

void Registry::remove(const std::string& id, const SmStream* stream, std::uint32_t h) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.stream.lock().get() != stream) return;
    ended_[id] = {it->second.account, h};
    ended_order_.push_back(id);
    entries_.erase(it);
    if (ended_order_.size() > max_ended) {
        ended_.erase(ended_order_.front());
        ended_order_.pop_front();
    }
}

std::optional<std::uint32_t> Registry::ended_h(const std::string& id,
                                               const std::string& account) const {
    std::lock_guard lock(mutex_);
    auto it = ended_.find(id);
    if (it == ended_.end() || it->second.first != account) return std::nullopt;
    return it->second.second;
}

SmStream::SmStream(std::shared_ptr<Module> module, ClientStream& stream)
    : module_(std::move(module)), stream_(&stream), session_(stream.session()) {}

void SmStream::on_nonza(ClientStream& stream, const xml::Element& element) {
    const auto& name = element.name();
    if (name == "enable") return enable(stream, element);
    if (name == "resume") return resume(stream, element);
    if (name == "r") {
        if (!enabled_) return failed(stream, "unexpected-request", false);
        return answer_request(stream);
    }
    if (name == "a") {
        if (!enabled_) return failed(stream, "unexpected-request", false);
        return acknowledged(stream, element);
    }
    stream.stream_error("unsupported-stanza-type", "unknown stream management element");
}

void SmStream::failed(ClientStream& stream, std::string_view condition, bool with_h) {
    std::optional<std::uint32_t> h;
    if (with_h) {
        std::lock_guard lock(mutex_);
        h = counter_.h();
    }
    failed(stream, condition, h);
}

void SmStream::failed(ClientStream& stream, std::string_view condition,
                      std::optional<std::uint32_t> h) {
    stream.send_nonza(sm::failed(condition, h));
}

void SmStream::enable(ClientStream& stream, const xml::Element& element) {
    // XEP-0198 §3: only after binding, and only once per stream.
    if (!stream.bound() || enabled_) return failed(stream, "unexpected-request", false);
    enabled_ = true;
    const auto resume = element.attr("resume");
    resumable_ = resume == "true" || resume == "1";
    std::string out = "<enabled xmlns='urn:xmpp:sm:3'";
    if (resumable_) {
        id_ = random_id();
        module_->registry.put(id_, {stream.jid().bare_str(), weak_from_this(), stream.session()});
        out += " id='" + id_ + "' resume='true' max='" +
               std::to_string(module_->settings.resume_timeout) + "'";
    }
    out += "/>";
    stream.send_nonza(std::move(out));
}

void SmStream::resume(ClientStream& stream, const xml::Element& element) {
    // A resumption replaces binding: on an authenticated stream that bound nothing yet.
    if (stream.bound() || enabled_ || stream.account().empty())
        return failed(stream, "unexpected-request", false);
    const auto h = parse_h(element.attr("h"));
    const auto previd = element.attr("previd");
    if (!h || previd.empty()) return failed(stream, "bad-request", false);
    auto entry = module_->registry.find(std::string(previd));
    // Another account's session is refused exactly as an unknown one: nothing about it leaks.
    std::shared_ptr<SmStream> old = entry ? entry->stream.lock() : nullptr;
    SessionPtr old_session = entry ? entry->session.lock() : nullptr;
    const auto account = stream.account().bare_str();
    if (!entry || entry->account != account || !old || !old_session) {
        // A session of this account that ended (timed out) is not resumable, but the client
        // learns how many of its stanzas were handled.
        if (auto h = module_->registry.ended_h(std::string(previd), account))
            return failed(stream, "item-not-found", std::optional<std::uint32_t>(*h));
        return failed(stream, "item-not-found", false);
    }
    stream.take_over(old_session, [self = shared_from_this(), old, &stream, h = *h](bool ok) {
        // On this stream's thread; the stream outlives the call (it runs it).
        if (!ok) return old->failed(stream, "item-not-found", true);
        old->complete_resume(stream, h);
    });
}

void SmStream::on_detach(ClientStream&) {
    // On the old stream's thread: its timers go with it; nothing posted there acts any more.
    ack_timer_.reset();
    resume_timer_.reset();
    request_scheduled_ = false;
    std::lock_guard lock(mutex_);
    detached_ = true;
}

void SmStream::complete_resume(ClientStream& stream, std::uint32_t h) {
    {
        std::lock_guard lock(mutex_);
        stream_ = &stream;
        session_ = stream.session();
        detached_ = false;
    }
    hibernated_ = false;
    request_outstanding_ = false;
    module_->registry.set_session(id_, stream.session());
    if (!take_acknowledged(h)) {
        return stream.stream_error(
            "undefined-condition", "",
            sm::handled_count_too_high(h, static_cast<std::uint32_t>(sent_)));
    }
    std::uint32_t handled;
    {
        std::lock_guard lock(mutex_);
        handled = counter_.h();
    }
    stream.send_nonza("<resumed xmlns='urn:xmpp:sm:3' h='" + std::to_string(handled) +
                      "' previd='" + id_ + "'/>");
    module_->resumed.add();
    spdlog::info("smacks: {} resumed, {} stanzas resent", stream.jid().str(), unacked_.size());
    // XEP-0198 §5: everything not acknowledged is sent again, in order. Still ours (owned):
    // the core writes it and never bounces it.
    for (const auto& stanza : unacked_) stream.pass_on(stanza, this, true);
    if (!unacked_.empty()) schedule_request(stream);
}

std::shared_ptr<const void> SmStream::on_inbound(ClientStream&, const xml::Element&) {
    if (!enabled_) return {};
    std::uint64_t seq;
    {
        std::lock_guard lock(mutex_);
        seq = counter_.arrived();
    }
    return std::make_shared<const HandledMark<SmStream>>(weak_from_this(), seq);
}

void SmStream::finished(std::uint64_t seq) {
    bool answer = false;
    {
        std::lock_guard lock(mutex_);
        counter_.finished(seq);
        if (answer_pending_ && counter_.handled() >= answer_at_) {
            answer_pending_ = false;
            answer = true;
        }
    }
    if (answer)
        on_stream_thread([self = shared_from_this()](ClientStream& s) { self->send_ack(s); });
}

void SmStream::on_stream_thread(std::function<void(ClientStream&)> fn) {
    ClientStream* target;
    SessionPtr session;
    {
        std::lock_guard lock(mutex_);
        if (detached_) return;
        target = stream_;
        session = session_.lock();
    }
    if (!session) return;
    target->post([self = shared_from_this(), target, session, fn = std::move(fn)] {
        {
            std::lock_guard lock(self->mutex_);
            if (self->detached_ || self->stream_ != target) return;
        }
        fn(*target);
    });
}

void SmStream::answer_request(ClientStream& stream) {
    {
        std::lock_guard lock(mutex_);
        // Answered once every stanza sent before the <r/> is handled: an <a/> now would say
        // less than the client expects, and it would ask again.
        if (counter_.handled() < counter_.received()) {
            answer_pending_ = true;
            answer_at_ = counter_.received();
            return;
        }
    }
    send_ack(stream);
}

void SmStream::send_ack(ClientStream& stream) {
    if (!stream.connected()) return;
    std::uint32_t h;
    {
        std::lock_guard lock(mutex_);
        h = counter_.h();
    }
    stream.send_nonza(sm::ack(h));
}

bool SmStream::take_acknowledged(std::uint32_t h) {
    const auto newly = newly_acknowledged(h, acked_h_, unacked_.size());
    if (!newly) return false;
    unacked_.erase(unacked_.begin(), unacked_.begin() + static_cast<std::ptrdiff_t>(*newly));
    acked_h_ = h;
    return true;
}

void SmStream::acknowledged(ClientStream& stream, const xml::Element& element) {
    const auto h = parse_h(element.attr("h"));
    if (!h) return stream.stream_error("invalid-xml", "<a/> needs a numeric 'h'");
    if (!take_acknowledged(*h)) {
        // XEP-0198 §4: the client acknowledged stanzas it was never sent.
        spdlog::info("smacks: {} acked h={} with {} sent", stream.jid().str(), *h, sent_);
        unacked_.clear();
        enabled_ = false;
        return stream.stream_error(
            "undefined-condition", "client acknowledged more stanzas than were sent",
            sm::handled_count_too_high(*h, static_cast<std::uint32_t>(sent_)));
    }
    request_outstanding_ = false;
    ack_timer_.reset();
    if (!unacked_.empty()) schedule_request(stream);
    stream.room_made();
}

bool SmStream::has_room(const ClientStream&) const {
    // A backlog goes out half a window at a time, each half acknowledged before the next, so
    // that live stanzas keep the other half and max_unacked is never reached by the backlog.
    return !enabled_ ||
           unacked_.size() < std::max<std::size_t>(1, module_->settings.max_unacked / 2);
}

void SmStream::schedule_request(ClientStream& stream) {
    if (request_outstanding_ || request_scheduled_) return;
    request_scheduled_ = true;
    // Posted: one <r/> after a burst of stanzas, in the same write.
    on_stream_thread([self = shared_from_this()](ClientStream& s) {
        self->request_scheduled_ = false;
        if (self->request_outstanding_ || self->unacked_.empty() || !s.connected() ||
            self->hibernated_)
            return;
        self->request_outstanding_ = true;
        s.send_nonza(sm::request());
        if (self->module_->settings.ack_timeout <= 0) return;
        std::weak_ptr<SmStream> weak = self;
        self->ack_timer_ = s.after(std::chrono::seconds(self->module_->settings.ack_timeout), [weak,
                                                                                               &s] {
            auto me = weak.lock();
            if (!me || !me->request_outstanding_ || !s.connected()) return;
            // No answer in time: the connection is dead, whatever TCP thinks.
            spdlog::info("smacks: {} did not answer <r/>; dropping the connection", s.jid().str());
            s.drop_connection();
        });
    });
}

Outbound SmStream::on_outbound(ClientStream& stream, const StanzaPtr& stanza) {
    if (!enabled_) return Outbound::pass;
    unacked_.push_back(stanza);
    ++sent_;
    if (unacked_.size() > module_->settings.max_unacked) {
        overflowed(stream);
        return Outbound::hold;
    }
    if (hibernated_) {
        if (stanza->is_message()) {
            // XEP-0357 push wakes the device for it.
            StanzaEvent event{stream.host(), nullptr, stanza};
            stream.host().stanza_hooks().fire(events::message_hibernated, event);
        }
        return Outbound::hold;
    }
    schedule_request(stream);
    return Outbound::track;
}

void SmStream::overflowed(ClientStream& stream) {
    // A client that does not acknowledge cannot hold the server's memory: every stanza queued
    // for it goes to storage or back to its sender now, and the stream is closed.
    spdlog::info("smacks: {} has more than {} unacknowledged stanzas", stream.jid().str(),
                 module_->settings.max_unacked);
    dispose_unacked();
    enabled_ = false;
    if (hibernated_) return stream.end_session("policy-violation");
    stream.stream_error("policy-violation", "too many unacknowledged stanzas");
}

bool SmStream::on_connection_lost(ClientStream& stream) {
    if (!enabled_ || !resumable_) return false;
    hibernated_ = true;
    request_outstanding_ = false;
    ack_timer_.reset();
    std::weak_ptr<SmStream> weak = shared_from_this();
    resume_timer_ =
        stream.after(std::chrono::seconds(module_->settings.resume_timeout), [weak, &stream] {
            auto me = weak.lock();
            if (!me || !me->hibernated_) return;
            stream.end_session("resumption timeout");
        });
    return true;
}

void SmStream::on_session_end(ClientStream&) {
    ack_timer_.reset();
    resume_timer_.reset();
    if (!id_.empty()) {
        std::uint32_t h;
        {
            std::lock_guard lock(mutex_);
            h = counter_.h();
        }
        module_->registry.remove(id_, this, h);
    }
    dispose_unacked();
    enabled_ = false;
}

void SmStream::dispose_unacked() {
    auto& router = module_->server.router();
    auto stanzas = std::move(unacked_);
    unacked_.clear();
    for (auto& stanza : stanzas) router.undeliverable(module_->host, std::move(stanza));
}

}  // namespace starling::smacks
