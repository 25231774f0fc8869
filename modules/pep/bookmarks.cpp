// XEP-0402 compatibility: the account's bookmarks kept alike in their three forms.
//
//   urn:xmpp:bookmarks:1   the PEP node of XEP-0402: one item per room, id = the room's JID
//   storage:bookmarks      the PEP node of XEP-0048 (XEP-0223): one item holding <storage/>
//   jabber:iq:private      XEP-0049 private storage of <storage xmlns='storage:bookmarks'/>
//
// When a client publishes to or retracts from the first, the second is republished from all its
// items and mod_private is handed the same <storage/> ("private/store"). When a client
// publishes the second, or stores the third (mod_private fires "private/stored"), the first is
// brought in step item by item: new and changed rooms are published and vanished ones
// retracted, each with its notification, and unchanged ones left alone (XEP-0402 §compat). URL
// bookmarks, which XEP-0402 dropped, live on in the two XEP-0048 forms. The nodes this makes
// have the configuration XEP-0402 clients ask for in their publish-options.

#include "pep.hpp"

#include "storage/stored_xml.hpp"
#include "xml/serializer.hpp"

#include <map>

namespace starling::pep {

namespace {

constexpr const char* ns_bookmarks = "urn:xmpp:bookmarks:1";
constexpr const char* ns_legacy = "storage:bookmarks";
constexpr const char* ns_private = "jabber:iq:private";
constexpr const char* legacy_item = "current";
const EventKey private_stored("private/stored");
const EventKey private_store("private/store");

NodeConfig bookmarks_config(bool one_item) {
    NodeConfig config;
    config.access_model = "whitelist";
    config.max_items = one_item ? 1 : 0;
    config.persist_items = true;
    config.send_last_published_item = "never";
    return config;
}

std::string boolean(std::string_view value) {
    return value == "1" || value == "true" ? "true" : "false";
}

// Copies the optional <nick/> and <password/> children from one conference form to the other.
void copy_children(const xml::Element& from, xml::Element& to) {
    for (const char* name : {"nick", "password"})
        if (const xml::Element* child = from.child(name))
            to.add_child(name).add_text(child->text());
}

/// XEP-0402's <conference/> for a XEP-0048 one (whose jid becomes the item id).
xml::ElementPtr to_bookmarks2(const xml::Element& legacy) {
    auto conference = xml::make_element("conference", ns_bookmarks);
    if (legacy.has_attr("name")) conference->set_attr("name", legacy.attr("name"));
    if (legacy.has_attr("autojoin")) conference->set_attr("autojoin", boolean(legacy.attr("autojoin")));
    copy_children(legacy, *conference);
    return conference;
}

/// XEP-0048's <conference/> for room `jid` with XEP-0402's payload.
xml::ElementPtr to_legacy(const std::string& jid, const xml::Element& conference) {
    auto legacy = xml::make_element("conference", ns_legacy);
    legacy->set_attr("jid", jid);
    if (conference.has_attr("name")) legacy->set_attr("name", conference.attr("name"));
    if (conference.has_attr("autojoin"))
        legacy->set_attr("autojoin", boolean(conference.attr("autojoin")));
    copy_children(conference, *legacy);
    return legacy;
}

// The stored payload of an item as an element (null: none, or not XML).
xml::ElementPtr payload_of(const storage::PubsubItem& item) {
    if (item.payload.empty()) return nullptr;
    return storage::parse_stored_xml(item.payload, "");
}

storage::PubsubItem make_item(const Owner& owner, std::string id, const xml::Element& payload) {
    storage::PubsubItem item;
    item.item_id = std::move(id);
    item.payload = xml::to_string(payload);
    item.publisher = owner.bare();
    item.published_at = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return item;
}

// Publishes as the server, on the owner's behalf: the node is made with `config_if_new`, the
// owner's quota holds as for a client's publish, and the item is notified like one.
void publish_as_server(const PepPtr& pep, const Owner& owner, const std::string& node,
                       const NodeConfig& config_if_new, storage::PubsubItem item) {
    pep->nodes.node(owner.host, owner.user, node,
                    [pep, owner, node, config_if_new, item](bool ok,
                                                            std::optional<std::string> text) {
                        if (!ok) return;
                        const NodeConfig config = text ? parse_config(*text) : config_if_new;
                        pep->nodes.publish(
                            owner.host, owner.user, node, serialize(config), item,
                            {config.item_limit(pep->max_items_limit), pep->max_bytes_per_account},
                            {}, [pep, owner, node, config, item](bool ok, bool refused) {
                                if (!ok || refused) {
                                    pep->ctx.log().warn("bookmarks of {} not synchronised to {}",
                                                        owner.bare(), node);
                                    return;
                                }
                                notify_published(pep, owner, node, config, item);
                            });
                    });
}

void retract_as_server(const PepPtr& pep, const Owner& owner, const NodeConfig& config,
                       const std::string& id) {
    pep->nodes.retract(owner.host, owner.user, ns_bookmarks, id,
                       [pep, owner, config, id](bool ok, bool removed) {
                           if (!ok || !removed || !config.notify_retract) return;
                           auto event = xml::make_element("event", ns_event);
                           auto& items = event->add_child("items");
                           items.set_attr("node", ns_bookmarks);
                           items.add_child("retract").set_attr("id", id);
                           broadcast(pep, owner, ns_bookmarks, config, std::move(event));
                       });
}

// Hands mod_private the account's <storage/>, as if the account had set it.
void store_private(const PepPtr& pep, const Owner& owner, const xml::Element& storage) {
    auto iq = xml::make_element("iq", std::string(ns_client));
    iq->set_attr("type", "set");
    iq->set_attr("from", owner.bare());
    iq->set_attr("to", owner.bare());
    iq->add_child("query", ns_private).add_child(storage.clone());
    StanzaEvent event{pep->ctx.host(), nullptr, make_stanza(std::move(iq))};
    pep->ctx.host().stanza_hooks().fire(private_store, event);
}

// XEP-0402 items → the XEP-0048 PEP node and private storage. The URLs of the XEP-0048 item
// stay, since XEP-0402 has no place for them.
void from_bookmarks2(const PepPtr& pep, const Owner& owner) {
    pep->nodes.items(
        owner.host, owner.user, ns_bookmarks, 0,
        [pep, owner](bool ok, std::vector<storage::PubsubItem> rooms) {
            if (!ok) return;
            pep->nodes.items(
                owner.host, owner.user, ns_legacy, 1,
                [pep, owner, rooms](bool ok, std::vector<storage::PubsubItem> legacy) {
                    if (!ok) return;
                    auto storage = xml::make_element("storage", ns_legacy);
                    for (const auto& room : rooms)
                        if (auto conference = payload_of(room);
                            conference && conference->name() == "conference")
                            storage->add_child(to_legacy(room.item_id, *conference));
                    if (!legacy.empty())
                        if (auto old = payload_of(legacy.back()))
                            for (const xml::Element* url : old->child_elements())
                                if (url->name() == "url") storage->add_child(url->clone());
                    publish_as_server(pep, owner, ns_legacy, bookmarks_config(true),
                                      make_item(owner, legacy_item, *storage));
                    store_private(pep, owner, *storage);
                });
        });
}

// A XEP-0048 <storage/> → XEP-0402 items, room by room; `to_pep` also republishes it to the
// XEP-0048 PEP node (it came from private storage).
void from_legacy(const PepPtr& pep, const Owner& owner, const xml::Element& storage,
                 bool to_pep) {
    std::map<std::string, xml::ElementPtr> wanted;
    for (const xml::Element* c : storage.child_elements()) {
        if (c->name() != "conference") continue;
        const auto jid = Jid::parse(c->attr("jid"));
        if (!jid || !jid->resource().empty()) continue;
        wanted[jid->str()] = to_bookmarks2(*c);
    }
    if (to_pep)
        publish_as_server(pep, owner, ns_legacy, bookmarks_config(true),
                          make_item(owner, legacy_item, storage));
    pep->nodes.node(
        owner.host, owner.user, ns_bookmarks,
        [pep, owner, wanted](bool ok, std::optional<std::string> text) {
            if (!ok) return;
            const NodeConfig config = text ? parse_config(*text) : bookmarks_config(false);
            pep->nodes.items(
                owner.host, owner.user, ns_bookmarks, 0,
                [pep, owner, wanted, config](bool ok, std::vector<storage::PubsubItem> rooms) {
                    if (!ok) return;
                    std::map<std::string, std::string> current;  // id → its XEP-0048 form
                    for (const auto& room : rooms)
                        if (auto conference = payload_of(room))
                            current[room.item_id] =
                                xml::to_string(*to_legacy(room.item_id, *conference));
                    for (const auto& [jid, conference] : wanted) {
                        const auto it = current.find(jid);
                        // Unchanged as XEP-0048 sees it: left alone, with any extensions.
                        if (it != current.end() &&
                            it->second == xml::to_string(*to_legacy(jid, *conference)))
                            continue;
                        publish_as_server(pep, owner, ns_bookmarks, config,
                                          make_item(owner, jid, *conference));
                    }
                    for (const auto& [id, unused] : current)
                        if (!wanted.count(id)) retract_as_server(pep, owner, config, id);
                });
        });
}

}  // namespace

void bookmarks_changed(const PepPtr& pep, const Owner& owner, const std::string& node) {
    if (node == ns_bookmarks) return from_bookmarks2(pep, owner);
    if (node != ns_legacy) return;
    pep->nodes.items(owner.host, owner.user, ns_legacy, 1,
                     [pep, owner](bool ok, std::vector<storage::PubsubItem> items) {
                         if (!ok || items.empty()) return;
                         auto storage = payload_of(items.back());
                         if (storage && storage->name() == "storage" &&
                             storage->xmlns() == ns_legacy) {
                             from_legacy(pep, owner, *storage, false);
                             store_private(pep, owner, *storage);
                         }
                     });
}

void add_bookmarks_sync(ModuleContext& ctx, const PepPtr& pep) {
    ctx.add_feature("urn:xmpp:bookmarks:1#compat", IqTarget::account);
    ctx.add_feature("urn:xmpp:bookmarks:1#compat-pep", IqTarget::account);
    // A client stored bookmarks in private storage (mod_private, after its reply).
    ctx.hook(private_stored, [pep](StanzaEvent& ev) {
        const auto account = ev.own_account();
        const xml::Element* query = ev.stanza->element().child("query", ns_private);
        const xml::Element* storage = query ? query->child("storage", ns_legacy) : nullptr;
        if (account && storage)
            from_legacy(pep, {account->domain(), account->local()}, *storage, true);
        return Verdict::pass;
    });
}

}  // namespace starling::pep
