// RFC 6121 §2 rosters: get (with §2.6 versioning), set and remove, and pushes of every change to
// the resources that asked for the roster. Subscription states change in mod_presence, which
// pushes through the roster_push event.

#include "core/interested_resources.hpp"
#include "core/module.hpp"
#include "core/server.hpp"
#include "core/session_manager.hpp"
#include "roster_xml.hpp"

#include <set>

namespace {

using namespace starling;
using storage::RosterItem;
using storage::RosterStore;

std::vector<OptionSpec> options() {
    return {
        {"max_items", OptionType::integer, "1000", 1, 100000,
         "the most contacts a roster may hold; a roster set that adds one more is refused with "
         "<not-allowed/>, and a subscription request that would add one (sent or received, with "
         "mod_presence) with <resource-constraint/>"},
    };
}

struct Roster {
    ModuleContext& ctx;
    RosterStore& store;
    InterestedResources& interested;
    std::int64_t max_items;

    // A roster is the user's own: a request addressed to anyone else, or not sent by the
    // account's own session, is refused (§2.1.5).
    std::optional<Jid> own_roster(const StanzaEvent& ev) {
        auto user = ev.own_account();
        if (!user) ctx.reply_error(ev, "auth", "forbidden");
        return user;
    }

    void get(StanzaEvent& ev) {
        const auto user = own_roster(ev);
        if (!user) return;
        interested.add(ev.origin->jid());
        const auto* query = ev.stanza->element().child("query", roster::ns_roster);
        const bool versioned = query->has_attr("ver");
        const std::string known(query->attr("ver"));
        store.items(ctx.domain(), user->local(),
                    [this, ev, versioned, known](bool ok, std::vector<RosterItem> items,
                                                 std::int64_t version) {
                        if (!ok) return ctx.reply_error(ev, "wait", "internal-server-error");
                        const auto current = std::to_string(version);
                        // §2.6.3: the client is up to date; later changes arrive as pushes.
                        if (versioned && known == current)
                            return ctx.send(make_iq_result(*ev.stanza));
                        auto result = xml::make_element("query", roster::ns_roster);
                        if (versioned) result->set_attr("ver", current);
                        for (const auto& item : items)
                            if (item.listed) result->add_child(roster::item_element(item));
                        ctx.send(make_iq_result(*ev.stanza, std::move(result)));
                    });
    }

    void set(StanzaEvent& ev) {
        const auto owner = own_roster(ev);
        if (!owner) return;
        const auto* query = ev.stanza->element().child("query", roster::ns_roster);
        const auto children = query->child_elements();
        // §2.3.3: exactly one item per roster set.
        if (children.size() != 1 || children.front()->name() != "item")
            return ctx.reply_error(ev, "modify", "bad-request");
        const auto& element = *children.front();
        const auto contact = Jid::parse(element.attr("jid"));
        if (!contact || element.attr("jid").empty())
            return ctx.reply_error(ev, "modify", "bad-request", "invalid jid");
        if (element.attr("subscription") == "remove")
            return remove(ev, *owner, contact->bare().str());

        std::set<std::string> groups;
        for (const auto* group : element.child_elements()) {
            if (group->name() != "group") continue;
            const auto name = group->text();
            if (name.empty()) return ctx.reply_error(ev, "modify", "not-acceptable", "empty group");
            if (!groups.insert(name).second)
                return ctx.reply_error(ev, "modify", "bad-request", "duplicate group");
        }
        RosterItem wanted;
        wanted.contact = contact->bare().str();
        wanted.name = std::string(element.attr("name"));
        wanted.groups.assign(groups.begin(), groups.end());

        const Jid user = *owner;
        store.item(ctx.domain(), user.local(), wanted.contact,
                   [this, ev, user, wanted](bool ok, std::optional<RosterItem> existing) {
                       if (!ok) return ctx.reply_error(ev, "wait", "internal-server-error");
                       // Only the name and groups are the client's to set (§2.1.2.5).
                       RosterItem item = existing.value_or(RosterItem{});
                       item.contact = wanted.contact;
                       item.name = wanted.name;
                       item.groups = wanted.groups;
                       item.listed = true;
                       save(ev, user, item);
                   });
    }

