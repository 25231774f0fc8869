// Explicit subscriptions to an account's PEP nodes (XEP-0060 §6.1 subscribe, §6.2 unsubscribe,
// §5.6 the requester's own subscriptions) and the owner's list of them (§8.8). A PEP contact
// usually hears of a node through its caps (XEP-0163 §4.2); a subscription is for those whose
// caps cannot say so, and it holds only while the node's access model lets its JID in.

#include "pep.hpp"

#include <atomic>

namespace starling::pep {

namespace {

xml::ElementPtr subscription_element(const std::string& node, const std::string& jid) {
    auto element = xml::make_element("subscription", "");
    if (!node.empty()) element->set_attr("node", node);
    element->set_attr("jid", jid);
    element->set_attr("subscription", "subscribed");
    return element;
}

// Who subscribes: the sender's bare JID, and its account when it is one of this server's.
storage::Subscriber subscriber_of(const StanzaEvent& ev) {
    storage::Subscriber who{ev.stanza->from().bare_str(), "", ""};
    if (const auto account = ev.local_client()) {
        who.account_host = account->domain();
        who.account_user = account->local();
    }
    return who;
}

}  // namespace

void subscribe(const PepPtr& pep, const StanzaEvent& ev, const xml::Element& request) {
    const std::string node(request.attr("node"));
    if (node.empty())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "nodeid-required");
    // §6.1.3.1: one subscribes oneself, by bare or full JID, never someone else.
    const Jid& from = ev.stanza->from();
    const auto jid = Jid::parse(request.attr("jid"));
    if (from.empty() || !jid || jid->local().empty() || jid->bare_str() != from.bare_str())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "invalid-jid");
    const Owner owner = owner_of(*ev.stanza);
    const std::string subscribed = jid->str();
    const storage::Subscriber who = subscriber_of(ev);
    with_node(pep, ev, owner, node, [pep, ev, owner, node, subscribed, who](NodeConfig config) {
        find_viewer(pep, owner, ev.stanza->from(), [pep, ev, owner, node, subscribed, who,
                                                    config](bool ok, Viewer viewer) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            // §6.1.3.2 and §6.1.3.4: the access model decides, as for retrieving items.
            if (const auto verdict = access(viewer, node, config); verdict != Access::allowed)
                return reply_access_error(*pep, ev, verdict);
            pep->subscriptions.subscribe(
                owner.host, owner.user, node, subscribed, who, pep->subscription_limits,
                [pep, ev, owner, node, subscribed, config](bool ok, bool refused) {
                    // §6.1.3.9: past the node's or the subscriber's limit.
                    if (refused)
                        return reply_pubsub_error(*pep, ev, "wait", "policy-violation",
                                                  "too-many-subscriptions");
                    if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                    auto pubsub = xml::make_element("pubsub", ns_pubsub);
                    pubsub->add_child(subscription_element(node, subscribed));
                    pep->ctx.send(make_iq_result(*ev.stanza, std::move(pubsub)));
                    // §6.1.7: the last published item, unless the node says never.
                    if (config.send_last_published_item != "never" &&
                        config.deliver_notifications)
                        for (const auto& to : subscription_recipients(pep, subscribed))
                            send_last_item(pep, owner, node, to);
                });
        });
    });
}

void unsubscribe(const PepPtr& pep, const StanzaEvent& ev, const xml::Element& request) {
    const std::string node(request.attr("node"));
    if (node.empty())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "nodeid-required");
    const Jid& from = ev.stanza->from();
    const auto jid = Jid::parse(request.attr("jid"));
    if (!jid) return reply_pubsub_error(*pep, ev, "modify", "bad-request", "invalid-jid");
    // §6.2.3.3: nobody but the subscriber (or the owner, through §8.8.2) ends a subscription.
    if (from.empty() || jid->bare_str() != from.bare_str())
        return pep->ctx.reply_error(ev, "auth", "forbidden");
    const Owner owner = owner_of(*ev.stanza);
    const std::string subscribed = jid->str();
    with_node(pep, ev, owner, node, [pep, ev, owner, node, subscribed](const NodeConfig&) {
        pep->subscriptions.unsubscribe(
            owner.host, owner.user, node, subscribed, [pep, ev](bool ok, bool removed) {
                if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                // §6.2.3.2: no such subscriber.
                if (!removed)
                    return reply_pubsub_error(*pep, ev, "cancel", "unexpected-request",
                                              "not-subscribed");
                pep->ctx.send(make_iq_result(*ev.stanza));
            });
    });
}

void retrieve_subscriptions(const PepPtr& pep, const StanzaEvent& ev,
                            const xml::Element& request) {
    const std::string node(request.attr("node"));
    const Owner owner = owner_of(*ev.stanza);
    // Only the requester's own subscriptions: §5.6 lists those of the asking entity.
    pep->subscriptions.of_subscriber(
        owner.host, owner.user, ev.stanza->from().bare_str(), node,
        [pep, ev, node](bool ok, std::vector<storage::PepSubscription> list) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            auto pubsub = xml::make_element("pubsub", ns_pubsub);
            auto& subscriptions = pubsub->add_child("subscriptions");
            if (!node.empty()) subscriptions.set_attr("node", node);
            for (const auto& s : list) subscriptions.add_child(subscription_element(s.node, s.jid));
            pep->ctx.send(make_iq_result(*ev.stanza, std::move(pubsub)));
        });
}

void owner_subscriptions(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                         const std::string& node, const xml::Element* changes) {
    std::vector<std::string> removals;
    if (changes) {
        for (const xml::Element* s : changes->child_elements()) {
            if (s->name() != "subscription") continue;
            const auto jid = Jid::parse(s->attr("jid"));
            if (!jid) return pep->ctx.reply_error(ev, "modify", "jid-malformed");
            // The owner may end subscriptions; making them for others is not offered.
            if (s->attr("subscription") != "none")
                return pep->ctx.reply_error(ev, "modify", "not-acceptable");
            removals.push_back(jid->str());
        }
    }
    const bool set = changes != nullptr;
    with_node(pep, ev, owner, node, [pep, ev, owner, node, removals, set](const NodeConfig&) {
        if (set) {
            if (removals.empty()) return pep->ctx.send(make_iq_result(*ev.stanza));
            auto left = std::make_shared<std::atomic<std::size_t>>(removals.size());
            auto failed = std::make_shared<std::atomic<bool>>(false);
            for (const auto& jid : removals)
                pep->subscriptions.unsubscribe(
                    owner.host, owner.user, node, jid, [pep, ev, left, failed](bool ok, bool) {
                        if (!ok) *failed = true;
                        if (--*left > 0) return;
                        if (*failed)
                            return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                        pep->ctx.send(make_iq_result(*ev.stanza));
                    });
            return;
        }
        pep->subscriptions.of_node(
            owner.host, owner.user, node,
            [pep, ev, node](bool ok, std::vector<storage::PepSubscription> list) {
                if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                auto pubsub = xml::make_element("pubsub", ns_owner);
                auto& subscriptions = pubsub->add_child("subscriptions");
                subscriptions.set_attr("node", node);
                for (const auto& s : list)
                    subscriptions.add_child(subscription_element("", s.jid));
                pep->ctx.send(make_iq_result(*ev.stanza, std::move(pubsub)));
            });
    });
}

}  // namespace starling::pep
