// The pubsub namespace of an account: publish (with auto-create and publish-options), retract,
// create, and items retrieval (all, by id, the newest max_items), XEP-0060 §7.1, §7.2, §8.1,
// §6.5, with PEP's rules (XEP-0163 §7): only the owner publishes, anyone the access model lets
// in retrieves.

#include "core/server.hpp"
#include "omemo_bundle.hpp"
#include "pep.hpp"
#include "stream/scram_crypto.hpp"
#include "xml/serializer.hpp"

#include <openssl/rand.h>

#include <charconv>
#include <chrono>

namespace starling::pep {

namespace {

std::string new_item_id() {
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        return "i" + std::to_string(now);
    }
    return sasl::to_hex({reinterpret_cast<const char*>(bytes), sizeof bytes});
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool truthy(std::string_view value) {
    return value == "1" || value == "true";
}

xml::ElementPtr pubsub_result(const char* child, const std::string& node) {
    auto pubsub = xml::make_element("pubsub", ns_pubsub);
    pubsub->add_child(child).set_attr("node", node);
    return pubsub;
}

// Stores the item of a node that exists by now (with a bundle's one-time prekeys, in the same
// transaction: a refused or failed publish leaves the old bundle and its keys as they were).
void store_item(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                const std::string& node, const NodeConfig& config,
                const std::optional<std::vector<storage::Prekey>>& keys, storage::PubsubItem item) {
    auto finish = [pep, ev, owner, node, config, item](bool ok) {
        if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
        auto result = pubsub_result("publish", node);
        result->child("publish")->add_child("item").set_attr("id", item.item_id);
        pep->ctx.send(make_iq_result(*ev.stanza, std::move(result)));
        notify_published(pep, owner, node, config, item);
        bookmarks_changed(pep, owner, node);
    };
    // Not kept (XEP-0223): the item only goes out as notifications.
    if (!config.persist_items) return finish(true);
    std::vector<storage::Statement> with_keys;
    item.bytes = static_cast<std::int64_t>(item.payload.size());
    if (keys) {
        for (const auto& key : *keys)
            item.bytes += static_cast<std::int64_t>(key.id.size() + key.data.size());
        with_keys = storage::PrekeyStore::replace_statements(owner.host, owner.user, node,
                                                             item.item_id, *keys);
    }
    // The owner's storage quota is checked inside the write, so that publishes pipelined
    // before the first is stored cannot all find room.
    pep->nodes.publish(owner.host, owner.user, node, serialize(config), item,
                       {config.item_limit(pep->max_items_limit), pep->max_bytes_per_account},
                       std::move(with_keys), [pep, ev, finish](bool ok, bool refused) {
                           if (refused)
                               return pep->ctx.reply_error(
                                   ev, "wait", "resource-constraint",
                                   "the account's PEP storage quota is used up");
                           finish(ok);
                       });
}

void publish(const PepPtr& pep, StanzaEvent& ev, const xml::Element& pubsub,
             const xml::Element& request) {
    if (!ev.own_account()) return pep->ctx.reply_error(ev, "auth", "forbidden");
    const std::string node(request.attr("node"));
    if (node.empty())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "nodeid-required");
    const auto items = request.child_elements();
    if (items.empty() || items[0]->name() != "item")
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "item-required");
    if (items.size() > 1)
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "invalid-payload");
    const auto payloads = items[0]->child_elements();
    // PEP nodes deliver payloads (XEP-0163 §4.1), so an item carries exactly one.
    if (payloads.empty())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "payload-required");
    if (payloads.size() > 1)
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "invalid-payload");
    std::optional<xml::SubmittedForm> form;
    if (const auto* options = pubsub.child("publish-options", ns_pubsub);
        options && options->first_child_element()) {
        form = xml::read_submitted_form(options->first_child_element());
        if (!form || form->form_type != form_publish_options)
            return reply_pubsub_error(*pep, ev, "modify", "bad-request", "invalid-options");
        NodeConfig probe;
        if (apply(*form, probe, pep->max_items_limit))
            return reply_pubsub_error(*pep, ev, "modify", "bad-request", "invalid-options");
    }
    auto payload = payloads[0]->clone();
    storage::PubsubItem item;
    item.item_id = items[0]->has_attr("id") ? std::string(items[0]->attr("id")) : new_item_id();
    item.publisher = ev.stanza->from().str();
    item.published_at = now_seconds();
    const Owner owner = owner_of(*ev.stanza);
    pep->nodes.node(
        owner.host, owner.user, node,
        [pep, ev, owner, node, form, payload, item](bool ok,
                                                    std::optional<std::string> existing) mutable {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            NodeConfig config = existing ? parse_config(*existing) : NodeConfig{};
            if (existing && form && !matches(*form, config))
                return reply_pubsub_error(*pep, ev, "cancel", "conflict", "precondition-not-met");
            if (!existing && form) apply(*form, config, pep->max_items_limit);
            std::optional<std::vector<storage::Prekey>> keys;
            if (const auto ns = bundle_namespace(node)) keys = take_prekeys(*payload, *ns);
            item.payload = xml::to_string(*payload);
            if (static_cast<std::int64_t>(item.payload.size()) > pep->max_payload_bytes)
                return reply_pubsub_error(*pep, ev, "modify", "not-acceptable", "payload-too-big");
            if (existing) return store_item(pep, ev, owner, node, config, keys, item);
            // An auto-create counts against the owner's nodes like a create.
            create_node(pep, ev, owner, node, config,
                        [pep, ev, owner, node, config, keys, item](bool) {
                            store_item(pep, ev, owner, node, config, keys, item);
                        });
        });
}

