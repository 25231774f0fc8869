// RFC 6121 §3 and §4: the subscription state machine (Appendix A), kept in the roster store so
// that pending requests survive restarts; broadcast of presence to subscribers and the user's own
// resources, probes, directed presence, and the unavailable presence of a session that ends.

#include "../roster/roster_xml.hpp"
#include "core/module.hpp"
#include "core/server.hpp"
#include "core/session_manager.hpp"
#include "item_turns.hpp"
#include "presence_state.hpp"

#include <set>

namespace {

using namespace starling;
using presence::ItemTurns;
using presence::PresenceState;
using Turn = ItemTurns::Turn;
using storage::RosterItem;
using storage::RosterStore;

// One table for every host this server serves: a directed presence from a user of one host to a
// user of another is seen by the recipient's host, but its unavailable is owed by the sender's.
PresenceState& shared_state() {
    static PresenceState state;
    return state;
}

std::string with_to(const std::string& subscription) {
    return subscription == "from" || subscription == "both" ? "both" : "to";
}
std::string without_to(const std::string& subscription) {
    return subscription == "both" || subscription == "from" ? "from" : "none";
}
std::string with_from(const std::string& subscription) {
    return subscription == "to" || subscription == "both" ? "both" : "from";
}
std::string without_from(const std::string& subscription) {
    return subscription == "both" || subscription == "to" ? "to" : "none";
}

bool is_subscription(std::string_view type) {
    return type == "subscribe" || type == "subscribed" || type == "unsubscribe" ||
           type == "unsubscribed";
}

StanzaPtr make_presence(const std::string& from, const std::string& to, std::string_view type,
                        const std::string& status = {}) {
    auto presence = xml::make_element("presence", std::string(ns_client));
    presence->set_attr("from", from);
    if (!to.empty()) presence->set_attr("to", to);
    if (!type.empty()) presence->set_attr("type", type);
    if (!status.empty()) presence->add_child("status").add_text(status);
    return make_stanza(std::move(presence));
}

// The same presence for another recipient, sharing its tree and bytes (Stanza::readdressed).
StanzaPtr readdressed(const StanzaPtr& stanza, const std::string& to) {
    if (auto jid = Jid::parse(to)) return Stanza::readdressed(stanza, std::move(*jid));
    // Not a JID (a roster row written by hand): the router answers it with jid-malformed.
    auto copy = stanza->copy();
    copy->set_attr("to", to);
    return make_stanza(std::move(copy));
}

class Presence {
public:
    Presence(ModuleContext& ctx, RosterStore& store) : ctx_(ctx), store_(store) {}

    // A client's broadcast presence (no 'to', §4.2 and §4.5).
    Verdict broadcast(StanzaEvent& ev) {
        const auto type = ev.stanza->type();
        if (!type.empty() && type != "unavailable") return Verdict::pass;
        const Jid from = ev.stanza->from();
        if (type.empty()) {
            const bool initial = state().set_available(from, ev.stanza);
            fan_out(from, ev.stanza, {}, initial);
        } else {
            auto gone = state().remove(from);
            fan_out(from, ev.stanza, gone ? gone->directed : std::set<std::string>{}, false);
        }
        return Verdict::handled;
    }

    // A session that ends while available leaves as if it had said so (§4.5.1).
    Verdict closed(SessionEvent& ev) {
        const Jid full = ev.session->jid();
        auto gone = state().remove(full);
        if (!gone) return Verdict::pass;
        fan_out(full, make_presence(full.str(), "", "unavailable"), gone->directed, false);
        return Verdict::pass;
    }

    // Presence addressed to a local user (bare or full JID).
    Verdict inbound(StanzaEvent& ev) {
        const auto type = ev.stanza->type();
        const Jid from = ev.stanza->from();
        if (type == "probe") {
            answer_probe(from.bare(), ev.stanza->to().bare());
            return Verdict::handled;
        }
        if (is_subscription(type)) {
            const auto status = ev.stanza->element().child_text("status");
            outbound_subscription(from.bare(), ev.stanza->to().bare(), std::string(type), status);
            return Verdict::handled;
        }
        return Verdict::pass;
    }

