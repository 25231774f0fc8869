// Per-account limits against spam (docs/rate-limits.md): how many messages a user may send in a
// minute to JIDs that are not in the user's roster, and how many subscription requests. Past
// either, the stanza is refused with <policy-violation/> and a text saying which limit and what
// to do, and counted. Messages to contacts are never limited, nor anything to the user's own
// account or to a server or service (a JID without a local part).
//
// Whether the recipient is a contact is read from the user's roster in memory
// (core/user_cache.hpp), loaded when a session binds and kept current by roster pushes; a stanza
// of a user whose roster is still loading waits for it, in order.

#include "../roster/roster_xml.hpp"
#include "core/module.hpp"
#include "core/rate_limit.hpp"
#include "core/server.hpp"
#include "core/session_manager.hpp"
#include "core/user_cache.hpp"
#include "storage/roster_store.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace {

using namespace starling;
using Contacts = std::set<std::string>;  // bare JIDs

// A roster unused this long, of a user with no session, leaves memory (reloaded when needed).
constexpr auto idle_roster = std::chrono::minutes(5);

std::vector<OptionSpec> options() {
    return {
        {"strangers_per_minute", OptionType::integer, "60", 0, 1000000,
         "messages a user may send in a minute to JIDs not in the user's roster; past it "
         "<policy-violation/> (0: no limit)"},
        {"subscriptions_per_minute", OptionType::integer, "10", 0, 1000000,
         "subscription requests a user may send in a minute; past it <policy-violation/> "
         "(0: no limit)"},
    };
}

// One limit, shared by every session of every user of the host.
struct PerUser {
    std::mutex mutex;
    RateLimit limit;
    PerUser(std::int64_t per_minute) : limit(per_minute, std::chrono::minutes(1)) {}

    bool take(const std::string& user) {
        std::lock_guard lock(mutex);
        const auto now = RateLimit::clock::now();
        if (!limit.allows(user, now)) return false;
        limit.take(user, now);
        return true;
    }
};

class SpamLimits : public std::enable_shared_from_this<SpamLimits> {
public:
    SpamLimits(ModuleContext& ctx, std::int64_t strangers, std::int64_t subscriptions)
        : ctx_(ctx),
          roster_(std::make_shared<storage::RosterStore>(ctx.database())),
          strangers_per_minute_(strangers),
          subscriptions_per_minute_(subscriptions),
          refused_strangers_(ctx.metric(
              "strangers_refused",
              "Messages refused for going past strangers_per_minute (to JIDs not in the roster).")),
          refused_subscriptions_(ctx.metric(
              "subscriptions_refused",
              "Subscription requests refused for going past subscriptions_per_minute.")) {
        if (strangers > 0) strangers_.emplace(strangers);
        if (subscriptions > 0) subscriptions_.emplace(subscriptions);
    }

    // Every stanza a client sends, on the sender's host, before routing.
    Verdict outbound(StanzaEvent& ev) {
        const Stanza& stanza = *ev.stanza;
        const Jid user = stanza.from().bare();
        // Behind a stanza that waits for the roster, everything of the user waits: in order.
        if (rosters_->waiting(user.str())) return hold(ev, user);
        if (stanza.is_presence()) {
            if (stanza.type() != "subscribe" || !subscriptions_) return Verdict::pass;
            if (subscriptions_->take(user.str())) return Verdict::pass;
            refused_subscriptions_.add();
            ctx_.reply_error(ev, "wait", "policy-violation",
                             "more than " + std::to_string(subscriptions_per_minute_) +
                                 " subscription requests in a minute; wait a minute");
            return Verdict::drop;
        }
        if (!stanza.is_message() || !strangers_ || !limited(stanza, user)) return Verdict::pass;
        const auto contact = rosters_->read(user.str(), [&stanza](const Contacts& contacts) {
            return contacts.contains(stanza.to().bare_str());
        });
        if (!contact) return hold(ev, user);
        if (*contact || strangers_->take(user.str())) return Verdict::pass;
        refused_strangers_.add();
        ctx_.reply_error(ev, "wait", "policy-violation",
                         "more than " + std::to_string(strangers_per_minute_) +
                             " messages in a minute to people not in your roster; add them to "
                             "your roster or wait a minute");
        return Verdict::drop;
    }

