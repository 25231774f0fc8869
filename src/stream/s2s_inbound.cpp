#include "stream/s2s_inbound.hpp"

#include "core/server.hpp"
#include "stream/s2s_manager.hpp"
#include "stream/stream_namespaces.hpp"
#include "stream/stream_setup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace starling {
namespace {

// How long reading pauses when the peer's domain is over s2s.stanza_rate; checked again after.
constexpr auto rate_pause = std::chrono::milliseconds(50);

}  // namespace

S2sInbound::S2sInbound(Server& server, asio::any_io_executor executor, Owner& owner)
    : server_(server), owner_(owner), timer_(std::move(executor)) {}

std::optional<S2sInbound::Refusal> S2sInbound::route(xml::ElementPtr element, Receipt receipt,
                                                     const std::vector<std::string>& senders,
                                                     const std::vector<std::string>* targets) {
    // RFC 6120 §8.1.1.2, §8.1.2.2: a server's stanza names both ends.
    const auto from = Jid::parse(element->attr("from"));
    if (!from || std::find(senders.begin(), senders.end(), from->domain()) == senders.end())
        return Refusal{"invalid-from", "stanzas must come from a domain this stream authenticated"};
    const auto to = Jid::parse(element->attr("to"));
    if (!to) return Refusal{"improper-addressing", "a stanza needs a valid 'to'"};
    const auto& domain = to->domain();
    if (!server_.serves(domain) ||
        (targets && std::find(targets->begin(), targets->end(), domain) == targets->end()))
        return Refusal{"host-unknown", domain + " is not served on this stream"};
    to_client_namespace(*element, ns_server);
    // With XEP-0198 the stanza counts in `h` once every copy of its receipt is released.
    ReceiptScope scope(std::move(receipt));
    server_.router().route(nullptr, make_stanza(std::move(element)));
    if (!held_ && !server_.s2s().take_incoming(from->domain())) hold(from->domain());
    return std::nullopt;
}

void S2sInbound::hold(const std::string& domain) {
    if (!logged_)
        spdlog::info("s2s {}: {} is over s2s.stanza_rate, reading paused", owner_.stream_name(), domain);
    logged_ = true;
    held_ = true;
    timer_.expires_after(rate_pause);
    timer_.async_wait([this, keep = owner_.keep_alive()](const error_code& ec) {
        if (ec) return;
        held_ = false;
        owner_.resume_reading();
    });
}

}  // namespace starling
