#include "stream/bosh_stream.hpp"

#include "stream/websocket_framing.hpp"
#include "xml/serializer.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace starling {
namespace {

// The highest BOSH version spoken (XEP-0124 1.11); a client asking for less gets its own.
constexpr unsigned ver_major = 1;
constexpr unsigned ver_minor = 11;

std::string negotiated_version(std::string_view asked) {
    unsigned major = 0;
    unsigned minor = 0;
    const auto dot = asked.find('.');
    if (dot != std::string_view::npos) {
        const auto m = std::from_chars(asked.data(), asked.data() + dot, major);
        const auto n = std::from_chars(asked.data() + dot + 1, asked.data() + asked.size(), minor);
        if (m.ec == std::errc() && n.ec == std::errc() &&
            (major < ver_major || (major == ver_major && minor < ver_minor)))
            return std::to_string(major) + "." + std::to_string(minor);
    }
    return std::to_string(ver_major) + "." + std::to_string(ver_minor);
}

void attribute(std::string& out, std::string_view name, std::string_view value) {
    out += ' ';
    out += name;
    out += "='";
    xml::escape(value, out);
    out += '\'';
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

BoshStream::BoshStream(asio::any_io_executor executor, std::string sid, std::string peer,
                       bool secure, Settings settings, std::function<void()> on_end)
    : executor_(std::move(executor)),
      sid_(std::move(sid)),
      peer_(std::move(peer)),
      secure_(secure),
      settings_(settings),
      requests_(std::max(2u, settings.hold + 1)),
      on_end_(std::move(on_end)),
      timer_(executor_),
      idle_since_(Clock::now()) {}

std::string BoshStream::peer(std::string* ip) {
    if (ip) *ip = peer_;
    return peer_ + " (BOSH)";
}

void BoshStream::open(bosh::Request request, HttpRespond respond) {
    to_ = request.to;
    lang_ = request.lang;
    ver_ = negotiated_version(request.ver);
    next_rid_ = request.rid;
    // The creation request opens the stream as a restart reopens it.
    request.restart = true;
    queued_.emplace(request.rid, Queued{std::move(request), std::move(respond)});
    pump();
}

void BoshStream::handle(bosh::Request request, HttpRespond respond) {
    if (closed_ || failure_ != net::IoStatus::ok) return respond(bosh::http_response(bosh::terminate("item-not-found")));
    const std::uint64_t rid = request.rid;
    if (rid < next_rid_) {
        // A repeat, after the connection carrying the first went down (XEP-0124 §14.3): the
        // answer again, or, while it is still held, the answer there instead.
        if (const auto it = answered_.find(rid); it != answered_.end())
            return respond(bosh::http_response(it->second));
        for (auto& held : held_)
            if (held.rid == rid) {
                held.respond = std::move(respond);
                return;
            }
        return fail("item-not-found", std::move(respond));
    }
    // The error is the same for a rid too far ahead as for one too old: it tells a guesser
    // nothing (XEP-0124 §14.3).
    if (rid >= next_rid_ + window()) return fail("item-not-found", std::move(respond));
    if (ending_) return respond(bosh::http_response(bosh::terminate(
                      stream_error_ ? "remote-stream-error" : "item-not-found")));
    auto& queued = queued_[rid];
    queued.request = std::move(request);
    queued.respond = std::move(respond);
    pump();
}

void BoshStream::schedule_pump() {
    if (pump_posted_ || closed_) return;
    pump_posted_ = true;
    asio::post(executor_, [self = shared_from_this()] {
        self->pump_posted_ = false;
        self->pump();
    });
}

void BoshStream::pump() {
    if (closed_) return;
    // In rid order, each once the stream has read the one before: a stream that is not
    // reading holds the client's next requests unanswered.
    while (!has_buffered_input() && failure_ == net::IoStatus::ok && !ending_ &&
           !queued_.empty() && queued_.begin()->first == next_rid_) {
        auto node = queued_.extract(queued_.begin());
        take(std::move(node.mapped().request), std::move(node.mapped().respond));
    }
    // XEP-0124 §7: an answer as soon as there is something to send; and no more than 'hold'
    // requests held, the oldest answered (empty) to make room.
    while (!held_.empty() && (!pending_.empty() || held_.size() > settings_.hold || ending_))
        answer_oldest();
    arm_timer();
}

void BoshStream::take(bosh::Request request, HttpRespond respond) {
    ++next_rid_;
    if (request.restart) {
        // XEP-0206 §5: a restart is a new stream header, as over TCP.
        std::string header = "<stream:stream xmlns='jabber:client' "
                             "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'";
        attribute(header, "to", request.to.empty() ? to_ : request.to);
        if (const auto& lang = request.lang.empty() ? lang_ : request.lang; !lang.empty())
            attribute(header, "xml:lang", lang);
        input_.append(header + '>');
    }
    input_.append(std::move(request.payload));
    // XEP-0124 §12: the payloads of a terminating request are read, then the stream ends.
    if (request.terminate) input_.append("</stream:stream>");
    held_.push_back(Held{request.rid, std::move(respond),
                         Clock::now() + std::chrono::seconds(settings_.wait)});
    if (has_buffered_input()) wake(read_waiter_, error_code());
}

void BoshStream::answer_oldest() {
    Held held = std::move(held_.front());
    held_.pop_front();
    std::string attributes;
    if (!created_) {
        attributes = creation_attributes();
        created_ = true;
    }
    if (ending_) {
        attributes += " type='terminate'";
        // XEP-0206 §6: a stream error goes in a terminating body of its own condition.
        if (stream_error_) attributes += " condition='remote-stream-error'";
    }
    std::string body = bosh::response(attributes, pending_);
    std::string().swap(pending_);
    if (write_waiter_) wake(write_waiter_, error_code());
    answered_[held.rid] = body;
    // Kept while a repeat is possible: the client has at most 'requests' outstanding.
    while (!answered_.empty() && answered_.begin()->first + window() < next_rid_)
        answered_.erase(answered_.begin());
    if (held_.empty()) idle_since_ = Clock::now();
    held.respond(bosh::http_response(std::move(body)));
}

std::string BoshStream::creation_attributes() const {
    std::string out;
    attribute(out, "sid", sid_);
    attribute(out, "wait", std::to_string(settings_.wait));
    attribute(out, "hold", std::to_string(settings_.hold));
    attribute(out, "requests", std::to_string(requests_));
    attribute(out, "inactivity", std::to_string(settings_.inactivity));
    attribute(out, "ver", ver_);
    if (!stream_from_.empty()) attribute(out, "from", stream_from_);
    if (!stream_id_.empty()) attribute(out, "authid", stream_id_);
    // The connection manager is the server itself: nothing travels further unencrypted.
    attribute(out, "secure", "true");
    out += " xmpp:version='1.0' xmpp:restartlogic='true' xmlns:xmpp='";
    out += bosh::ns_xbosh;
    out += "' xmlns:stream='http://etherx.jabber.org/streams'";
    return out;
}

void BoshStream::fail(std::string_view condition, HttpRespond respond) {
    if (respond) respond(bosh::http_response(bosh::terminate(condition)));
    for (auto& held : held_) held.respond(bosh::http_response(bosh::terminate(condition)));
    held_.clear();
    for (auto& [rid, queued] : queued_)
        queued.respond(bosh::http_response(bosh::terminate(condition)));
    queued_.clear();
    // The stream sees its connection dropped: stream management may keep it for resumption.
    failure_ = net::IoStatus::eof;
    wake(read_waiter_, error_code());
    wake(write_waiter_, error_code());
}

void BoshStream::arm_timer() {
    if (closed_ || failure_ != net::IoStatus::ok) return;
    Clock::time_point deadline;
    if (!held_.empty())
        deadline = held_.front().deadline;
    else if (queued_.empty())
        deadline = idle_since_ + std::chrono::seconds(settings_.inactivity);
    else {
        timer_.cancel();  // requests wait for the stream, not the client
        return;
    }
    timer_.expires_at(deadline);
    timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
        auto self = weak.lock();
        if (!ec && self) self->on_timer();
    });
}