void retract(const PepPtr& pep, StanzaEvent& ev, const xml::Element& request) {
    if (!ev.own_account()) return pep->ctx.reply_error(ev, "auth", "forbidden");
    const std::string node(request.attr("node"));
    if (node.empty())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "nodeid-required");
    const auto* item = request.child("item");
    if (item == nullptr || item->attr("id").empty())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "item-required");
    const std::string id(item->attr("id"));
    const bool notify = truthy(request.attr("notify"));
    const Owner owner = owner_of(*ev.stanza);
    pep->nodes.node(
        owner.host, owner.user, node,
        [pep, ev, owner, node, id, notify](bool ok, std::optional<std::string> text) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            if (!text) return pep->ctx.reply_error(ev, "cancel", "item-not-found");
            const NodeConfig config = parse_config(*text);
            pep->nodes.retract(
                owner.host, owner.user, node, id,
                [pep, ev, owner, node, id, notify, config](bool ok, bool removed) {
                    if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                    if (!removed) return pep->ctx.reply_error(ev, "cancel", "item-not-found");
                    if (bundle_namespace(node))
                        pep->prekeys.remove(owner.host, owner.user, node, id, [](bool) {});
                    pep->ctx.send(make_iq_result(*ev.stanza));
                    bookmarks_changed(pep, owner, node);
                    if (!notify && !config.notify_retract) return;
                    auto event = xml::make_element("event", ns_event);
                    auto& items = event->add_child("items");
                    items.set_attr("node", node);
                    items.add_child("retract").set_attr("id", id);
                    broadcast(pep, owner, node, config, std::move(event));
                });
        });
}

void create(const PepPtr& pep, StanzaEvent& ev, const xml::Element& pubsub,
            const xml::Element& request) {
    if (!ev.own_account()) return pep->ctx.reply_error(ev, "auth", "forbidden");
    const std::string node(request.attr("node"));
    // PEP has no instant nodes (XEP-0163 §7.1): a node is named by its namespace.
    if (node.empty())
        return reply_pubsub_error(*pep, ev, "modify", "not-acceptable", "nodeid-required");
    NodeConfig config;
    if (const auto* configure = pubsub.child("configure", ns_pubsub);
        configure && configure->first_child_element()) {
        const auto form = xml::read_submitted_form(configure->first_child_element());
        if (!form || form->form_type != form_node_config ||
            apply(*form, config, pep->max_items_limit))
            return pep->ctx.reply_error(ev, "modify", "not-acceptable");
    }
    const Owner owner = owner_of(*ev.stanza);
    create_node(pep, ev, owner, node, config, [pep, ev](bool created) {
        if (!created) return pep->ctx.reply_error(ev, "cancel", "conflict");
        pep->ctx.send(make_iq_result(*ev.stanza));
    });
}

void send_items(const PepPtr& pep, const StanzaEvent& ev, const Owner& owner,
                const std::string& node, std::vector<storage::PubsubItem> items) {
    auto reply = [pep, ev, node,
                  items](const std::map<std::string, std::vector<storage::Prekey>>* keys) {
        auto result = pubsub_result("items", node);
        auto* list = result->child("items");
        for (const auto& item : items) {
            const std::vector<storage::Prekey>* own = nullptr;
            if (keys) {
                const auto it = keys->find(item.item_id);
                static const std::vector<storage::Prekey> none;
                own = it == keys->end() ? &none : &it->second;
            }
            list->add_child(item_element(node, item, own));
        }
        pep->ctx.send(make_iq_result(*ev.stanza, std::move(result)));
    };
    if (!bundle_namespace(node)) return reply(nullptr);
    pep->prekeys.unclaimed(
        owner.host, owner.user, node,
        [pep, ev, reply](bool ok, std::map<std::string, std::vector<storage::Prekey>> keys) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            reply(&keys);
        });
}

