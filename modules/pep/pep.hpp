#pragma once
// What the files of mod_pep share: the module's state (stores, options, the entity-capabilities
// cache) and the helpers its handlers use (errors, access checks, notifications).

#include "caps.hpp"
#include "claim_limits.hpp"
#include "core/module.hpp"
#include "node_config.hpp"
#include "remote_resources.hpp"
#include "storage/pep_subscription_store.hpp"
#include "storage/prekey_store.hpp"
#include "storage/pubsub_store.hpp"
#include "storage/roster_store.hpp"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace starling::pep {

inline constexpr const char* ns_prekeys = "urn:xmpp:starling:prekeys:0";

// Database callbacks and iq replies hold the Pep by shared_ptr and may run after the module was
// unloaded (a reload meanwhile), so it keeps a ModuleLink, never the ModuleContext.
struct Pep {
    explicit Pep(ModuleContext& context)
        : ctx(context),
          nodes(context.database()),
          prekeys(context.database()),
          roster(context.database()),
          subscriptions(context.database()),
          max_items_limit(context.options().get_int("max_items")),
          max_payload_bytes(context.options().get_int("max_payload_bytes")),
          max_nodes(context.options().get_int("max_nodes")),
          max_bytes_per_account(context.options().get_int("max_bytes_per_account")),
          prekeys_low_water(context.options().get_int("prekeys_low_water")),
          prekeys_kept_for_contacts(context.options().get_int("prekeys_kept_for_contacts")),
          claim_limits(context.options().get_int("prekey_claims_per_claimer"),
                       context.options().get_int("prekey_claims_per_owner")),
          subscription_limits{context.options().get_int("max_subscriptions_per_node"),
                              context.options().get_int("max_subscriptions_per_user")} {}

    ModuleLink ctx;
    storage::PubsubStore nodes;
    storage::PrekeyStore prekeys;
    storage::RosterStore roster;
    storage::PepSubscriptionStore subscriptions;
    std::int64_t max_items_limit;
    std::int64_t max_payload_bytes;
    std::int64_t max_nodes;
    std::int64_t max_bytes_per_account;
    std::int64_t prekeys_low_water;
    std::int64_t prekeys_kept_for_contacts;
    ClaimLimits claim_limits;
    storage::SubscriptionLimits subscription_limits;
    CapsCache caps;
    RemoteResources remote;
};
using PepPtr = std::shared_ptr<Pep>;

/// The owner a request is about: the bare JID it was sent to, or the sender's own account.
struct Owner {
    std::string host;
    std::string user;
    std::string bare() const { return user + "@" + host; }
};
Owner owner_of(const Stanza& iq);

/// Sends an iq error with a XEP-0060 pubsub#errors condition (`app` empty: none), with extra
/// attributes on it (the feature of <unsupported/>).
void reply_pubsub_error(Pep& pep, const StanzaEvent& ev, std::string_view type,
                        std::string_view condition, std::string_view app = {},
                        std::string_view app_attr = {}, std::string_view app_value = {});

/// What a requester may see of an owner's nodes: it is the owner, it has a presence subscription
/// from the owner (subscription from or both in the owner's roster), and the whitelists that
/// name it. A contact (for prekey claims) is one the owner's roster lists or has a subscription
/// with either way; a subscription request alone does not make one.
struct Viewer {
    bool owner = false;
    bool subscribed = false;
    bool contact = false;
    std::set<std::string> whitelisted;
};
enum class Access { allowed, presence_required, closed };
Access access(const Viewer& viewer, const std::string& node, const NodeConfig& config);
/// Creates the owner's node with `config` and runs `then(created)` (false: it already existed)
/// unless the owner has max_nodes already, which the write itself checks; then it answers
/// <not-allowed/> with <max-nodes-exceeded/> (XEP-0060 §8.1.3), or the database's error.
void create_node(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                 const std::string& node, const NodeConfig& config,
                 std::function<void(bool created)> then);
/// Looks up the viewer (two reads unless it is the owner); `done(ok, viewer)`.
void find_viewer(const PepPtr& pep, const Owner& owner, const Jid& requester,
                 std::function<void(bool ok, Viewer)> done);
/// Answers the access error of XEP-0060 §6.5.x for a denied retrieval.
void reply_access_error(Pep& pep, const StanzaEvent& ev, Access denied);

