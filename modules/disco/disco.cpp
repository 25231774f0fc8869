// XEP-0030 Service Discovery for the server and for accounts (bare JIDs). It lists what the other
// modules declared with add_feature / add_identity; it knows no feature of its own beyond disco.

#include "core/module.hpp"

namespace {

using namespace starling;
constexpr const char* ns_info = "http://jabber.org/protocol/disco#info";
constexpr const char* ns_items = "http://jabber.org/protocol/disco#items";
const EventKey disco_items_node("disco-items-node");

xml::ElementPtr info(Host& host, IqTarget target) {
    auto query = xml::make_element("query", ns_info);
    if (target == IqTarget::host) {
        for (const auto& id : host.identities()) {
            auto& e = query->add_child("identity");
            e.set_attr("category", id.category);
            e.set_attr("type", id.type);
            if (!id.name.empty()) e.set_attr("name", id.name);
        }
    } else {
        auto& e = query->add_child("identity");
        e.set_attr("category", "account");
        e.set_attr("type", "registered");
    }
    for (const auto& ns : host.features(target)) query->add_child("feature").set_attr("var", ns);
    return query;
}

void load(ModuleContext& ctx) {
    ctx.add_identity("server", "im", "Starling");
    for (auto target : {IqTarget::host, IqTarget::account}) {
        ctx.add_feature(ns_info, target);
        ctx.add_feature(ns_items, target);
        ctx.iq_handler(target, "get", ns_info, [&ctx, target](StanzaEvent& ev) {
            // Nodes are published by modules that have them (none yet): any node is unknown.
            if (!ev.stanza->element().first_child_element()->attr("node").empty())
                return ctx.reply_error(ev, "cancel", "item-not-found");
            ctx.send(make_iq_result(*ev.stanza, info(ev.host, target)));
        });
        ctx.iq_handler(target, "get", ns_items, [&ctx](StanzaEvent& ev) {
            // A module with items under a node answers them itself from this hook (mod_admin_adhoc
            // for the commands node); any other node has none.
            if (!ev.stanza->element().first_child_element()->attr("node").empty() &&
                ev.host.stanza_hooks().fire(disco_items_node, ev) != Verdict::pass)
                return;
            auto query = xml::make_element("query", ns_items);
            if (auto node = ev.stanza->element().first_child_element()->attr("node"); !node.empty())
                query->set_attr("node", node);
            ctx.send(make_iq_result(*ev.stanza, std::move(query)));
        });
    }
}

}  // namespace

STARLING_MODULE("disco", "XEP-0030 Service Discovery", nullptr, nullptr, load)
