#include "stream/bosh_endpoint.hpp"

#include "stream/scram_crypto.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace starling {
namespace {

// XEP-0124 §7: a client asks to hold this many requests at most; one is all a client needs
// (it then has two outstanding), and each held request is an HTTP connection kept open.
constexpr unsigned max_hold = 1;

HttpResponse text_response(int status, std::string_view text) {
    auto response = HttpResponse::text(status, text);
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
    return response;
}

}  // namespace

void BoshEndpoint::handle(HttpRequest& request, HttpRespond respond) {
    if (request.method == "OPTIONS") {
        // The CORS preflight of a web client on another origin: it posts text/xml, which
        // browsers ask about first. Nothing ambient (a cookie) authorises a request here, so
        // any origin may post.
        HttpResponse response{204, {}, {}, nullptr};
        response.headers = {{"Access-Control-Allow-Origin", "*"},
                            {"Access-Control-Allow-Methods", "POST, OPTIONS"},
                            {"Access-Control-Allow-Headers", "Content-Type"},
                            {"Access-Control-Max-Age", "86400"}};
        return respond(std::move(response));
    }
    if (request.method != "POST") {
        auto refused = text_response(405, "this is a BOSH endpoint (XEP-0124, XEP-0206): POST a "
                                          "<body/> of namespace http://jabber.org/protocol/httpbind");
        refused.headers.emplace_back("Allow", "POST, OPTIONS");
        return respond(std::move(refused));
    }
    std::string error;
    auto body = bosh::parse_request(request.body, error);
    if (!body) {
        spdlog::debug("bosh {}: refused a request: {}", request.peer, error);
        // XEP-0124 §17.1: a request that is not a binding element at all.
        HttpResponse refused = bosh::http_response(bosh::terminate("bad-request"));
        refused.status = 400;
        return respond(std::move(refused));
    }
    if (body->sid.empty()) return create(std::move(*body), request, std::move(respond));

    std::shared_ptr<BoshStream> stream;
    {
        std::lock_guard lock(mutex_);
        if (const auto it = streams_.find(body->sid); it != streams_.end())
            stream = it->second.lock();
    }
    // XEP-0124 §17.2: an unknown session (ended, or never made) is item-not-found.
    if (!stream) return respond(bosh::http_response(bosh::terminate("item-not-found")));
    if (stream->secure() && !request.secure)
        return respond(text_response(
            403, "this BOSH session was opened over HTTPS: its requests must all come that way"));
    asio::post(stream->get_executor(), [stream, body = std::move(*body),
                                        respond = std::move(respond)]() mutable {
        stream->handle(std::move(body), std::move(respond));
    });
}

void BoshEndpoint::create(bosh::Request body, const HttpRequest& request, HttpRespond respond) {
    // XEP-0206 §4: the stream is to the host named by 'to'.
    if (body.to.empty() || !hooks_.serves(body.to))
        return respond(bosh::http_response(bosh::terminate("host-unknown")));
    std::string refused;
    auto slot = hooks_.admit(request.peer, refused);
    if (!slot) {
        spdlog::debug("bosh {}: refused a session: {}", request.peer, refused);
        return respond(text_response(503, "too many connections: " + refused));
    }
    const Limits limits = hooks_.limits();
    BoshStream::Settings settings;
    settings.wait = std::min(body.wait.value_or(limits.max_wait), limits.max_wait);
    settings.hold = std::min(body.hold.value_or(max_hold), max_hold);
    settings.inactivity = limits.inactivity;
    std::string sid = sasl::to_hex(sasl::random_bytes(16));
    auto stream = std::make_shared<BoshStream>(
        hooks_.executor(), sid, request.peer, request.secure, settings,
        [weak = weak_from_this(), sid] {
            if (auto self = weak.lock()) {
                std::lock_guard lock(self->mutex_);
                self->streams_.erase(sid);
            }
        });
    {
        std::lock_guard lock(mutex_);
        streams_.emplace(sid, stream);
    }
    // A sid is the session's only key: the log shows enough of it to tell sessions apart.
    spdlog::debug("bosh {}: session {}… to {} (wait {} s, hold {})", request.peer,
                  sid.substr(0, 8), body.to, settings.wait, settings.hold);
    asio::post(stream->get_executor(),
               [self = shared_from_this(), stream, body = std::move(body),
                respond = std::move(respond), slot = std::move(slot)]() mutable {
                   stream->open(std::move(body), std::move(respond));
                   self->hooks_.start(stream, std::move(slot));
               });
}

}  // namespace starling
