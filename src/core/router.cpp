#include "core/router.hpp"

#include "core/host.hpp"
#include "core/server.hpp"
#include "storage/account_store.hpp"
#include "stream/s2s_manager.hpp"

#include <algorithm>

namespace starling {

namespace {

const std::string routed_help = "Stanzas the router took in, by kind; bounces not included.";
const std::string bounced_help = "Stanza errors sent back for stanzas, by condition.";

Counter& routed(Server& server, const char* kind) {
    return server.metrics().counter("router.routed", {{"kind", kind}}, routed_help);
}

Counter& bounced(Server& server, std::string_view condition) {
    return server.metrics().counter("router.bounced", {{"condition", std::string(condition)}},
                                    bounced_help);
}

}  // namespace

Router::Router(Server& server)
    : server_(server),
      routed_messages_(routed(server, "message")),
      routed_presences_(routed(server, "presence")),
      routed_iqs_(routed(server, "iq")),
      delivered_(
          server.metrics().counter("router.delivered", {}, "Stanzas handed to local sessions.")),
      bounced_other_(bounced(server, "other")) {
    // Every condition up front, so a bounce finds its counter without the registry's lock.
    for (const auto& condition : stanza_error_conditions())
        bounced_.push_back(&bounced(server, condition.name));
}

// The rules below follow RFC 6121 §8 (and RFC 6120 §10); docs/routing.md says them in prose.

void Router::route(const SessionPtr& origin, StanzaPtr stanza) {
    count_routed(*stanza);
    to_destination(origin, std::move(stanza));
}

void Router::count_routed(const Stanza& stanza) {
    if (stanza.is_message())
        routed_messages_.add();
    else if (stanza.is_presence())
        routed_presences_.add();
    else
        routed_iqs_.add();
}

void Router::deliver(const SessionPtr& session, StanzaPtr stanza) {
    delivered_.add();
    session->deliver(std::move(stanza));
}

void Router::to_destination(const SessionPtr& origin, StanzaPtr stanza) {
    const Jid& to = stanza->to();
    if (stanza->bad_to()) return bounce(origin, *stanza, "modify", "jid-malformed");

    // No 'to': the stanza is for the sender's own account (RFC 6120 §10.3).
    const std::string& domain = to.empty() ? stanza->from().domain() : to.domain();
    Host* host = server_.host(domain);
    if (!host) {
        if (auto service = server_.services().find(domain))
            return service->handler(origin, std::move(stanza));
        if (server_.components().serves(domain))
            return to_component(domain, origin, std::move(stanza));
        // Another domain: over a server-to-server stream from the sender's domain, when this
        // server federates and the sender is at a domain served here (a room of our chat
        // service answers a remote occupant, a component a remote user). Where our
        // certificate does not name that domain, dialback authenticates it.
        if (server_.federates() && server_.serves(stanza->from().domain()))
            return server_.s2s().send(std::move(stanza));
        return bounce(origin, *stanza, "cancel", "remote-server-not-found");
    }
    if (to.empty()) return to_account(*host, origin, std::move(stanza));
    if (to.local().empty()) return to_host(*host, origin, std::move(stanza));
    StanzaEvent event{*host, origin, stanza};
    if (host->stanza_hooks().fire(events::stanza_in, event) != Verdict::pass) return;
    if (to.is_bare()) return to_bare(*host, origin, std::move(stanza));
    return to_full(*host, origin, std::move(stanza));
}

void Router::to_component(std::string_view domain, const SessionPtr& origin, StanzaPtr stanza) {
    // Everything for the domain and every JID at it belongs to the component (XEP-0114). One that
    // is configured but not connected does not provide its service right now (RFC 6120
    // §8.3.3.19); results and errors to it go nowhere, as bounce() knows.
    if (auto component = server_.components().find(domain))
        return component->deliver(std::move(stanza));
    bounce(origin, *stanza, "cancel", "service-unavailable", "the component is not connected");
}

void Router::route_from_client(Host& host, const SessionPtr& origin, StanzaPtr stanza) {
    count_routed(*stanza);
    from_client(host, origin, std::move(stanza));
}

void Router::from_client(Host& host, const SessionPtr& origin, StanzaPtr stanza) {
    StanzaEvent event{host, origin, stanza};
    if (host.stanza_hooks().fire(events::stanza_out, event) != Verdict::pass) return;
    to_destination(origin, std::move(event.stanza));
}

// A held stanza was counted when the router first took it.
void Router::route_held_from_client(const StanzaEvent& held) {
    ReceiptScope scope(held.receipt);
    from_client(held.host, held.origin, held.stanza);
}

void Router::route_held(const StanzaEvent& held) {
    ReceiptScope scope(held.receipt);
    to_destination(held.origin, held.stanza);
}

void Router::bounce(const SessionPtr& origin, const Stanza& stanza, std::string_view type,
                    std::string_view condition, std::string_view text) {
    if (!may_answer_with_error(stanza)) return;
    count_bounce(condition);
    deliver_to_origin_or_route(origin, make_error_reply(stanza, type, condition, text));
}

void Router::count_bounce(std::string_view condition) {
    const auto conditions = stanza_error_conditions();
    const auto known = std::lower_bound(
        conditions.begin(), conditions.end(), condition,
        [](const StanzaErrorCondition& c, std::string_view name) { return c.name < name; });
    if (known == conditions.end() || known->name != condition) return bounced_other_.add();
    bounced_[known - conditions.begin()]->add();
}

void Router::deliver_to_origin_or_route(const SessionPtr& origin, StanzaPtr stanza) {
    if (origin && stanza->to() == origin->jid()) return deliver(origin, std::move(stanza));
    to_destination(nullptr, std::move(stanza));
}

void Router::to_host(Host& host, const SessionPtr& origin, StanzaPtr stanza) {
    StanzaEvent event{host, origin, stanza};
    if (stanza->is_iq()) {
        const auto type = stanza->type();
        if (type == "result" || type == "error") {
            server_.iq_tracker().complete(stanza);
            return;
        }
        return iq_to_handler(host, IqTarget::host, origin, std::move(stanza), false);
    }
    if (stanza->is_message()) {
        if (host.stanza_hooks().fire(events::message_host, event) != Verdict::pass) return;
        // A message to the server that no module takes is not an error the sender can act on.
        return;
    }
    host.stanza_hooks().fire(events::presence_host, event);
}

void Router::to_account(Host& host, const SessionPtr& origin, StanzaPtr stanza) {
    if (stanza->is_iq()) {
        const auto type = stanza->type();
        if (type == "result" || type == "error") {
            server_.iq_tracker().complete(stanza);
            return;
        }
        return iq_to_handler(host, IqTarget::account, origin, std::move(stanza), true);
    }
    if (stanza->is_presence()) {
        StanzaEvent event{host, origin, stanza};
        if (host.stanza_hooks().fire(events::presence_out, event) != Verdict::pass) return;
        // Without a presence module, a client's broadcast presence reaches its own other
        // available resources (RFC 6121 §4.2.2), which keeps multi-device clients in step.
        const auto from = stanza->from();
        for (const auto& session : server_.sessions().resources(from.bare()))
            if (session->available() && session->jid() != from) deliver(session, stanza);
        return;
    }
    // A message with no 'to' is for the sender's bare JID (RFC 6121 §8.5.2 via §10.3).
    auto copy = stanza->copy();
    copy->set_attr("to", stanza->from().bare_str());
    to_bare(host, origin, make_stanza(std::move(copy)));
}

void Router::iq_to_handler(Host& host, IqTarget target, const SessionPtr& origin, StanzaPtr stanza,
                           bool fall_back_to_host) {
    const auto type = stanza->type();
    if (type != "get" && type != "set") return bounce(origin, *stanza, "modify", "bad-request");
    const auto children = stanza->element().child_elements();
    // An iq get/set carries exactly one payload (RFC 6120 §8.2.3).
    if (children.size() != 1) return bounce(origin, *stanza, "modify", "bad-request");
    const auto& xmlns = children.front()->xmlns();
    auto handler = host.find_iq_handler(target, type, xmlns);
    if (!handler && fall_back_to_host) handler = host.find_iq_handler(IqTarget::host, type, xmlns);
    if (!handler) {
        // A namespace we serve, asked with the other verb (a set to disco#info): the feature is
        // there but not this use of it (RFC 6120 §8.3.3.3). Anything else: nobody serves it.
        const auto other = type == "get" ? "set" : "get";
        const bool known =
            host.find_iq_handler(target, other, xmlns) ||
            (fall_back_to_host && host.find_iq_handler(IqTarget::host, other, xmlns));
        return bounce(origin, *stanza, "cancel",
                      known ? "feature-not-implemented" : "service-unavailable");
    }
    StanzaEvent event{host, origin, std::move(stanza)};
    handler(event);
}

void Router::to_bare(Host& host, const SessionPtr& origin, StanzaPtr stanza) {
    if (stanza->is_iq()) {
        const auto type = stanza->type();
        if (type == "result" || type == "error") {
            server_.iq_tracker().complete(stanza);
            return;
        }
        // An iq to a bare JID is answered by the server on the account's behalf.
        return iq_to_handler(host, IqTarget::account, origin, std::move(stanza), false);
    }
    StanzaEvent event{host, origin, stanza};
    if (stanza->is_message()) {
        if (host.stanza_hooks().fire(events::message_bare, event) != Verdict::pass) return;
        return message_to_bare(host, origin, std::move(event.stanza));
    }
    if (host.stanza_hooks().fire(events::presence_bare, event) != Verdict::pass) return;
    // Directed presence with no presence module: every available resource sees it.
    bool delivered = false;
    for (const auto& session : server_.sessions().resources(stanza->to())) {
        if (!session->available()) continue;
        deliver(session, stanza);
        delivered = true;
    }
    if (!delivered && stanza->type().empty()) return;  // RFC 6121 §8.5.2.2.2: silently ignore
}

void Router::message_to_bare(Host& host, const SessionPtr& origin, StanzaPtr stanza) {
    const auto type = stanza->type();
    if (type == "error") {
        // An error to a bare JID goes nowhere useful; RFC 6121 §8.5.2.1.1 says ignore it.
        return;
    }
    auto sessions = taking_sessions(*stanza);
    if (sessions.empty()) {
        if (type == "groupchat") return bounce(origin, *stanza, "cancel", "service-unavailable");
        if (type == "headline") return;  // RFC 6121 §8.5.2.2.1: silently ignored
        // Counted on its way to storage first, then looked for again: a session that became
        // available in between either waits for this message before it fetches the stored
        // ones, or is found now and takes it live, behind them (docs/routing.md, "Order").
        auto on_its_way = offline_flows_->enter(stanza->to().bare_str());
        sessions = taking_sessions(*stanza);
        if (sessions.empty()) return no_session(host, origin, std::move(stanza), on_its_way);
    }
    if (type == "headline") {
        for (const auto& s : sessions) deliver(s, stanza);
        return;
    }
    if (type == "groupchat") return bounce(origin, *stanza, "cancel", "service-unavailable");
    // normal and chat: the available resource(s) of highest priority (RFC 6121 §8.5.2.1.1).
    const int top = (*std::max_element(sessions.begin(), sessions.end(), [](auto& a, auto& b) {
                        return a->priority() < b->priority();
                    }))->priority();
    for (const auto& s : sessions)
        if (s->priority() == top) deliver(s, stanza);
}

void Router::to_full(Host& host, const SessionPtr& origin, StanzaPtr stanza) {
    auto session = server_.sessions().find(stanza->to());
    if (stanza->is_iq() && (stanza->type() == "result" || stanza->type() == "error") && !session) {
        server_.iq_tracker().complete(stanza);
        return;
    }
    if (!full_hooks_pass(host, origin, stanza)) return;
    if (session) return deliver(session, std::move(stanza));

    // No session with that resource (RFC 6121 §8.5.3.2).
    if (stanza->is_message()) {
        const auto type = stanza->type();
        // Only chat follows the user to another resource; normal and groupchat are answered
        // with an error rather than ignored, so the sender knows it was not delivered.
        if (type == "chat") {
            auto copy = stanza->copy();
            copy->set_attr("to", stanza->to().bare_str());
            return message_to_bare(host, origin, make_stanza(std::move(copy)));
        }
        if (type != "headline" && type != "error")
            return bounce(origin, *stanza, "cancel", "service-unavailable");
        return;  // headline and error: silently ignored
    }
    if (stanza->is_iq()) return bounce(origin, *stanza, "cancel", "service-unavailable");
    // Presence to an unavailable resource is dropped (subscriptions are the presence module's).
}

bool Router::full_hooks_pass(Host& host, const SessionPtr& origin, StanzaPtr& stanza) {
    StanzaEvent event{host, origin, stanza};
    if (stanza->is_message()) {
        if (host.stanza_hooks().fire(events::message_full, event) != Verdict::pass) return false;
        stanza = std::move(event.stanza);
    } else if (stanza->is_presence()) {
        if (host.stanza_hooks().fire(events::presence_full, event) != Verdict::pass) return false;
    }
    return true;
}

void Router::to_session(Host& host, const SessionPtr& session, StanzaPtr stanza) {
    count_routed(*stanza);
    // What route() does for a full JID with a session, without looking the session up again.
    // A room's message to 1,000 comes here 1,000 times: no event is made for hooks nobody has.
    auto& hooks = host.stanza_hooks();
    if (hooks.has(events::stanza_in)) {
        StanzaEvent event{host, nullptr, stanza};
        if (hooks.fire(events::stanza_in, event) != Verdict::pass) return;
    }
    const bool full_hooked = (stanza->is_message() && hooks.has(events::message_full)) ||
                             (stanza->is_presence() && hooks.has(events::presence_full));
    if (full_hooked && !full_hooks_pass(host, nullptr, stanza)) return;
    deliver(session, std::move(stanza));
}

std::vector<SessionPtr> Router::taking_sessions(const Stanza& stanza) {
    auto sessions = server_.sessions().resources(stanza.to());
    std::erase_if(sessions,
                  [](const SessionPtr& s) { return !s->available() || s->priority() < 0; });
    return sessions;
}

void Router::no_session(Host& host, const SessionPtr& origin, StanzaPtr stanza,
                        std::shared_ptr<const void> on_its_way) {
    if (!on_its_way) on_its_way = offline_flows_->enter(stanza->to().bare_str());
    // Whether the account exists decides between "offline" and "no such user"; only this path,
    // never an online-to-online message, asks the database.
    const std::string domain = stanza->to().domain();
    const std::string user = stanza->to().local();
    // The sender's receipt (XEP-0198) is held until the stanza is stored or bounced, and with
    // it the count of messages on their way to storage: the handlers keep it that long.
    Receipt receipt = std::make_shared<std::pair<Receipt, std::shared_ptr<const void>>>(
        current_receipt, std::move(on_its_way));
    server_.accounts().exists(
        domain, user, [this, &host, origin, stanza, receipt](bool ok, bool exists) {
            ReceiptScope scope(receipt);
            if (!ok) return bounce(origin, *stanza, "wait", "internal-server-error");
            if (!exists) return bounce(origin, *stanza, "cancel", "service-unavailable");
            StanzaEvent event{host, origin, stanza};
            if (host.stanza_hooks().fire(events::message_offline, event) != Verdict::pass) {
                if (server_.stopping()) ++stored_at_shutdown_;
                return;
            }
            // No offline storage loaded: the sender must learn the message was not delivered.
            bounce(origin, *stanza, "cancel", "service-unavailable");
        });
}

void Router::undeliverable(Host& host, StanzaPtr stanza) {
    if (stanza->is_presence()) return;
    if (stanza->is_iq()) return bounce(nullptr, *stanza, "cancel", "service-unavailable");
    const auto type = stanza->type();
    if (type == "error" || type == "headline" || type == "groupchat") return;
    // At shutdown the other resources are being disconnected as well: the message is stored.
    if (!stanza->to().is_bare() && !server_.stopping()) {
        const auto to = stanza->to();
        for (const auto& other : server_.sessions().resources(to.bare()))
            if (other->available() && other->jid() != to)
                return bounce(nullptr, *stanza, "cancel", "recipient-unavailable");
    }
    no_session(host, nullptr, std::move(stanza));
}

}  // namespace starling