void retrieve(const PepPtr& pep, StanzaEvent& ev, const xml::Element& request) {
    const std::string node(request.attr("node"));
    if (node.empty())
        return reply_pubsub_error(*pep, ev, "modify", "bad-request", "nodeid-required");
    std::int64_t max_items = 0;
    if (const auto text = request.attr("max_items"); !text.empty()) {
        const auto [end, error] =
            std::from_chars(text.data(), text.data() + text.size(), max_items);
        if (error != std::errc() || end != text.data() + text.size() || max_items < 1)
            return pep->ctx.reply_error(ev, "modify", "bad-request");
    }
    std::vector<std::string> ids;
    for (const xml::Element* item : request.child_elements())
        if (item->name() == "item" && !item->attr("id").empty()) ids.emplace_back(item->attr("id"));
    const Owner owner = owner_of(*ev.stanza);
    pep->nodes.node(
        owner.host, owner.user, node,
        [pep, ev, owner, node, max_items, ids](bool ok, std::optional<std::string> text) {
            if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
            if (!text) return pep->ctx.reply_error(ev, "cancel", "item-not-found");
            const NodeConfig config = parse_config(*text);
            find_viewer(
                pep, owner, ev.stanza->from(),
                [pep, ev, owner, node, max_items, ids, config](bool ok, Viewer viewer) {
                    if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                    if (const auto verdict = access(viewer, node, config);
                        verdict != Access::allowed)
                        return reply_access_error(*pep, ev, verdict);
                    auto done = [pep, ev, owner, node](bool ok,
                                                       std::vector<storage::PubsubItem> items) {
                        if (!ok) return pep->ctx.reply_error(ev, "wait", "internal-server-error");
                        send_items(pep, ev, owner, node, std::move(items));
                    };
                    if (!ids.empty())
                        return pep->nodes.items_by_id(owner.host, owner.user, node, ids, done);
                    pep->nodes.items(owner.host, owner.user, node, max_items, done);
                });
        });
}

}  // namespace

void notify_published(const PepPtr& pep, const Owner& owner, const std::string& node,
                      const NodeConfig& config, const storage::PubsubItem& item) {
    auto send = [pep, owner, node, config, item](const std::vector<storage::Prekey>* keys) {
        auto event = xml::make_element("event", ns_event);
        auto& items = event->add_child("items");
        items.set_attr("node", node);
        if (config.deliver_payloads) {
            items.add_child(item_element(node, item, keys));
        } else {
            items.add_child("item").set_attr("id", item.item_id);
        }
        broadcast(pep, owner, node, config, std::move(event));
    };
    if (!bundle_namespace(node)) return send(nullptr);
    pep->prekeys.unclaimed(
        owner.host, owner.user, node,
        [send, item](bool, std::map<std::string, std::vector<storage::Prekey>> keys) {
            send(&keys[item.item_id]);
        });
}

void add_publish_handlers(ModuleContext& ctx, const PepPtr& pep) {
    ctx.iq_handler(IqTarget::account, "set", ns_pubsub, [pep](StanzaEvent& ev) {
        const xml::Element& pubsub = *ev.stanza->element().first_child_element();
        const xml::Element* request = pubsub.first_child_element();
        if (request == nullptr) return pep->ctx.reply_error(ev, "modify", "bad-request");
        if (request->name() == "publish") return publish(pep, ev, pubsub, *request);
        if (request->name() == "retract") return retract(pep, ev, *request);
        if (request->name() == "create") return create(pep, ev, pubsub, *request);
        if (request->name() == "subscribe") return subscribe(pep, ev, *request);
        if (request->name() == "unsubscribe") return unsubscribe(pep, ev, *request);
        reply_pubsub_error(*pep, ev, "cancel", "feature-not-implemented", "unsupported", "feature",
                           request->name());
    });
    ctx.iq_handler(IqTarget::account, "get", ns_pubsub, [pep](StanzaEvent& ev) {
        const xml::Element& pubsub = *ev.stanza->element().first_child_element();
        const xml::Element* request = pubsub.first_child_element();
        if (request == nullptr) return pep->ctx.reply_error(ev, "modify", "bad-request");
        if (request->name() == "items") return retrieve(pep, ev, *request);
        if (request->name() == "subscriptions") return retrieve_subscriptions(pep, ev, *request);
        reply_pubsub_error(*pep, ev, "cancel", "feature-not-implemented", "unsupported", "feature",
                           request->name());
    });
}

}  // namespace starling::pep