void BoshStream::on_timer() {
    if (closed_ || failure_ != net::IoStatus::ok) return;
    const auto now = Clock::now();
    if (!held_.empty()) {
        while (!held_.empty() && held_.front().deadline <= now) answer_oldest();
        return arm_timer();
    }
    if (!queued_.empty() || now < idle_since_ + std::chrono::seconds(settings_.inactivity))
        return arm_timer();
    // XEP-0124 §10: no request for 'inactivity' seconds: the client has gone.
    fail("item-not-found", nullptr);
}

void BoshStream::wake(std::function<void(const error_code&)>& waiter, const error_code& ec) {
    if (!waiter) return;
    // Posted: the waiter reads or writes, which may come back here.
    asio::post(executor_, [then = std::exchange(waiter, nullptr), ec] { then(ec); });
}

std::size_t BoshStream::read(char* data, std::size_t size, net::IoStatus& status) {
    if (!has_buffered_input()) {
        status = failure_ != net::IoStatus::ok ? failure_
                 : closed_                     ? net::IoStatus::error
                                               : net::IoStatus::want_read;
        return 0;
    }
    const std::size_t n = input_.take(data, size);
    // All read: the next request's turn.
    if (input_.empty() && !queued_.empty()) schedule_pump();
    status = net::IoStatus::ok;
    return n;
}