/// The item as sent in results and notifications: <item id='..'>payload</item>, with a bundle's
/// unclaimed prekeys put back (`prekeys` null: none stored for it).
xml::ElementPtr item_element(const std::string& node, const storage::PubsubItem& item,
                             const std::vector<storage::Prekey>* prekeys);

/// Sends `event` (a <event xmlns=pubsub#event> child) from the owner to every resource that
/// should hear about the node: the owner's own, and those of contacts with a presence
/// subscription that the access model lets in, each only if its caps ask for <node>+notify; and
/// to the node's explicit subscriptions that the access model lets in, each JID once. `then`
/// runs once every recipient was found (a delete waits for it: the node's subscriptions and
/// whitelist go with the node).
void broadcast(const PepPtr& pep, const Owner& owner, const std::string& node,
               const NodeConfig& config, xml::ElementPtr event,
               std::function<void()> then = {});
/// The items event of one published item, with its payload unless the node says otherwise,
/// to everyone broadcast() reaches.
void notify_published(const PepPtr& pep, const Owner& owner, const std::string& node,
                      const NodeConfig& config, const storage::PubsubItem& item);
/// After a client changed `node`: when it is one of the bookmark nodes, brings the other forms
/// of the account's bookmarks in step with it (XEP-0402 §compat, bookmarks.cpp).
void bookmarks_changed(const PepPtr& pep, const Owner& owner, const std::string& node);

/// Where a notification for an explicit subscription goes (XEP-0060 §7.1.2.1): a full JID as it
/// is; a bare JID of this server to each of its available resources; another server's bare JID
/// to that JID.
std::vector<std::string> subscription_recipients(const PepPtr& pep, const std::string& jid);
/// Sends the node's newest item, if it has one, to `to` (XEP-0060 §6.1.7, XEP-0163 §4.3.4).
void send_last_item(const PepPtr& pep, const Owner& owner, const std::string& node,
                    const std::string& to);
/// Sends the newest item of each node that the resource `full` asks for (`features`) and may see
/// to it (XEP-0163 §4.3.4), once its caps are known: the nodes of its own account and of its
/// contacts here for a local resource; those of the accounts it told it is available for a
/// resource of another domain.
void send_last_items(const PepPtr& pep, const Jid& full,
                     std::shared_ptr<const CapsFeatures> features);
/// The same for the nodes of one owner.
void send_owner_last_items(const PepPtr& pep, const Owner& owner, const Jid& full,
                           std::shared_ptr<const CapsFeatures> features);

/// A notification message <message from=owner to=jid type=headline><event/></message>.
StanzaPtr event_message(const std::string& from, const std::string& to, const xml::Element& event);

/// XEP-0060 §6.1 subscribe, §6.2 unsubscribe and §5.6 the requester's own subscriptions, on
/// the account the iq is addressed to (subscribe.cpp).
void subscribe(const PepPtr& pep, const StanzaEvent& ev, const xml::Element& request);
void unsubscribe(const PepPtr& pep, const StanzaEvent& ev, const xml::Element& request);
void retrieve_subscriptions(const PepPtr& pep, const StanzaEvent& ev,
                            const xml::Element& request);
/// The owner's view of a node's subscriptions (§8.8.1), and removing some (§8.8.2, 'none').
void owner_subscriptions(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                         const std::string& node, const xml::Element* changes);

void add_publish_handlers(ModuleContext& ctx, const PepPtr& pep);
void add_owner_handlers(ModuleContext& ctx, const PepPtr& pep);
void add_claim_handler(ModuleContext& ctx, const PepPtr& pep);
void add_disco_contributors(ModuleContext& ctx, const PepPtr& pep);
void add_caps_hooks(ModuleContext& ctx, const PepPtr& pep);
void add_bookmarks_sync(ModuleContext& ctx, const PepPtr& pep);

/// Looks up the owner's node and calls `next(config)`; answers item-not-found when there is none
/// (XEP-0060 §6.1.3.12, §8.2.3.4), internal-server-error when the store fails.
template <typename Next>
void with_node(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
               const std::string& node, Next next) {
    pep->nodes.node(owner.host, owner.user, node,
                    [pep, ev, next](bool ok, std::optional<std::string> text) mutable {
                        if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                        if (!text) return pep->ctx.reply_error(ev, "cancel", "item-not-found");
                        next(parse_config(*text));
                    });
}

}  // namespace starling::pep