    // The size limit is checked inside the write (RosterStore::put), so that roster sets
    // pipelined before the first one is stored cannot all find room.
    void save(const StanzaEvent& ev, const Jid& user, const RosterItem& item) {
        store.put(ctx.domain(), user.local(), item, max_items,
                  [this, ev, user, item](bool ok, bool refused, std::int64_t version) {
                      if (refused)
                          return ctx.reply_error(ev, "cancel", "not-allowed", "the roster is full");
                      if (!ok) return ctx.reply_error(ev, "wait", "internal-server-error");
                      // The push first (RFC 6121 §2.3.2), so that what hooks it (mod_mam's
                      // roster cache) knows the item before the client learns the set is done.
                      roster::push_item(ctx.host(), user.str(), item, version);
                      ctx.send(make_iq_result(*ev.stanza));
                  });
    }

    // §2.5: the item goes, and with it every subscription in either direction.
    void remove(const StanzaEvent& ev, const Jid& user, const std::string& contact) {
        store.item(ctx.domain(), user.local(), contact,
                   [this, ev, user](bool ok, std::optional<RosterItem> existing) {
                       if (!ok) return ctx.reply_error(ev, "wait", "internal-server-error");
                       if (!existing || !existing->listed)
                           return ctx.reply_error(ev, "cancel", "item-not-found");
                       store.remove(
                           ctx.domain(), user.local(), existing->contact,
                           [this, ev, user, item = *existing](bool ok, bool, std::int64_t version) {
                               if (!ok) return ctx.reply_error(ev, "wait", "internal-server-error");
                               roster::push_item(ctx.host(), user.str(), item, version, true);
                               ctx.send(make_iq_result(*ev.stanza));
                               if (item.has_to() || item.ask)
                                   send_presence(user, item.contact, "unsubscribe");
                               if (item.has_from() || item.pending_in)
                                   send_presence(user, item.contact, "unsubscribed");
                           });
                   });
    }

    void send_presence(const Jid& user, const std::string& contact, const char* type) {
        auto presence = xml::make_element("presence", std::string(ns_client));
        presence->set_attr("from", user.str());
        presence->set_attr("to", contact);
        presence->set_attr("type", type);
        ctx.send(make_stanza(std::move(presence)));
    }

    Verdict push(StanzaEvent& ev) {
        interested.push(ctx.server().sessions(), ev.stanza->to().bare_str(), ev.stanza->element());
        return Verdict::handled;
    }
};

void load(ModuleContext& ctx) {
    auto& roster = ctx.own(std::make_shared<Roster>(
        Roster{ctx, ctx.open_store<RosterStore>(), ctx.own(std::make_shared<InterestedResources>()),
               ctx.options().get_int("max_items")}));
    ctx.iq_handler(IqTarget::account, "get", roster::ns_roster,
                   [&roster](StanzaEvent& ev) { roster.get(ev); });
    ctx.iq_handler(IqTarget::account, "set", roster::ns_roster,
                   [&roster](StanzaEvent& ev) { roster.set(ev); });
    // RFC 6121 §2.6.1: clients send 'ver' only when the stream offers versioning.
    ctx.add_stream_feature(*xml::make_element("ver", "urn:xmpp:features:rosterver"));
    ctx.hook(roster::push_event(), [&roster](StanzaEvent& ev) { return roster.push(ev); });
    ctx.hook_session(events::session_closed, [&roster](SessionEvent& ev) {
        roster.interested.remove(ev.session->jid());
        return Verdict::pass;
    });
}

}  // namespace

STARLING_MODULE("roster", "RFC 6121 rosters: get, set, remove, pushes and versioning", options,
                nullptr, load)