std::size_t BoshStream::write(const char* data, std::size_t size, net::IoStatus& status) {
    if (closed_ || failure_ != net::IoStatus::ok) {
        status = net::IoStatus::error;
        return 0;
    }
    if (pending_.size() >= settings_.pending_bytes) {
        status = net::IoStatus::want_write;
        return 0;
    }
    const std::string_view element(data, size);
    status = net::IoStatus::ok;
    if (starts_with(element, "<open ") || starts_with(element, "<close ")) {
        // The stream's framing (RFC 7395, as the stream writes it when framed): its header
        // goes on the creation answer's <body/>, its end makes the answers terminate.
        if (const auto framing = websocket_framing::read_framing(element)) {
            if (framing->name == "close") {
                ending_ = true;
            } else {
                for (const auto& [name, value] : framing->attributes) {
                    if (name == "from") stream_from_ = value;
                    if (name == "id") stream_id_ = value;
                }
            }
            schedule_pump();
            return size;
        }
    }
    if (starts_with(element, "<stream:error")) stream_error_ = true;
    pending_ += websocket_framing::outbound(element);
    schedule_pump();
    return size;
}

void BoshStream::async_wait(net::IoStatus status, std::function<void(const error_code&)> then) {
    const bool write = status == net::IoStatus::want_write;
    const bool ready = closed_ || failure_ != net::IoStatus::ok ||
                       (write ? pending_.size() < settings_.pending_bytes : has_buffered_input());
    if (ready) {
        return asio::post(executor_, [then = std::move(then), closed = closed_] {
            then(closed ? error_code(asio::error::operation_aborted) : error_code());
        });
    }
    (write ? write_waiter_ : read_waiter_) = std::move(then);
}

void BoshStream::shutdown() {
    if (closed_ || ending_) return;
    ending_ = true;
    schedule_pump();
}

void BoshStream::close() {
    if (closed_) return;
    // What the stream wrote last (its <close/>, an error) still goes out, on the requests held.
    ending_ = true;
    while (!held_.empty()) answer_oldest();
    for (auto& [rid, queued] : queued_)
        queued.respond(bosh::http_response(bosh::terminate("item-not-found")));
    queued_.clear();
    closed_ = true;
    timer_.cancel();
    wake(read_waiter_, asio::error::operation_aborted);
    wake(write_waiter_, asio::error::operation_aborted);
    if (auto on_end = std::exchange(on_end_, nullptr)) on_end();
}

}  // namespace starling
