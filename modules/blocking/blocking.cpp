// XEP-0191 simple communications blocking: the blocklist (get, block, unblock, unblock all),
// pushed to the resources that asked for it; and the filter. Nothing from a blocked JID reaches
// the user: presence is dropped, messages and iq get/set are answered <service-unavailable/>,
// so the user looks offline. Nothing the user sends reaches a blocked JID: the user gets
// <not-acceptable/> with <blocked/>, and the server sends nothing on the user's behalf either.

#include "blocklists.hpp"
#include "core/interested_resources.hpp"
#include "core/module.hpp"
#include "core/server.hpp"
#include "core/session_manager.hpp"
#include "storage/quota_guard.hpp"
#include "storage/roster_store.hpp"

#include <algorithm>

namespace {

using namespace starling;
using blocking::Answer;
using blocking::JidSet;
using storage::BlocklistStore;
using storage::RosterItem;

constexpr const char* ns_blocking = "urn:xmpp:blocking";
constexpr const char* ns_blocking_errors = "urn:xmpp:blocking:errors";
// A list unused this long, of a user with no session, leaves memory (it is reloaded when needed).
constexpr auto idle_list = std::chrono::minutes(5);

std::vector<OptionSpec> options() {
    return {
        {"max_items", OptionType::integer, "1000", 1, 100000,
         "the most JIDs one user may block; a block that would go past it is refused with "
         "<resource-constraint/>"},
    };
}

blocking::Blocklists& lists() {
    static blocking::Blocklists lists;
    return lists;
}

bool is_error_or_result(const Stanza& stanza) {
    const auto type = stanza.type();
    return type == "error" || (stanza.is_iq() && type == "result");
}

class Blocking {
public:
    Blocking(ModuleContext& ctx, std::int64_t max_items)
        : ctx_(ctx),
          store_(ctx.open_store<BlocklistStore>()),
          roster_(ctx.open_store<storage::RosterStore>()),
          max_items_(max_items) {}

    void get(StanzaEvent& ev) {
        const auto owner = own_list(ev);
        if (!owner) return;
        const Jid user = *owner;
        interested_.add(ev.origin->jid());
        lists().when_loaded(user, store_, [this, ev, user](bool ok) {
            if (!ok) return ctx_.reply_error(ev, "wait", "internal-server-error");
            ctx_.send(make_iq_result(*ev.stanza, payload("blocklist", lists().list(user))));
        });
    }

    void set(StanzaEvent& ev) {
        const auto owner = own_list(ev);
        if (!owner) return;
        const auto& command = *ev.stanza->element().first_child_element();
        const bool block = command.name() == "block";
        if (!block && command.name() != "unblock")
            return ctx_.reply_error(ev, "modify", "bad-request", "expected block or unblock");
        JidSet jids;
        for (const auto* item : command.child_elements()) {
            if (item->name() != "item") continue;
            auto jid = Jid::parse(item->attr("jid"));
            if (!jid || jid->empty()) return ctx_.reply_error(ev, "modify", "jid-malformed");
            jids.insert(jid->str());
        }
        // §3.3: a block names at least one JID; an empty unblock unblocks everyone (§3.5).
        if (block && jids.empty())
            return ctx_.reply_error(ev, "modify", "bad-request", "a block needs an item");
        const Jid user = *owner;
        lists().when_loaded(user, store_, [this, ev, user, block, jids](bool ok) {
            if (!ok) return ctx_.reply_error(ev, "wait", "internal-server-error");
            if (block) return add(ev, user, jids);
            remove(ev, user, jids);
        });
    }

    // Client stanzas on the sender's host: to a JID the sender blocks they go nowhere (§3.3).
    Verdict outbound(StanzaEvent& ev) {
        const Jid& to = ev.stanza->to();
        const Jid user = ev.stanza->from().bare();
        if (to.empty() || to.bare() == user || (to.local().empty() && to.domain() == user.domain()))
            return Verdict::pass;  // the user's own account and server are never blocked
        switch (lists().blocks(user, to)) {
            case Answer::no:
                return Verdict::pass;
            case Answer::unknown:
                hold(ev, user, [this, ev] { ctx_.server().router().route_held_from_client(ev); });
                return Verdict::handled;
            case Answer::yes:
                break;
        }
        if (ev.stanza->is_presence() || is_error_or_result(*ev.stanza)) return Verdict::drop;
        auto reply = make_error_reply(*ev.stanza, "cancel", "not-acceptable")->copy();
        reply->child("error")->add_child("blocked", ns_blocking_errors);
        ev.origin->deliver(make_stanza(std::move(reply)));
        return Verdict::drop;
    }

