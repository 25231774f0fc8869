// The owner's use cases (XEP-0060 §8, pubsub#owner): configure a node (get the form, submit it),
// purge its items, delete it (each with its notification), the whitelist as the 'member'
// affiliation (§8.9) and the node's subscriptions (§8.8, subscribe.cpp). Only the account itself
// may ask.

#include "omemo_bundle.hpp"
#include "pep.hpp"

namespace starling::pep {

namespace {

xml::ElementPtr owner_payload(const char* child, const std::string& node) {
    auto pubsub = xml::make_element("pubsub", ns_owner);
    pubsub->add_child(child).set_attr("node", node);
    return pubsub;
}

void configure_get(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                   const std::string& node) {
    with_node(pep, ev, owner, node, [pep, ev, node](const NodeConfig& config) {
        auto payload = owner_payload("configure", node);
        payload->child("configure")->add_child(config_form(config));
        pep->ctx.send(make_iq_result(*ev.stanza, std::move(payload)));
    });
}

void configure_set(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                   const std::string& node, const xml::Element& request) {
    const xml::Element* x = request.child("x", xml::ns_data);
    if (x == nullptr)
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "invalid-options");
    const bool cancel = x->attr("type") == "cancel";
    const auto form = xml::read_submitted_form(x);
    if (!cancel && (!form || (!form->form_type.empty() && form->form_type != form_node_config)))
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "invalid-options");
    with_node(pep, ev, owner, node, [pep, ev, owner, node, cancel, form](NodeConfig config) {
        if (cancel) return pep->ctx.send(make_iq_result(*ev.stanza));
        // XEP-0060 §8.2.5: a form with an unknown field or an invalid value is not acceptable.
        if (apply(*form, config, pep->max_items_limit))
            return pep->ctx.reply_error(ev, "modify", "not-acceptable");
        pep->nodes.configure(
            owner.host, owner.user, node, serialize(config),
            config.persist_items ? config.item_limit(pep->max_items_limit) : 0, [pep, ev](bool ok) {
                if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                pep->ctx.send(make_iq_result(*ev.stanza));
            });
    });
}

void purge(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner, const std::string& node) {
    with_node(pep, ev, owner, node, [pep, ev, owner, node](const NodeConfig& config) {
        pep->nodes.purge(owner.host, owner.user, node, [pep, ev, owner, node, config](bool ok) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            if (bundle_namespace(node))
                pep->prekeys.remove(owner.host, owner.user, node, "", [](bool) {});
            pep->ctx.send(make_iq_result(*ev.stanza));
            auto event = xml::make_element("event", ns_event);
            event->add_child("purge").set_attr("node", node);
            broadcast(pep, owner, node, config, std::move(event));
        });
    });
}

void remove(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner, const std::string& node) {
    with_node(pep, ev, owner, node, [pep, ev, owner, node](const NodeConfig& config) {
        auto remove_node = [pep, ev, owner, node] {
            pep->nodes.remove(
                owner.host, owner.user, node, [pep, ev, owner, node](bool ok, bool removed) {
                    if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                    if (!removed) return pep->ctx.reply_error(ev, "cancel", "item-not-found");
                    if (bundle_namespace(node))
                        pep->prekeys.remove(owner.host, owner.user, node, "", [](bool) {});
                    pep->ctx.send(make_iq_result(*ev.stanza));
                });
        };
        if (!config.notify_delete) return remove_node();
        // Notified before the node goes, while the whitelist and the subscriptions that say who
        // may hear still exist (they go with it).
        auto event = xml::make_element("event", ns_event);
        event->add_child("delete").set_attr("node", node);
        broadcast(pep, owner, node, config, std::move(event), remove_node);
    });
}

void affiliations_get(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                      const std::string& node) {
    with_node(pep, ev, owner, node, [pep, ev, owner, node](const NodeConfig&) {
        pep->nodes.whitelist(owner.host, owner.user, node,
                             [pep, ev, owner, node](bool ok, std::vector<std::string> jids) {
                                 if (!ok)
                                     return pep->ctx.reply_error(ev, "wait",
                                                                 "internal-server-error");
                                 auto payload = owner_payload("affiliations", node);
                                 auto* list = payload->child("affiliations");
                                 list->add_child("affiliation")
                                     .set_attr("jid", owner.bare())
                                     .set_attr("affiliation", "owner");
                                 for (const auto& jid : jids)
                                     list->add_child("affiliation")
                                         .set_attr("jid", jid)
                                         .set_attr("affiliation", "member");
                                 pep->ctx.send(make_iq_result(*ev.stanza, std::move(payload)));
                             });
    });
}

void affiliations_set(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                      const std::string& node, const xml::Element& request) {
    std::vector<std::pair<std::string, bool>> changes;
    for (const xml::Element* a : request.child_elements()) {
        if (a->name() != "affiliation") continue;
        const auto jid = Jid::parse(a->attr("jid"));
        const auto affiliation = a->attr("affiliation");
        if (!jid) return pep->ctx.reply_error(ev, "modify", "jid-malformed");
        // The owner's own affiliation is fixed; members are the whitelist, none removes.
        if (jid->bare_str() == owner.bare() || (affiliation != "member" && affiliation != "none"))
            return pep->ctx.reply_error(ev, "modify", "not-acceptable");
        changes.emplace_back(jid->bare_str(), affiliation == "member");
    }
    with_node(pep, ev, owner, node, [pep, ev, owner, node, changes](const NodeConfig&) {
        pep->nodes.set_whitelist(owner.host, owner.user, node, changes, [pep, ev](bool ok) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            pep->ctx.send(make_iq_result(*ev.stanza));
        });
    });
}

void handle(const PepPtr& pep, StanzaEvent& ev, bool set) {
    if (!ev.own_account()) return pep->ctx.reply_error(ev, "auth", "forbidden");
    const xml::Element* request = ev.stanza->element().first_child_element()->first_child_element();
    if (request == nullptr) return pep->ctx.reply_error(ev, "modify", "bad-request");
    const std::string node(request->attr("node"));
    if (node.empty())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "nodeid-required");
    const Owner owner = owner_of(*ev.stanza);
    const std::string& what = request->name();
    if (what == "configure") {
        if (set) return configure_set(pep, ev, owner, node, *request);
        return configure_get(pep, ev, owner, node);
    }
    if (what == "affiliations") {
        if (set) return affiliations_set(pep, ev, owner, node, *request);
        return affiliations_get(pep, ev, owner, node);
    }
    if (what == "subscriptions")
        return owner_subscriptions(pep, ev, owner, node, set ? request : nullptr);
    if (set && what == "purge") return purge(pep, ev, owner, node);
    if (set && what == "delete") return remove(pep, ev, owner, node);
    reply_pubsub_error(*pep, ev, "cancel", "feature-not-implemented", "unsupported", "feature",
                       what);
}

}  // namespace

void add_owner_handlers(ModuleContext& ctx, const PepPtr& pep) {
    ctx.iq_handler(IqTarget::account, "get", ns_owner,
                   [pep](StanzaEvent& ev) { handle(pep, ev, false); });
    ctx.iq_handler(IqTarget::account, "set", ns_owner,
                   [pep](StanzaEvent& ev) { handle(pep, ev, true); });
}

}  // namespace starling::pep
