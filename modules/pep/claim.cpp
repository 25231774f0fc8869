// The single-use prekey claim (urn:xmpp:starling:prekeys:0, docs/prekeys.md): a bundle with
// exactly one one-time prekey that no other claim will return, and a note to the owner when its
// bundle runs low. Strangers (neither the owner nor in its roster) cannot take a bundle's last
// keys, which are kept for the owner's contacts, and claims are rate-limited per claimer and,
// for strangers, per owner (claim_limits.hpp), so nobody can drain another user's keys.

#include "omemo_bundle.hpp"
#include "pep.hpp"
#include "storage/stored_xml.hpp"

#include <atomic>

namespace starling::pep {

namespace {

// An error with a condition of the prekeys namespace beside the defined one.
void reply_claim_error(Pep& pep, const StanzaEvent& ev, std::string_view type,
                       std::string_view condition, const std::string& app) {
    auto reply = make_error_reply(*ev.stanza, type, condition)->copy();
    reply->child("error")->add_child(app, ns_prekeys);
    pep.ctx.send(make_stanza(std::move(reply)));
}

void reply_no_prekeys(Pep& pep, const StanzaEvent& ev) {
    reply_claim_error(pep, ev, "cancel", "item-not-found", "no-prekeys");
}

void reply_too_many_claims(Pep& pep, const StanzaEvent& ev) {
    reply_claim_error(pep, ev, "wait", "resource-constraint", "too-many-claims");
}

void tell_owner_low(const PepPtr& pep, const Owner& owner, const std::string& node,
                    const std::string& item, std::int64_t remaining) {
    pep->prekeys.mark_low(owner.host, owner.user, node, item,
                          [pep, owner, node, item, remaining](bool ok, bool first) {
                              if (!ok || !first) return;
                              static std::atomic<std::uint64_t> counter{0};
                              auto message = xml::make_element("message", std::string(ns_client));
                              message->set_attr("from", owner.bare());
                              message->set_attr("to", owner.bare());
                              message->set_attr("type", "normal");
                              message->set_attr("id", "prekeys-low-" + std::to_string(++counter));
                              auto& low = message->add_child("prekeys-low", ns_prekeys);
                              low.set_attr("node", node);
                              low.set_attr("item", item);
                              low.set_attr("remaining", std::to_string(remaining));
                              // Type normal to the bare JID: delivered, or stored offline until the
                              // owner logs in.
                              pep->ctx.send(make_stanza(std::move(message)));
                          });
}

// `contact`: the claimer is the owner or in the owner's roster (Viewer::contact).
void claim_from(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                const std::string& node, const storage::PubsubItem& item, bool contact) {
    // Counted here, with nothing but the claim itself left to do, and before it is sent to the
    // database: a pipelined burst is cut at exactly the limit, whatever the replies' order.
    if (pep->claim_limits.admit(ev.stanza->from().bare_str(), contact ? "" : owner.bare()) !=
        ClaimLimits::Verdict::admitted)
        return reply_too_many_claims(*pep, ev);
    const std::int64_t keep = contact ? 0 : pep->prekeys_kept_for_contacts;
    pep->prekeys.claim(
        owner.host, owner.user, node, item.item_id, keep,
        [pep, ev, owner, node, item](bool ok, std::optional<storage::Prekey> key,
                                     std::int64_t remaining) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            // A stranger refused the keys kept for contacts tells the owner too:
            // its bundle needs more keys, however many the contacts still have.
            if (pep->prekeys_low_water > 0 && (remaining < pep->prekeys_low_water || !key))
                tell_owner_low(pep, owner, node, item.item_id, remaining);
            if (!key) return reply_no_prekeys(*pep, ev);
            auto claim = xml::make_element("claim", ns_prekeys);
            claim->set_attr("node", node);
            claim->set_attr("item", item.item_id);
            claim->set_attr("remaining", std::to_string(remaining));
            if (auto bundle = storage::parse_stored_xml(item.payload, "")) {
                put_prekeys(*bundle, {*key});
                claim->add_child(std::move(bundle));
            }
            pep->ctx.send(make_iq_result(*ev.stanza, std::move(claim)));
        });
}

}  // namespace

void add_claim_handler(ModuleContext& ctx, const PepPtr& pep) {
    ctx.iq_handler(IqTarget::account, "set", ns_prekeys, [pep](StanzaEvent& ev) {
        const xml::Element& request = *ev.stanza->element().first_child_element();
        if (request.name() != "claim") return pep->ctx.reply_error(ev, "modify", "bad-request");
        const std::string node(request.attr("node"));
        const std::string item_id(request.attr("item"));
        if (node.empty() || !bundle_namespace(node) || (is_omemo2_bundles(node) && item_id.empty()))
            return pep->ctx.reply_error(ev, "modify", "bad-request");
        // A claimer that used up its claims costs no database work.
        if (pep->claim_limits.claimer_limited(ev.stanza->from().bare_str()))
            return reply_too_many_claims(*pep, ev);
        const Owner owner = owner_of(*ev.stanza);
        pep->nodes.node(
            owner.host, owner.user, node,
            [pep, ev, owner, node, item_id](bool ok, std::optional<std::string> text) {
                if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                if (!text) return pep->ctx.reply_error(ev, "cancel", "item-not-found");
                const NodeConfig config = parse_config(*text);
                find_viewer(
                    pep, owner, ev.stanza->from(),
                    [pep, ev, owner, node, item_id, config](bool ok, Viewer viewer) {
                        if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                        if (const auto verdict = access(viewer, node, config);
                            verdict != Access::allowed)
                            return reply_access_error(*pep, ev, verdict);
                        const bool contact = viewer.owner || viewer.contact;
                        auto found = [pep, ev, owner, node, contact](
                                         bool ok, std::vector<storage::PubsubItem> items) {
                            if (!ok)
                                return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                            if (items.empty())
                                return pep->ctx.reply_error(ev, "cancel", "item-not-found");
                            claim_from(pep, ev, owner, node, items.back(), contact);
                        };
                        if (!item_id.empty())
                            return pep->nodes.items_by_id(owner.host, owner.user, node, {item_id},
                                                          found);
                        pep->nodes.items(owner.host, owner.user, node, 1, found);
                    });
            });
    });
}

}  // namespace starling::pep