    // Every stanza to a local account, from anyone, before its kind's rules.
    Verdict inbound(StanzaEvent& ev) {
        const Jid& from = ev.stanza->from();
        const Jid user = ev.stanza->to().bare();
        if (from.empty() || from.bare() == user ||
            (from.local().empty() && from.domain() == user.domain()))
            return Verdict::pass;
        // Presence to a user with no session is dropped by the router anyway: no list to load.
        const auto type = ev.stanza->type();
        if (ev.stanza->is_presence() && (type.empty() || type == "unavailable") &&
            !ctx_.server().sessions().has_sessions(user))
            return Verdict::pass;
        const auto again = [this, ev] { ctx_.server().router().route_held(ev); };
        switch (lists().blocks(user, from)) {
            case Answer::unknown:
                hold(ev, user, again);
                return Verdict::handled;
            case Answer::yes:
                // §3.3: presence silently, messages and iq get/set with an error.
                if (!ev.stanza->is_presence())
                    ctx_.server().router().bounce(ev.origin, *ev.stanza, "cancel",
                                                  "service-unavailable");
                return Verdict::drop;
            case Answer::no:
                break;
        }
        // What the server sends on behalf of a local user (presence broadcasts, probe answers)
        // does not reach a JID that user blocks; errors do, so a blocked sender learns of them.
        if (from.local().empty() || !ctx_.server().host(from.domain()) ||
            is_error_or_result(*ev.stanza))
            return Verdict::pass;
        const Jid sender = from.bare();
        switch (lists().blocks(sender, ev.stanza->to())) {
            case Answer::unknown:
                hold(ev, sender, again);
                return Verdict::handled;
            case Answer::yes:
                return Verdict::drop;
            case Answer::no:
                return Verdict::pass;
        }
        return Verdict::pass;
    }

    void bound(const SessionEvent& ev) {
        lists().when_loaded(ev.session->jid().bare(), store_, [](bool) {});
    }
    void closed(const SessionEvent& ev) { interested_.remove(ev.session->jid()); }

    void sweep() {
        auto& sessions = ctx_.server().sessions();
        lists().sweep(blocking::Blocklists::Clock::now() - idle_list,
                      [&sessions](const std::string& bare) {
                          auto jid = Jid::parse(bare);
                          return jid && sessions.has_sessions(*jid);
                      });
    }

private:
    std::optional<Jid> own_list(const StanzaEvent& ev) {
        auto owner = ev.own_account();
        if (!owner) ctx_.reply_error(ev, "auth", "forbidden", "a blocklist is its owner's only");
        return owner;
    }

    static xml::ElementPtr payload(const char* name, const JidSet& jids) {
        auto element = xml::make_element(name, ns_blocking);
        for (const auto& jid : jids) element->add_child("item", ns_blocking).set_attr("jid", jid);
        return element;
    }

    // The stanza waits for `user`'s list, then goes through routing again (now decided), or
    // comes back to its sender when the database cannot say.
    void hold(const StanzaEvent& ev, const Jid& user, std::function<void()> again) {
        lists().when_loaded(user, store_, [this, ev, user, again = std::move(again)](bool ok) {
            if (ok) return again();
            ctx_.log().warn("blocklist of {} could not be read", user.str());
            ctx_.server().router().bounce(ev.origin, *ev.stanza, "wait", "internal-server-error");
        });
    }

    void add(const StanzaEvent& ev, const Jid& user, const JidSet& requested) {
        const auto current = lists().list(user);
        std::vector<std::string> added;
        std::set_difference(requested.begin(), requested.end(), current.begin(), current.end(),
                            std::back_inserter(added));
        // The length is checked inside the write (the list in memory counts only what is
        // committed), so that blocks pipelined before the first is stored cannot all fit.
        store_.add(user.domain(), user.local(), added, max_items_,
                   [this, ev, user, requested, added](storage::Result result) {
                       if (storage::refused(result))
                           return ctx_.reply_error(ev, "wait", "resource-constraint",
                                                   "the blocklist is full");
                       if (!result.ok) return ctx_.reply_error(ev, "wait", "internal-server-error");
                       with_subscribers(user, JidSet(added.begin(), added.end()),
                                        [this, ev, user, requested, added](auto contacts) {
                                            // §3.3: before the block holds, contacts who see
                                            // the user's presence see it go.
                                            for (const auto& contact : contacts)
                                                send_unavailable(user, contact);
                                            lists().add(user, added);
                                            ctx_.send(make_iq_result(*ev.stanza));
                                            push(user, "block", requested);
                                        });
                   });
    }

