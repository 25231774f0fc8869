// Service discovery of accounts with PEP (XEP-0163 §6.1, XEP-0060 §5): the account's bare JID
// shows the pubsub/pep identity beside account/registered, its disco#items lists the nodes the
// asker may see, and a node's disco#info shows it as a leaf. These handlers take over the
// account handlers of mod_disco (loaded first), keeping everything it answered.

#include "pep.hpp"

namespace starling::pep {

namespace {

constexpr const char* ns_info = "http://jabber.org/protocol/disco#info";
constexpr const char* ns_items = "http://jabber.org/protocol/disco#items";
const EventKey disco_items_node("disco-items-node");

xml::ElementPtr account_info(Host& host) {
    auto query = xml::make_element("query", ns_info);
    for (const auto& [category, type] : {std::pair{"account", "registered"}, {"pubsub", "pep"}}) {
        auto& e = query->add_child("identity");
        e.set_attr("category", category);
        e.set_attr("type", type);
    }
    for (const auto& ns : host.features(IqTarget::account))
        query->add_child("feature").set_attr("var", ns);
    return query;
}

void node_info(const PepPtr& pep, const StanzaEvent& ev, const std::string& node) {
    const Owner owner = owner_of(*ev.stanza);
    pep->nodes.node(
        owner.host, owner.user, node,
        [pep, ev, owner, node](bool ok, std::optional<std::string> text) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            if (!text) return pep->ctx.reply_error(ev, "cancel", "item-not-found");
            const NodeConfig config = parse_config(*text);
            find_viewer(pep, owner, ev.stanza->from(),
                        [pep, ev, node, config](bool ok, Viewer viewer) {
                            if (!ok)
                                return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                            // A node the asker may not see is one it cannot tell from a missing
                            // one.
                            if (access(viewer, node, config) != Access::allowed)
                                return pep->ctx.reply_error(ev, "cancel", "item-not-found");
                            auto query = xml::make_element("query", ns_info);
                            query->set_attr("node", node);
                            auto& identity = query->add_child("identity");
                            identity.set_attr("category", "pubsub");
                            identity.set_attr("type", "leaf");
                            query->add_child("feature").set_attr("var", ns_pubsub);
                            pep->ctx.send(make_iq_result(*ev.stanza, std::move(query)));
                        });
        });
}

void node_items(const PepPtr& pep, const StanzaEvent& ev) {
    const Owner owner = owner_of(*ev.stanza);
    pep->nodes.nodes(
        owner.host, owner.user, [pep, ev, owner](bool ok, std::vector<storage::PubsubNode> nodes) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            find_viewer(
                pep, owner, ev.stanza->from(), [pep, ev, owner, nodes](bool ok, Viewer viewer) {
                    if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                    auto query = xml::make_element("query", ns_items);
                    for (const auto& node : nodes) {
                        if (access(viewer, node.node, parse_config(node.config)) != Access::allowed)
                            continue;
                        auto& item = query->add_child("item");
                        item.set_attr("jid", owner.bare());
                        item.set_attr("node", node.node);
                    }
                    pep->ctx.send(make_iq_result(*ev.stanza, std::move(query)));
                });
        });
}

}  // namespace

void add_disco_handlers(ModuleContext& ctx, const PepPtr& pep) {
    ctx.iq_handler(IqTarget::account, "get", ns_info, [pep](StanzaEvent& ev) {
        const std::string node(ev.stanza->element().first_child_element()->attr("node"));
        if (!node.empty()) return node_info(pep, ev, node);
        pep->ctx.send(make_iq_result(*ev.stanza, account_info(ev.host)));
    });
    ctx.iq_handler(IqTarget::account, "get", ns_items, [pep](StanzaEvent& ev) {
        const auto node = ev.stanza->element().first_child_element()->attr("node");
        if (node.empty()) return node_items(pep, ev);
        // Items under a node belong to whichever module publishes that node (mod_disco's rule).
        if (ev.host.stanza_hooks().fire(disco_items_node, ev) != Verdict::pass) return;
        auto query = xml::make_element("query", ns_items);
        query->set_attr("node", node);
        pep->ctx.send(make_iq_result(*ev.stanza, std::move(query)));
    });
}

}  // namespace starling::pep