    // A client's presence with a 'to', on the sender's host, before routing: directed presence
    // is remembered (§4.6) to be undone at logout, and a subscription stanza to a domain served
    // elsewhere changes the user's side of the subscription here (§3.1.2, §3.2.2, §3.3.2,
    // §3.4) before it leaves; to a local contact, inbound() does both sides.
    Verdict outbound(StanzaEvent& ev) {
        if (!ev.stanza->is_presence() || ev.stanza->to().empty()) return Verdict::pass;
        const auto type = ev.stanza->type();
        const Jid from = ev.stanza->from();
        const Jid& to = ev.stanza->to();
        if (type.empty() || type == "unavailable") {
            state().directed(from, to.str(), type.empty());
            return Verdict::pass;
        }
        if (!is_subscription(type) || ctx_.server().host(to.domain()) != nullptr)
            return Verdict::pass;
        const auto status = ev.stanza->element().child_text("status");
        outbound_subscription(from.bare(), to.bare(), std::string(type), status);
        return Verdict::handled;
    }

private:
    PresenceState& state() { return shared_state(); }
    SessionManager& sessions() { return ctx_.server().sessions(); }

    void fan_out(const Jid& from, StanzaPtr presence, std::set<std::string> directed,
                 bool initial) {
        const Jid user = from.bare();
        // The user's own available resources, the sender included while it is available
        // (§4.2.2, §4.4.2).
        for (const auto& session : sessions().resources(user))
            if (session->available())
                session->deliver(readdressed(presence, session->jid().str()));
        if (initial) {
            // What the user's other resources said, for the new one (§4.4.2).
            if (auto self = sessions().find(from))
                for (const auto& other : state().available(user.str()))
                    if (other->from() != from) self->deliver(readdressed(other, from.str()));
        }
        store_.items(user.domain(), user.local(),
                     [this, from, user, presence, directed, initial](
                         bool ok, std::vector<RosterItem> items, std::int64_t) mutable {
                         if (!ok)
                             return ctx_.log().warn("presence of {}: roster unavailable",
                                                    from.str());
                         for (const auto& item : items) {
                             if (item.has_from()) {
                                 ctx_.send(readdressed(presence, item.contact));
                                 // Covered by the broadcast: no separate unavailable for it.
                                 std::erase_if(directed, [&item](const std::string& jid) {
                                     auto parsed = Jid::parse(jid);
                                     return parsed && parsed->bare().str() == item.contact;
                                 });
                             }
                             if (!initial) continue;
                             if (item.has_to())
                                 ctx_.send(make_presence(user.str(), item.contact, "probe"));
                             if (item.pending_in)
                                 if (auto self = sessions().find(from))
                                     self->deliver(make_presence(item.contact, user.str(),
                                                                 "subscribe", item.pending_status));
                         }
                         for (const auto& jid : directed) ctx_.send(readdressed(presence, jid));
                     });
    }

    // §4.3.2: a subscriber learns the presence of each available resource.
    void answer_probe(const Jid& prober, const Jid& contact) {
        store_.item(contact.domain(), contact.local(), prober.str(),
                    [this, prober, contact](bool ok, std::optional<RosterItem> item) {
                        if (!ok || !item || !item->has_from()) return;
                        for (const auto& last : state().available(contact.str()))
                            ctx_.send(readdressed(last, prober.str()));
                    });
    }

    // `push`: the change shows in the item's XML (a pending-in flag does not, RFC 6121 §3.1.3).
    // `full` runs instead of `then` when the item would be listed past the roster's size limit,
    // which the write itself checks (admit() only spares the database the obvious cases).
    // `turn` (with_item's) lasts until the write is done.
    void save(const Jid& owner, RosterItem item, Turn turn, std::function<void()> then = {},
              bool push = true, std::function<void()> full = {}) {
        store_.put(owner.domain(), owner.local(), item, roster_limit(owner),
                   [this, owner, item, turn = std::move(turn), then = std::move(then), push,
                    full = std::move(full)](bool ok, bool refused, std::int64_t version) {
                       if (refused && full) return full();
                       if (!ok) return ctx_.log().warn("roster of {}: not saved", owner.str());
                       Host* host = ctx_.server().host(owner.domain());
                       if (host && item.listed && push)
                           roster::push_item(*host, owner.str(), item, version);
                       if (then) then();
                   });
    }

    bool is_local(const Jid& jid) {
        return !jid.local().empty() && ctx_.server().host(jid.domain()) != nullptr;
    }

    // Reads the item `owner` keeps for `contact` and calls `then` with it in the item's turn:
    // changes to one item run one at a time, each from its read to the end of its write (the
    // turn `then` passes to save()), so that two subscription stanzas for the same item (a user
    // and a contact asking each other at once) cannot both start from the same old item and
    // overwrite each other's change.
    void with_item(const Jid& owner, const Jid& contact,
                   std::function<void(std::optional<RosterItem>, Turn)> then) {
        turns_.take(owner.str() + '/' + contact.str(),
                    [this, owner, contact, then = std::move(then)](Turn turn) {
                        store_.item(owner.domain(), owner.local(), contact.str(),
                                    [then, turn](bool ok, std::optional<RosterItem> item) {
                                        if (ok) then(std::move(item), turn);
                                    });
                    });
    }

