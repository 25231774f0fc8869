// XEP-0163 Personal Eventing Protocol on a XEP-0060 subset: per-account nodes with auto-create,
// publish-options (XEP-0223), the presence, open and whitelist access models, notifications
// through XEP-0115 entity capabilities, and OMEMO bundles whose one-time prekeys can be claimed
// once each (urn:xmpp:starling:prekeys:0, docs/prekeys.md).
//
// The files: publish.cpp (publish, retract, create, items), subscribe.cpp (explicit
// subscriptions), owner.cpp (configure, purge, delete, affiliations, subscriptions), claim.cpp
// (the prekey claim), notify.cpp (who hears of what, last items), caps_hooks.cpp (caps of online
// resources), bookmarks.cpp (XEP-0402 kept in step with XEP-0048), disco_info.cpp (disco of
// accounts and nodes).

#include "pep.hpp"

#include "core/server.hpp"
#include "omemo_bundle.hpp"
#include "storage/stored_xml.hpp"
#include "xml/serializer.hpp"

namespace starling::pep {

Owner owner_of(const Stanza& iq) {
    const Jid& target = iq.to().empty() ? iq.from() : iq.to();
    return {target.domain(), target.local()};
}

void reply_pubsub_error(Pep& pep, const StanzaEvent& ev, std::string_view type,
                        std::string_view condition, std::string_view app, std::string_view app_attr,
                        std::string_view app_value) {
    if (app.empty()) return pep.ctx.reply_error(ev, type, condition);
    auto reply = make_error_reply(*ev.stanza, type, condition)->copy();
    auto* error = reply->child("error");
    auto& specific = error->add_child(std::string(app), ns_errors);
    if (!app_attr.empty()) specific.set_attr(app_attr, app_value);
    pep.ctx.send(make_stanza(std::move(reply)));
}

Access access(const Viewer& viewer, const std::string& node, const NodeConfig& config) {
    if (viewer.owner || config.access_model == "open") return Access::allowed;
    if (config.access_model == "whitelist")
        return viewer.whitelisted.count(node) ? Access::allowed : Access::closed;
    return viewer.subscribed ? Access::allowed : Access::presence_required;
}

void create_node(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                 const std::string& node, const NodeConfig& config,
                 std::function<void(bool created)> then) {
    pep->nodes.create(owner.host, owner.user, node, serialize(config), pep->max_nodes,
                      [pep, ev, then = std::move(then)](bool ok, bool created, bool refused) {
                          if (refused)
                              return reply_pubsub_error(*pep, ev, "cancel", "not-allowed",
                                                        "max-nodes-exceeded");
                          if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                          then(created);
                      });
}

void find_viewer(const PepPtr& pep, const Owner& owner, const Jid& requester,
                 std::function<void(bool ok, Viewer)> done) {
    Viewer viewer;
    const std::string bare = requester.bare_str();
    if (requester.local() == owner.user && requester.domain() == owner.host) {
        viewer.owner = true;
        return done(true, std::move(viewer));
    }
    pep->roster.item(owner.host, owner.user, bare,
                     [pep, owner, bare, done = std::move(done)](
                         bool ok, std::optional<storage::RosterItem> item) {
                         if (!ok) return done(false, {});
                         Viewer viewer;
                         viewer.subscribed = item && item->has_from();
                         viewer.contact = item && (item->listed || item->subscription != "none");
                         pep->nodes.whitelisted_nodes(
                             owner.host, owner.user, bare,
                             [viewer, done](bool ok, std::vector<std::string> nodes) mutable {
                                 viewer.whitelisted.insert(nodes.begin(), nodes.end());
                                 done(ok, std::move(viewer));
                             });
                     });
}

void reply_access_error(Pep& pep, const StanzaEvent& ev, Access denied) {
    if (denied == Access::closed)
        return reply_pubsub_error(pep, ev, "cancel", "not-allowed", "closed-node");
    reply_pubsub_error(pep, ev, "auth", "not-authorized", "presence-subscription-required");
}

xml::ElementPtr item_element(const std::string& node, const storage::PubsubItem& item,
                             const std::vector<storage::Prekey>* prekeys) {
    auto element = xml::make_element("item", "");
    element->set_attr("id", item.item_id);
    if (item.payload.empty()) return element;
    auto payload = storage::parse_stored_xml(item.payload, "");
    if (!payload) return element;
    if (prekeys && bundle_namespace(node) && payload->name() == "bundle")
        put_prekeys(*payload, *prekeys);
    element->add_child(std::move(payload));
    return element;
}

StanzaPtr event_message(const std::string& from, const std::string& to, const xml::Element& event) {
    auto message = xml::make_element("message", std::string(ns_client));
    message->set_attr("from", from);
    message->set_attr("to", to);
    message->set_attr("type", "headline");
    message->add_child(event.clone());
    return make_stanza(std::move(message));
}

namespace {

std::vector<OptionSpec> options() {
    return {
        {"max_items", OptionType::integer, "1000", 1, 100000,
         "the most items one node keeps; what pubsub#max_items 'max' stands for"},
        {"max_payload_bytes", OptionType::integer, "65536", 256, 1048576,
         "the largest item payload accepted, as serialized XML"},
        {"max_nodes", OptionType::integer, "1000", 1, 100000,
         "the most nodes one account may have; creating one more (also by publishing) is "
         "refused with <not-allowed/> and <max-nodes-exceeded/>"},
        {"max_bytes_per_account", OptionType::integer, "4194304", 65536, 1073741824,
         "the most bytes of items one account may store, over all its nodes: each item counts "
         "its payload as published (an OMEMO bundle with its one-time prekeys); a publish past "
         "it is refused with <resource-constraint/>"},
        {"max_subscriptions_per_node", OptionType::integer, "1000", 1, 1000000,
         "the most explicit subscriptions (XEP-0060 §6.1) one node may have; one more is "
         "refused with <policy-violation/> and <too-many-subscriptions/>"},
        {"max_subscriptions_per_user", OptionType::integer, "1000", 1, 1000000,
         "the most explicit subscriptions one bare JID may hold over every node of this "
         "server's accounts; one more is refused the same way"},
        {"prekeys_low_water", OptionType::integer, "10", 0, 10000,
         "tell the owner of an OMEMO bundle once fewer unclaimed one-time prekeys remain; 0 never"},
        {"prekeys_kept_for_contacts", OptionType::integer, "10", 0, 10000,
         "the last unclaimed one-time prekeys of a bundle that only the owner and its roster "
         "contacts may claim; a stranger's claim then gets <no-prekeys/>"},
        {"prekey_claims_per_claimer", OptionType::integer, "1000", 1, 1000000,
         "prekey claims one account may make per hour, over all owners; past it "
         "<resource-constraint/> with <too-many-claims/>"},
        {"prekey_claims_per_owner", OptionType::integer, "100", 1, 1000000,
         "prekey claims per hour that strangers (not in the owner's roster) may make on one "
         "account's bundles, all together; contacts are not counted"},
    };
}

constexpr const char* account_features[] = {
    "http://jabber.org/protocol/pubsub",
    "http://jabber.org/protocol/pubsub#access-open",
    "http://jabber.org/protocol/pubsub#access-presence",
    "http://jabber.org/protocol/pubsub#access-whitelist",
    "http://jabber.org/protocol/pubsub#auto-create",
    "http://jabber.org/protocol/pubsub#config-node",
    "http://jabber.org/protocol/pubsub#config-node-max",
    "http://jabber.org/protocol/pubsub#create-and-configure",
    "http://jabber.org/protocol/pubsub#create-nodes",
    "http://jabber.org/protocol/pubsub#delete-items",
    "http://jabber.org/protocol/pubsub#delete-nodes",
    "http://jabber.org/protocol/pubsub#filtered-notifications",
    "http://jabber.org/protocol/pubsub#item-ids",
    "http://jabber.org/protocol/pubsub#last-published",
    "http://jabber.org/protocol/pubsub#modify-affiliations",
    "http://jabber.org/protocol/pubsub#multi-items",
    "http://jabber.org/protocol/pubsub#persistent-items",
    "http://jabber.org/protocol/pubsub#presence-notifications",
    "http://jabber.org/protocol/pubsub#publish",
    "http://jabber.org/protocol/pubsub#publish-options",
    "http://jabber.org/protocol/pubsub#purge-nodes",
    "http://jabber.org/protocol/pubsub#retract-items",
    "http://jabber.org/protocol/pubsub#retrieve-affiliations",
    "http://jabber.org/protocol/pubsub#retrieve-items",
    "http://jabber.org/protocol/pubsub#retrieve-subscriptions",
    "http://jabber.org/protocol/pubsub#subscribe",
    ns_prekeys,
};

void load(ModuleContext& ctx) {
    auto pep = std::make_shared<Pep>(ctx);
    ctx.own(pep);
    for (const char* feature : account_features) ctx.add_feature(feature, IqTarget::account);
    ctx.add_feature(ns_prekeys);
    // XEP-0163 §6.1: the server shows it offers PEP with this identity on its own JID too.
    for (auto target : {IqTarget::host, IqTarget::account}) ctx.add_identity({"pubsub", "pep", {}}, target);
    add_publish_handlers(ctx, pep);
    add_owner_handlers(ctx, pep);
    add_claim_handler(ctx, pep);
    add_disco_contributors(ctx, pep);
    add_caps_hooks(ctx, pep);
    add_bookmarks_sync(ctx, pep);
}

// Loaded after disco: this module adds to its answers for accounts (the PEP identity and nodes).
constexpr const char* depends[] = {"disco", nullptr};

}  // namespace

}  // namespace starling::pep

STARLING_MODULE("pep", "XEP-0163 Personal Eventing Protocol, with OMEMO single-use prekey claims",
                starling::pep::options, starling::pep::depends, starling::pep::load)
