// Who hears of a node's changes (XEP-0163 §4.3): the owner's own resources and the resources of
// contacts with a presence subscription from the owner that the access model lets in, each only
// when its entity capabilities (XEP-0115) list <node>+notify; and the last published item sent
// to a resource as soon as its capabilities are known (§4.3.4).

#include "core/server.hpp"
#include "omemo_bundle.hpp"
#include "pep.hpp"

namespace starling::pep {

namespace {

bool wants(const Pep& pep, const Session& session, const std::string& node) {
    if (!session.available()) return false;
    const auto features = pep.caps.session_features(session.jid().str());
    return features && features->count(node + "+notify") > 0;
}

void deliver_to(const PepPtr& pep, const Owner& owner, const std::string& node,
                const std::vector<std::string>& bare_jids, const xml::Element& event) {
    const std::string from = owner.bare();
    for (const auto& bare : bare_jids) {
        const auto jid = Jid::parse(bare);
        if (!jid) continue;
        for (const auto& session : pep->ctx.server().sessions().resources(*jid))
            if (wants(*pep, *session, node))
                pep->ctx.send(event_message(from, session->jid().str(), event));
    }
}

}  // namespace

void broadcast(const PepPtr& pep, const Owner& owner, const std::string& node,
               const NodeConfig& config, xml::ElementPtr event) {
    if (!config.deliver_notifications) return;
    std::shared_ptr<const xml::Element> shared = std::move(event);
    pep->roster.items(
        owner.host, owner.user,
        [pep, owner, node, config, shared](bool ok, std::vector<storage::RosterItem> items,
                                           std::int64_t) {
            std::vector<std::string> contacts;
            if (ok)
                for (const auto& item : items)
                    if (item.has_from()) contacts.push_back(item.contact);
            deliver_to(pep, owner, node, {owner.bare()}, *shared);
            if (config.access_model != "whitelist")
                return deliver_to(pep, owner, node, contacts, *shared);
            pep->nodes.whitelist(
                owner.host, owner.user, node,
                [pep, owner, node, contacts, shared](bool ok, std::vector<std::string> list) {
                    if (!ok) return;
                    std::vector<std::string> allowed;
                    for (const auto& c : contacts)
                        if (std::find(list.begin(), list.end(), c) != list.end())
                            allowed.push_back(c);
                    deliver_to(pep, owner, node, allowed, *shared);
                });
        });
}

namespace {

// The newest item of each of `owner`'s nodes that the session asks for and may see.
void send_last_of(const PepPtr& pep, const SessionPtr& session,
                  std::shared_ptr<const CapsFeatures> features, const Owner& owner) {
    pep->nodes.nodes(
        owner.host, owner.user,
        [pep, session, features, owner](bool ok, std::vector<storage::PubsubNode> nodes) {
            if (!ok) return;
            std::vector<storage::PubsubNode> wanted;
            for (auto& node : nodes)
                if (features->count(node.node + "+notify")) wanted.push_back(std::move(node));
            if (wanted.empty()) return;
            find_viewer(
                pep, owner, session->jid(), [pep, session, owner, wanted](bool ok, Viewer viewer) {
                    if (!ok) return;
                    for (const auto& node : wanted) {
                        const NodeConfig config = parse_config(node.config);
                        if (config.send_last_published_item == "never" ||
                            !config.deliver_notifications ||
                            access(viewer, node.node, config) != Access::allowed)
                            continue;
                        pep->nodes.items(
                            owner.host, owner.user, node.node, 1,
                            [pep, session, owner, name = node.node](
                                bool ok, std::vector<storage::PubsubItem> items) {
                                if (!ok || items.empty()) return;
                                auto send = [pep, session, owner, name, item = items.back()](
                                                const std::vector<storage::Prekey>* keys) {
                                    auto event = xml::make_element("event", ns_event);
                                    auto& list = event->add_child("items");
                                    list.set_attr("node", name);
                                    list.add_child(item_element(name, item, keys));
                                    pep->ctx.send(
                                        event_message(owner.bare(), session->jid().str(), *event));
                                };
                                if (!bundle_namespace(name)) return send(nullptr);
                                pep->prekeys.unclaimed(
                                    owner.host, owner.user, name,
                                    [send, id = items.back().item_id](
                                        bool,
                                        std::map<std::string, std::vector<storage::Prekey>> keys) {
                                        send(&keys[id]);
                                    });
                            });
                    }
                });
        });
}

}  // namespace

void send_last_items(const PepPtr& pep, const SessionPtr& session,
                     std::shared_ptr<const CapsFeatures> features) {
    const Jid& jid = session->jid();
    send_last_of(pep, session, features, {jid.domain(), jid.local()});
    pep->roster.items(
        jid.domain(), jid.local(),
        [pep, session, features](bool ok, std::vector<storage::RosterItem> items, std::int64_t) {
            if (!ok) return;
            for (const auto& item : items) {
                if (!item.has_to()) continue;
                const auto contact = Jid::parse(item.contact);
                if (!contact || contact->local().empty() ||
                    pep->ctx.server().host(contact->domain()) == nullptr)
                    continue;
                send_last_of(pep, session, features, {contact->domain(), contact->local()});
            }
        });
}

}  // namespace starling::pep