    // mod_roster's max_items on the owner's host; 0 (no limit) without mod_roster.
    std::int64_t roster_limit(const Jid& owner) {
        Host* host = ctx_.server().host(owner.domain());
        const auto roster = host ? host->module_options("roster") : std::nullopt;
        return roster ? roster->get_int("max_items") : 0;
    }

    // Runs `then` when `item` is already listed or the owner's roster has room for one more
    // (mod_roster's max_items), `refuse` otherwise. A request from a stranger is kept unlisted,
    // which the write does not count, so this is its only check; a listed item is checked
    // again inside its write.
    void admit(const Jid& owner, const std::optional<RosterItem>& item, std::function<void()> then,
               std::function<void()> refuse) {
        if (item && item->listed) return then();
        const auto max = roster_limit(owner);
        if (max == 0) return then();
        store_.count(
            owner.domain(), owner.local(),
            [max, then = std::move(then), refuse = std::move(refuse)](bool ok, std::int64_t count) {
                if (ok && count < max) return then();
                refuse();
            });
    }

    // The roster of `owner` is full: the subscription stanza it sent or got comes back to its
    // sender as <resource-constraint/> (RFC 6120 §8.3.3.14).
    void refuse_full(const Jid& sender, const Jid& recipient, const std::string& type) {
        ctx_.server().router().bounce(nullptr, *make_presence(sender.str(), recipient.str(), type),
                                      "wait", "resource-constraint", "the roster is full");
    }

    // The sender's side of a subscription stanza (§3.1.2, §3.2, §3.3, §3.4); then the
    // recipient's side, when the recipient is ours.
    void outbound_subscription(const Jid& user, const Jid& contact, std::string type,
                               std::string status) {
        // `then` runs once the recipient's side is done.
        auto forward = [this, user, contact, type, status](std::function<void()> then = {}) {
            if (is_local(contact)) return inbound_subscription(contact, user, type, status, then);
            ctx_.send(make_presence(user.str(), contact.str(), type, status));
            if (then) then();
        };
        if (!is_local(user)) return forward();
        with_item(
            user, contact,
            [this, user, contact, type, forward](std::optional<RosterItem> existing, Turn turn) {
                RosterItem item = existing.value_or(RosterItem{});
                item.contact = contact.str();
                const auto refused = [this, user, contact, type] {
                    refuse_full(user, contact, type);
                };
                if (type == "subscribe") {
                    item.listed = true;
                    if (!item.has_to()) item.ask = true;
                    if (existing && *existing == item) return forward();
                    return admit(
                        user, existing,
                        [this, user, item, forward, refused, turn] {
                            save(
                                user, item, turn, [forward] { forward(); }, true, refused);
                        },
                        refused);
                }
                if (type == "subscribed") {
                    if (existing && existing->pending_in) {
                        item.subscription = with_from(item.subscription);
                        item.pending_in = false;
                        item.pending_status.clear();
                        item.listed = true;
                        return admit(
                            user, existing,
                            [this, user, contact, item, forward, refused, turn] {
                                save(
                                    user, item, turn,
                                    [this, user, contact, forward] {
                                        // The new subscriber learns the user's presence (§3.1.5),
                                        // after the approval and its roster push.
                                        forward([this, user, contact] {
                                            for (const auto& last : state().available(user.str()))
                                                ctx_.send(readdressed(last, contact.str()));
                                        });
                                    },
                                    true, refused);
                            },
                            refused);
                    }
                    if (item.has_from() || item.approved) return;
                    // Pre-approval (§3.4): the contact's future request is accepted at once.
                    item.approved = true;
                    item.listed = true;
                    return admit(
                        user, existing,
                        [this, user, item, refused, turn] {
                            save(user, item, turn, {}, true, refused);
                        },
                        refused);
                }
                if (type == "unsubscribe") {
                    if (!existing || (!item.has_to() && !item.ask)) return forward();
                    item.subscription = without_to(item.subscription);
                    item.ask = false;
                    return save(user, item, turn, [forward] { forward(); });
                }
                // unsubscribed: cancels the contact's subscription, request or pre-approval.
                if (!existing || (!item.has_from() && !item.pending_in && !item.approved))
                    return forward();
                const bool had_from = item.has_from();
                item.subscription = without_from(item.subscription);
                item.pending_in = false;
                item.pending_status.clear();
                item.approved = false;
                save(user, item, turn, [this, user, contact, forward, had_from] {
                    forward();
                    if (!had_from) return;
                    for (const auto& last : state().available(user.str()))
                        ctx_.send(make_presence(last->from().str(), contact.str(), "unavailable"));
                });
            });
    }