    void bound(const SessionEvent& ev) {
        load(ev.session->jid().bare(), [](bool) {});
    }

    Verdict roster_pushed(const StanzaEvent& ev) {
        const auto* query = ev.stanza->element().child("query", roster::ns_roster);
        const auto* item = query ? query->child("item", roster::ns_roster) : nullptr;
        if (!item) return Verdict::pass;
        const std::string contact(item->attr("jid"));
        const bool removed = item->attr("subscription") == "remove";
        rosters_->update(ev.stanza->to().bare_str(), [&](Contacts& contacts) {
            if (removed)
                contacts.erase(contact);
            else
                contacts.insert(contact);
        });
        return Verdict::pass;
    }

    void sweep() {
        auto& sessions = ctx_.server().sessions();
        rosters_->sweep(UserCache<Contacts>::Clock::now() - idle_roster,
                        [&sessions](const std::string& bare) {
                            auto jid = Jid::parse(bare);
                            return jid && sessions.has_sessions(*jid);
                        });
    }

private:
    // A message with a body to someone's account other than the user's own: what spam is. Chat
    // states, receipts and markers carry no body; groupchat goes to a room the user joined.
    static bool limited(const Stanza& stanza, const Jid& user) {
        const auto type = stanza.type();
        if (type == "groupchat" || type == "error") return false;
        const Jid& to = stanza.to();
        if (to.local().empty() || to.bare() == user) return false;
        return stanza.element().child("body", ns_client) != nullptr;
    }

    Verdict hold(const StanzaEvent& ev, const Jid& user) {
        load(user, [self = shared_from_this(), ev, user](bool ok) {
            if (ok) return self->ctx_.server().router().route_held_from_client(ev);
            self->ctx_.log().warn("roster of {} could not be read", user.str());
            self->ctx_.server().router().bounce(ev.origin, *ev.stanza, "wait",
                                                "internal-server-error");
        });
        return Verdict::handled;
    }

    void load(const Jid& user, std::function<void(bool)> then) {
        rosters_->when_loaded(
            user.str(),
            [rosters = rosters_, roster = roster_, user](std::function<void(bool, Contacts)> done) {
                roster->items(user.domain(), user.local(),
                              [rosters, roster, done = std::move(done)](
                                  bool ok, std::vector<storage::RosterItem> items, std::int64_t) {
                                  Contacts contacts;
                                  for (const auto& item : items)
                                      if (item.listed) contacts.insert(item.contact);
                                  done(ok, std::move(contacts));
                              });
            },
            std::move(then));
    }

    ModuleContext& ctx_;
    // Shared with the loads in flight, which may finish after the module unloaded.
    std::shared_ptr<storage::RosterStore> roster_;
    std::shared_ptr<UserCache<Contacts>> rosters_ = std::make_shared<UserCache<Contacts>>();
    std::int64_t strangers_per_minute_;
    std::int64_t subscriptions_per_minute_;
    std::optional<PerUser> strangers_;
    std::optional<PerUser> subscriptions_;
    Counter& refused_strangers_;
    Counter& refused_subscriptions_;
};

void load(ModuleContext& ctx) {
    const auto& opts = ctx.options();
    auto& limits = ctx.own(std::make_shared<SpamLimits>(ctx, opts.get_int("strangers_per_minute"),
                                                        opts.get_int("subscriptions_per_minute")));
    // Below mod_blocking (1000): a blocked stanza is refused as blocked, not counted; above
    // mod_mam (100): a refused message is never archived.
    ctx.hook(
        events::stanza_out, [&limits](StanzaEvent& ev) { return limits.outbound(ev); }, 500);
    ctx.hook(
        roster::push_event(), [&limits](StanzaEvent& ev) { return limits.roster_pushed(ev); }, 100);
    ctx.hook_session(events::session_bound, [&limits](SessionEvent& ev) {
        limits.bound(ev);
        return Verdict::pass;
    });
    ctx.add_timer(std::chrono::minutes(1), [&limits] { limits.sweep(); });
}

}  // namespace

STARLING_MODULE("spam_limits",
                "per-account limits on messages to strangers and on subscription requests", options,
                nullptr, load)
