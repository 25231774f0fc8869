// XEP-0199 XMPP Ping: answers pings, and pings sessions that have been quiet for a while so that
// dead connections are noticed and closed.

#include "core/module.hpp"
#include "core/server.hpp"

namespace {

using namespace starling;
constexpr const char* ns_ping = "urn:xmpp:ping";

std::vector<OptionSpec> options() {
    return {
        {"idle_interval", OptionType::duration, "300", 0, 86400,
         "ping a session after this long without traffic from it; 0 turns idle pings off"},
        {"timeout", OptionType::duration, "60", 1, 3600,
         "close a pinged session that has not answered within this time"},
    };
}

void load(ModuleContext& ctx) {
    ctx.add_feature(ns_ping);
    ctx.iq_handler(IqTarget::host, "get", ns_ping, [&ctx](StanzaEvent& ev) {
        ctx.send(make_iq_result(*ev.stanza));
    });

    const auto idle = std::chrono::seconds(ctx.options().get_int("idle_interval"));
    const auto timeout = std::chrono::seconds(ctx.options().get_int("timeout"));
    if (idle.count() == 0) return;
    auto& pinged = ctx.metric("idle_pings");
    // Check once a second at most, or a tenth of the interval, so a session is pinged close to
    // when it goes idle without scanning every session constantly.
    const auto period = std::max<std::chrono::milliseconds>(std::chrono::seconds(1), idle / 10);
    auto& in_flight = ctx.own(std::make_shared<std::set<std::string>>());
    ctx.add_timer(period, [&ctx, idle, timeout, &pinged, &in_flight] {
        const auto now = std::chrono::steady_clock::now();
        for (const auto& session : ctx.server().sessions().all()) {
            // A hibernated session (XEP-0198) has no connection to test; its own timeout ends it.
            if (session->jid().domain() != ctx.domain() || session->hibernated() ||
                now - session->last_activity() < idle)
                continue;
            const auto jid = session->jid().str();
            if (!in_flight.insert(jid).second) continue;
            pinged.add();
            auto iq = xml::make_element("iq", "jabber:client");
            iq->set_attr("type", "get");
            iq->set_attr("to", jid);
            iq->add_child("ping", ns_ping);
            std::weak_ptr<Session> weak = session;
            ctx.send_iq(std::move(iq), timeout, [&ctx, &in_flight, jid, weak](StanzaPtr reply) {
                ctx.server().post([&in_flight, jid] { in_flight.erase(jid); });
                if (reply) return;  // any answer, even an error, shows the client is alive
                auto s = weak.lock();
                // Hibernated meanwhile: the ping waits in its queue, and is no sign of death.
                if (s && !s->hibernated()) s->close("connection-timeout", "no answer to ping");
            });
        }
    });
}

}  // namespace

STARLING_MODULE("ping", "XEP-0199 XMPP Ping, with pings of idle sessions", options, nullptr, load)