    void remove(const StanzaEvent& ev, const Jid& user, const JidSet& requested) {
        const auto current = lists().list(user);
        JidSet freed;
        if (requested.empty())
            freed = current;
        else
            std::set_intersection(requested.begin(), requested.end(), current.begin(),
                                  current.end(), std::inserter(freed, freed.end()));
        const std::vector<std::string> jids(requested.begin(), requested.end());
        store_.remove(user.domain(), user.local(), jids,
                      [this, ev, user, requested, jids, freed](storage::Result result) {
                          if (!result.ok)
                              return ctx_.reply_error(ev, "wait", "internal-server-error");
                          lists().remove(user, jids);
                          ctx_.send(make_iq_result(*ev.stanza));
                          push(user, "unblock", requested);
                          if (!ctx_.host().has_module("presence")) return;
                          // §3.4: contacts who may see the user's presence get it again. A
                          // probe on the contact's behalf, which mod_presence answers with each
                          // available resource's presence exactly as for any subscriber.
                          with_subscribers(user, freed, [this, user](auto contacts) {
                              for (const auto& contact : contacts) ctx_.send(probe(contact, user));
                          });
                      });
    }

    // The contacts with a subscription to the user's presence that `jids` covers.
    void with_subscribers(const Jid& user, JidSet jids,
                          std::function<void(std::vector<std::string>)> then) {
        if (jids.empty()) return then({});
        roster_.items(
            user.domain(), user.local(),
            [jids = std::move(jids), then = std::move(then)](bool ok, std::vector<RosterItem> items,
                                                             std::int64_t) {
                std::vector<std::string> contacts;
                for (const auto& item : items) {
                    auto contact = Jid::parse(item.contact);
                    if (ok && contact && item.has_from() && blocking::matches(jids, *contact))
                        contacts.push_back(item.contact);
                }
                then(std::move(contacts));
            });
    }

    void send_unavailable(const Jid& user, const std::string& contact) {
        for (const auto& session : ctx_.server().sessions().resources(user)) {
            if (!session->available()) continue;
            auto presence = xml::make_element("presence", std::string(ns_client));
            presence->set_attr("from", session->jid().str());
            presence->set_attr("to", contact);
            presence->set_attr("type", "unavailable");
            ctx_.send(make_stanza(std::move(presence)));
        }
    }

    static StanzaPtr probe(const std::string& from, const Jid& to) {
        auto presence = xml::make_element("presence", std::string(ns_client));
        presence->set_attr("from", from);
        presence->set_attr("to", to.str());
        presence->set_attr("type", "probe");
        return make_stanza(std::move(presence));
    }

    // §3.3, §3.4: every resource that asked for the list learns of the change.
    void push(const Jid& user, const char* command, const JidSet& jids) {
        auto iq = xml::make_element("iq", std::string(ns_client));
        iq->set_attr("type", "set");
        iq->add_child(payload(command, jids));
        interested_.push(ctx_.server().sessions(), user.str(), *iq);
    }

    ModuleContext& ctx_;
    BlocklistStore& store_;
    storage::RosterStore& roster_;
    std::int64_t max_items_;
    InterestedResources interested_;
};

void load(ModuleContext& ctx) {
    auto& blocking = ctx.own(std::make_shared<Blocking>(ctx, ctx.options().get_int("max_items")));
    ctx.add_feature(ns_blocking);
    ctx.iq_handler(IqTarget::account, "get", ns_blocking,
                   [&blocking](StanzaEvent& ev) { blocking.get(ev); });
    ctx.iq_handler(IqTarget::account, "set", ns_blocking,
                   [&blocking](StanzaEvent& ev) { blocking.set(ev); });
    // Ahead of every other handler: a blocked stanza must not be stored, tracked or answered.
    ctx.hook(
        events::stanza_out, [&blocking](StanzaEvent& ev) { return blocking.outbound(ev); }, 1000);
    ctx.hook(
        events::stanza_in, [&blocking](StanzaEvent& ev) { return blocking.inbound(ev); }, 1000);
    ctx.hook_session(events::session_bound, [&blocking](SessionEvent& ev) {
        blocking.bound(ev);
        return Verdict::pass;
    });
    ctx.hook_session(events::session_closed, [&blocking](SessionEvent& ev) {
        blocking.closed(ev);
        return Verdict::pass;
    });
    ctx.add_timer(std::chrono::minutes(1), [&blocking] { blocking.sweep(); });
}

}  // namespace

STARLING_MODULE("blocking", "XEP-0191 simple communications blocking", options, nullptr, load)