    void deliver_to_available(const Jid& user, const StanzaPtr& stanza) {
        for (const auto& session : sessions().resources(user))
            if (session->available()) session->deliver(stanza);
    }

    // The recipient's side (§3.1.3, §3.1.6, §3.2.3, §3.3.3): `user` receives `type` from
    // `contact`.
    // `then` runs when the change is saved and announced (it orders what the caller sends next
    // after a `subscribed`; for the other types nothing waits on it, and it runs at once).
    void inbound_subscription(const Jid& user, const Jid& contact, std::string type,
                              std::string status, std::function<void()> then = {}) {
        if (!then) then = [] {};
        if (type != "subscribed") {
            then();
            then = [] {};
        }
        const auto notice = make_presence(contact.str(), user.str(), type, status);
        with_item(
            user, contact,
            [this, user, contact, type, status, notice, then](std::optional<RosterItem> existing,
                                                              Turn turn) {
                RosterItem item = existing.value_or(RosterItem{});
                item.contact = contact.str();
                if (type == "subscribe") {
                    if (item.has_from())
                        return outbound_subscription(user, contact, "subscribed", {});
                    if (item.approved) {
                        item.subscription = with_from(item.subscription);
                        item.approved = false;
                        return save(user, item, turn, [this, user, contact] {
                            inbound_subscription(
                                contact, user, "subscribed", {}, [this, user, contact] {
                                    for (const auto& last : state().available(user.str()))
                                        ctx_.send(readdressed(last, contact.str()));
                                });
                        });
                    }
                    if (!existing) item.listed = false;
                    item.pending_in = true;
                    item.pending_status = status;
                    // A request from a stranger is kept (unlisted) only while the roster has
                    // room for the item that approving it would add.
                    return admit(
                        user, existing,
                        [this, user, item, notice, turn] {
                            save(
                                user, item, turn,
                                [this, user, notice] { deliver_to_available(user, notice); },
                                false);
                        },
                        [this, user, contact] { refuse_full(contact, user, "subscribe"); });
                }
                if (type == "subscribed") {
                    if (!existing || !item.ask) return then();
                    item.subscription = with_to(item.subscription);
                    item.ask = false;
                    return save(user, item, turn, [this, user, notice, then] {
                        deliver_to_available(user, notice);
                        then();
                    });
                }
                if (type == "unsubscribe") {
                    if (!existing || (!item.has_from() && !item.pending_in)) return;
                    const bool had_from = item.has_from();
                    item.subscription = without_from(item.subscription);
                    item.pending_in = false;
                    item.pending_status.clear();
                    return save(user, item, turn, [this, user, contact, notice, had_from] {
                        deliver_to_available(user, notice);
                        if (!had_from) return;
                        for (const auto& last : state().available(user.str()))
                            ctx_.send(
                                make_presence(last->from().str(), contact.str(), "unavailable"));
                    });
                }
                if (!existing || (!item.has_to() && !item.ask)) return;
                item.subscription = without_to(item.subscription);
                item.ask = false;
                save(user, item, turn,
                     [this, user, notice] { deliver_to_available(user, notice); });
            });
    }

    ModuleContext& ctx_;
    RosterStore& store_;
    ItemTurns turns_;
};

const char* const depends[] = {"roster", nullptr};

void load(ModuleContext& ctx) {
    auto& presence = ctx.own(std::make_shared<Presence>(ctx, ctx.open_store<RosterStore>()));
    ctx.hook(events::presence_out, [&presence](StanzaEvent& ev) { return presence.broadcast(ev); });
    // RFC 6121 §3.4: pre-approval is announced as a stream feature.
    ctx.add_stream_feature(*xml::make_element("sub", "urn:xmpp:features:pre-approval"));
    ctx.hook(events::stanza_out, [&presence](StanzaEvent& ev) { return presence.outbound(ev); });
    ctx.hook(events::presence_bare, [&presence](StanzaEvent& ev) { return presence.inbound(ev); });
    ctx.hook(events::presence_full, [&presence](StanzaEvent& ev) { return presence.inbound(ev); });
    ctx.hook_session(events::session_closed,
                     [&presence](SessionEvent& ev) { return presence.closed(ev); });
}

}  // namespace

STARLING_MODULE("presence",
                "RFC 6121 presence subscriptions, broadcast, probes and directed presence", nullptr,
                depends, load)
