// Service discovery of accounts with PEP (XEP-0163 §6.1, XEP-0060 §5): the account's bare JID
// shows the pubsub/pep identity beside account/registered (declared in load()), its disco#items
// lists the nodes the asker may see, and a node's disco#info shows it as a leaf. mod_disco
// answers; this module contributes to its answers (core/disco.hpp).

#include "pep.hpp"

#include "core/disco.hpp"

namespace starling::pep {

namespace {

// The node asked about, if it exists and the asker may see it: `found` runs only then. A node
// the asker may not see is one it cannot tell from a missing one (XEP-0060 §5.3).
void visible_node(const PepPtr& pep, const DiscoReplyPtr& reply,
                  std::function<void(const DiscoReplyPtr&)> found) {
    const Owner owner = owner_of(*reply->request().stanza);
    pep->nodes.node(
        owner.host, owner.user, reply->node(),
        [pep, reply, owner, found = std::move(found)](bool ok, std::optional<std::string> text) {
            if (!ok) return reply->fail("wait", "internal-server-error");
            if (!text) return;
            find_viewer(pep, owner, reply->request().stanza->from(),
                        [reply, config = parse_config(*text), found](bool ok, Viewer viewer) {
                            if (!ok) return reply->fail("wait", "internal-server-error");
                            if (access(viewer, reply->node(), config) == Access::allowed)
                                found(reply);
                        });
        });
}

void node_list(const PepPtr& pep, const DiscoReplyPtr& reply) {
    const Owner owner = owner_of(*reply->request().stanza);
    pep->nodes.nodes(
        owner.host, owner.user,
        [pep, reply, owner](bool ok, std::vector<storage::PubsubNode> nodes) {
            if (!ok) return reply->fail("wait", "internal-server-error");
            find_viewer(pep, owner, reply->request().stanza->from(),
                        [reply, owner, nodes](bool ok, Viewer viewer) {
                            if (!ok) return reply->fail("wait", "internal-server-error");
                            for (const auto& node : nodes)
                                if (access(viewer, node.node, parse_config(node.config)) ==
                                    Access::allowed)
                                    reply->add_item(owner.bare(), node.node);
                        });
        });
}

}  // namespace

void add_disco_contributors(ModuleContext& ctx, const PepPtr& pep) {
    ctx.add_disco_contributor(IqTarget::account, DiscoKind::info, [pep](const DiscoReplyPtr& reply) {
        if (reply->node().empty()) return;
        visible_node(pep, reply, [](const DiscoReplyPtr& reply) {
            reply->claim_node();
            reply->add_identity({"pubsub", "leaf", {}});
            reply->add_feature(std::string(ns_pubsub));
        });
    });
    ctx.add_disco_contributor(
        IqTarget::account, DiscoKind::items, [pep](const DiscoReplyPtr& reply) {
            if (reply->node().empty()) return node_list(pep, reply);
            // A node's items are not listed (XEP-0060 §5.5 lets a service keep them to itself):
            // the node is there, with nothing to show.
            visible_node(pep, reply, [](const DiscoReplyPtr& reply) { reply->claim_node(); });
        });
}

}  // namespace starling::pep
