// XEP-0030 Service Discovery for the server and for accounts (bare JIDs). Every answer is a
// DiscoReply (core/disco.hpp): this module puts in what the host declared with add_feature and
// add_identity, and on the server's disco#items the services and components of this host, then
// lets every module that contributes to that kind of answer add its part.

#include "core/disco.hpp"
#include "core/module.hpp"
#include "core/server.hpp"

namespace {

using namespace starling;
constexpr const char* ns_info = "http://jabber.org/protocol/disco#info";
constexpr const char* ns_items = "http://jabber.org/protocol/disco#items";

// XEP-0030 §4: the entities this server runs beside the host. A component is listed by the host
// it is a subdomain of (push.example.org under example.org), as clients that look for a service
// (upload, chat, push) ask the host they are logged in to.
void add_domain_items(DiscoReply& reply, Server& server, const std::string& host) {
    for (const auto& domain : server.services().of_host(host)) reply.add_item(domain);
    const std::string suffix = "." + host;
    for (const auto& domain : server.components().domains())
        if (domain.size() > suffix.size() && domain.ends_with(suffix)) reply.add_item(domain);
}

void answer(StanzaEvent& ev, IqTarget target, DiscoKind kind) {
    auto reply = std::make_shared<DiscoReply>(kind, target, ev);
    if (reply->node().empty()) {
        if (kind == DiscoKind::info) {
            for (auto& id : ev.host.identities(target)) reply->add_identity(std::move(id));
            for (auto& var : ev.host.features(target)) reply->add_feature(std::move(var));
        } else if (target == IqTarget::host) {
            add_domain_items(*reply, ev.host.server(), ev.host.domain());
        }
    }
    for (const auto& contribute : ev.host.disco_contributors(target, kind)) contribute(reply);
}

void load(ModuleContext& ctx) {
    ctx.add_identity({"server", "im", "Starling"});
    ctx.add_identity({"account", "registered", {}}, IqTarget::account);
    for (auto target : {IqTarget::host, IqTarget::account}) {
        ctx.add_feature(ns_info, target);
        ctx.add_feature(ns_items, target);
        for (auto kind : {DiscoKind::info, DiscoKind::items})
            ctx.iq_handler(target, "get", kind == DiscoKind::info ? ns_info : ns_items,
                           [target, kind](StanzaEvent& ev) { answer(ev, target, kind); });
    }
}

}  // namespace

STARLING_MODULE("disco", "XEP-0030 Service Discovery", nullptr, nullptr, load)
