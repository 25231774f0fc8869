// Who hears of a node's changes (XEP-0163 §4.3): the owner's own resources and the available
// resources of contacts (here or on other domains) with a presence subscription from the owner
// that the access model lets in, each only when its entity capabilities (XEP-0115) list
// <node>+notify; the explicit subscriptions (XEP-0060 §6.1) the access model still lets in, each
// JID once; and the last published item sent to a resource as soon as its capabilities are known
// (§4.3.4).

#include "core/server.hpp"
#include "omemo_bundle.hpp"
#include "pep.hpp"

#include <set>

namespace starling::pep {

namespace {

bool wants(const Pep& pep, const std::string& full, const std::string& node) {
    const auto features = pep.caps.session_features(full);
    return features && features->count(node + "+notify") > 0;
}

// The available resources of a local account.
std::vector<std::string> available_resources(const PepPtr& pep, const Jid& bare) {
    std::vector<std::string> resources;
    for (const auto& session : pep->ctx.server().sessions().resources(bare))
        if (session->available()) resources.push_back(session->jid().str());
    return resources;
}

// Sends the event to each available resource of `bare_jid` whose caps ask for the node, once per
// JID: a local account's sessions, a remote contact's resources that told the owner they are
// available.
void deliver_by_caps(const PepPtr& pep, const Owner& owner, const std::string& node,
                     const std::string& bare_jid, const xml::Element& event,
                     std::set<std::string>& notified) {
    const auto jid = Jid::parse(bare_jid);
    if (!jid) return;
    const auto resources = pep->ctx.server().host(jid->domain()) != nullptr
                               ? available_resources(pep, *jid)
                               : pep->remote.resources(owner.bare(), jid->bare_str());
    for (const auto& full : resources)
        if (wants(*pep, full, node) && notified.insert(full).second)
            pep->ctx.send(event_message(owner.bare(), full, event));
}

// Sends the event to an explicit subscription, each JID once: one already notified (through
// its caps, or another subscription) is not notified again.
void deliver_to_subscription(const PepPtr& pep, const Owner& owner, const std::string& jid,
                             const xml::Element& event, std::set<std::string>& notified) {
    for (const auto& to : subscription_recipients(pep, jid))
        if (notified.insert(to).second) pep->ctx.send(event_message(owner.bare(), to, event));
}

// Who may hear of the node: the owner; anyone for an open node; the whitelist's JIDs for a
// whitelist node; contacts with a presence subscription from the owner otherwise.
struct Audience {
    std::string owner;
    std::string access_model;
    std::set<std::string> presence_subscribed;
    std::set<std::string> whitelist;
    bool allowed(const std::string& bare) const {
        if (bare == owner || access_model == "open") return true;
        if (access_model == "whitelist") return whitelist.count(bare) > 0;
        return presence_subscribed.count(bare) > 0;
    }
};

void deliver(const PepPtr& pep, const Owner& owner, const std::string& node,
             const Audience& audience, const std::vector<storage::PepSubscription>& subscriptions,
             const xml::Element& event) {
    std::set<std::string> notified;
    deliver_by_caps(pep, owner, node, owner.bare(), event, notified);
    for (const auto& contact : audience.presence_subscribed)
        if (audience.allowed(contact))
            deliver_by_caps(pep, owner, node, contact, event, notified);
    for (const auto& subscription : subscriptions)
        if (audience.allowed(subscription.subscriber))
            deliver_to_subscription(pep, owner, subscription.jid, event, notified);
}

}  // namespace

std::vector<std::string> subscription_recipients(const PepPtr& pep, const std::string& jid_text) {
    const auto jid = Jid::parse(jid_text);
    if (!jid) return {};
    if (!jid->resource().empty() || pep->ctx.server().host(jid->domain()) == nullptr)
        return {jid->str()};
    return available_resources(pep, *jid);
}

void broadcast(const PepPtr& pep, const Owner& owner, const std::string& node,
               const NodeConfig& config, xml::ElementPtr event, std::function<void()> then) {
    if (!config.deliver_notifications) {
        if (then) then();
        return;
    }
    std::shared_ptr<const xml::Element> shared = std::move(event);
    auto audience = std::make_shared<Audience>();
    audience->owner = owner.bare();
    audience->access_model = config.access_model;
    // Each read is asked for once the one before it answered, and `then` (which may delete the
    // node, and its subscriptions and whitelist with it) runs only after the last.
    pep->subscriptions.of_node(
        owner.host, owner.user, node,
        [pep, owner, node, shared, audience, then](
            bool ok, std::vector<storage::PepSubscription> subscriptions) {
            if (!ok) subscriptions.clear();
            pep->roster.items(
                owner.host, owner.user,
                [pep, owner, node, shared, audience, then, subscriptions](
                    bool ok, std::vector<storage::RosterItem> items, std::int64_t) {
                    if (ok)
                        for (const auto& item : items)
                            if (item.has_from()) audience->presence_subscribed.insert(item.contact);
                    auto finish = [pep, owner, node, shared, audience, then, subscriptions] {
                        deliver(pep, owner, node, *audience, subscriptions, *shared);
                        if (then) then();
                    };
                    if (audience->access_model != "whitelist") return finish();
                    pep->nodes.whitelist(owner.host, owner.user, node,
                                         [audience, finish](bool ok, std::vector<std::string> list) {
                                             if (ok) audience->whitelist.insert(list.begin(),
                                                                                list.end());
                                             finish();
                                         });
                });
        });
}

void send_last_item(const PepPtr& pep, const Owner& owner, const std::string& node,
                    const std::string& to) {
    pep->nodes.items(
        owner.host, owner.user, node, 1,
        [pep, owner, node, to](bool ok, std::vector<storage::PubsubItem> items) {
            if (!ok || items.empty()) return;
            auto send = [pep, owner, node, to, item = items.back()](
                            const std::vector<storage::Prekey>* keys) {
                auto event = xml::make_element("event", ns_event);
                auto& list = event->add_child("items");
                list.set_attr("node", node);
                list.add_child(item_element(node, item, keys));
                pep->ctx.send(event_message(owner.bare(), to, *event));
            };
            if (!bundle_namespace(node)) return send(nullptr);
            pep->prekeys.unclaimed(
                owner.host, owner.user, node,
                [send, id = items.back().item_id](
                    bool, std::map<std::string, std::vector<storage::Prekey>> keys) {
                    send(&keys[id]);
                });
        });
}

void send_owner_last_items(const PepPtr& pep, const Owner& owner, const Jid& full,
                           std::shared_ptr<const CapsFeatures> features) {
    pep->nodes.nodes(owner.host, owner.user,
                     [pep, full, features, owner](bool ok, std::vector<storage::PubsubNode> nodes) {
                         if (!ok) return;
                         std::vector<storage::PubsubNode> wanted;
                         for (auto& node : nodes)
                             if (features->count(node.node + "+notify"))
                                 wanted.push_back(std::move(node));
                         if (wanted.empty()) return;
                         find_viewer(
                             pep, owner, full, [pep, full, owner, wanted](bool ok, Viewer viewer) {
                                 if (!ok) return;
                                 for (const auto& node : wanted) {
                                     const NodeConfig config = parse_config(node.config);
                                     if (config.send_last_published_item == "never" ||
                                         !config.deliver_notifications ||
                                         access(viewer, node.node, config) != Access::allowed)
                                         continue;
                                     send_last_item(pep, owner, node.node, full.str());
                                 }
                             });
                     });
}

void send_last_items(const PepPtr& pep, const Jid& full,
                     std::shared_ptr<const CapsFeatures> features) {
    if (pep->ctx.server().host(full.domain()) == nullptr) {
        for (const auto& owner : pep->remote.owners(full.str()))
            if (const auto jid = Jid::parse(owner))
                send_owner_last_items(pep, {jid->domain(), jid->local()}, full, features);
        return;
    }
    send_owner_last_items(pep, {full.domain(), full.local()}, full, features);
    pep->roster.items(
        full.domain(), full.local(),
        [pep, full, features](bool ok, std::vector<storage::RosterItem> items, std::int64_t) {
            if (!ok) return;
            for (const auto& item : items) {
                if (!item.has_to()) continue;
                const auto contact = Jid::parse(item.contact);
                if (!contact || contact->local().empty() ||
                    pep->ctx.server().host(contact->domain()) == nullptr)
                    continue;
                send_owner_last_items(pep, {contact->domain(), contact->local()}, full, features);
            }
        });
}

}  // namespace starling::pep
