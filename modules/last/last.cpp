// XEP-0012 Last Activity: the server's uptime; for an account, how long its most recently active
// session has been idle, or, when it is offline, how long ago it logged out and with what status.
// Only the user and the contacts subscribed to the user's presence may ask.

#include "core/module.hpp"
#include "core/server.hpp"
#include "core/session_manager.hpp"
#include "storage/last_store.hpp"
#include "storage/roster_store.hpp"

#include <algorithm>
#include <map>
#include <mutex>

namespace {

using namespace starling;
using storage::LastLogout;
using storage::LastStore;
using storage::RosterItem;
using storage::RosterStore;

constexpr const char* ns_last = "jabber:iq:last";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

xml::ElementPtr answer(std::int64_t seconds, const std::string& status = {}) {
    auto query = xml::make_element("query", ns_last);
    query->set_attr("seconds", std::to_string(std::max<std::int64_t>(seconds, 0)));
    if (!status.empty()) query->add_text(status);
    return query;
}

class Last {
public:
    Last(ModuleContext& ctx, LastStore& last, RosterStore& rosters)
        : ctx_(ctx), last_(last), rosters_(rosters) {}

    void host_uptime(StanzaEvent& ev) {
        const auto up = std::chrono::steady_clock::now() - ctx_.server().started_at();
        ctx_.send(make_iq_result(
            *ev.stanza, answer(std::chrono::duration_cast<std::chrono::seconds>(up).count())));
    }

    void account(StanzaEvent& ev) {
        const Jid requester = ev.stanza->from().bare();
        const Jid user = ev.stanza->to().empty() ? requester : ev.stanza->to().bare();
        if (requester == user) return report(ev, user);
        // Only someone the user lets see their presence learns when they were last around.
        rosters_.item(user.domain(), user.local(), requester.str(),
                      [this, ev, user](bool ok, std::optional<RosterItem> item) {
                          if (!ok) return ctx_.reply_error(ev, "wait", "internal-server-error");
                          if (!item || !item->has_from())
                              return ctx_.reply_error(ev, "auth", "forbidden");
                          report(ev, user);
                      });
    }

    Verdict remember_status(StanzaEvent& ev) {
        if (ev.stanza->type() != "unavailable") return Verdict::pass;
        std::lock_guard lock(mutex_);
        statuses_[ev.stanza->from().str()] = ev.stanza->element().child_text("status");
        return Verdict::pass;
    }

    Verdict logged_out(SessionEvent& ev) {
        const Jid full = ev.session->jid();
        std::string status;
        {
            std::lock_guard lock(mutex_);
            if (auto found = statuses_.find(full.str()); found != statuses_.end()) {
                status = std::move(found->second);
                statuses_.erase(found);
            }
        }
        // The user is still online elsewhere: not a logout yet.
        if (ctx_.server().sessions().has_sessions(full.bare())) return Verdict::pass;
        last_.set(full.domain(), full.local(), LastLogout{unix_now(), status}, [this](auto result) {
            if (!result.ok) ctx_.log().warn("last activity not saved: {}", result.error);
        });
        return Verdict::pass;
    }

private:
    void report(const StanzaEvent& ev, const Jid& user) {
        const auto sessions = ctx_.server().sessions().resources(user);
        if (!sessions.empty()) {
            auto latest = sessions.front()->last_activity();
            for (const auto& session : sessions)
                latest = std::max(latest, session->last_activity());
            const auto idle = std::chrono::steady_clock::now() - latest;
            return ctx_.send(make_iq_result(
                *ev.stanza,
                answer(std::chrono::duration_cast<std::chrono::seconds>(idle).count())));
        }
        last_.get(
            user.domain(), user.local(), [this, ev](bool ok, std::optional<LastLogout> logout) {
                if (!ok) return ctx_.reply_error(ev, "wait", "internal-server-error");
                if (!logout) return ctx_.reply_error(ev, "cancel", "item-not-found");
                ctx_.send(
                    make_iq_result(*ev.stanza, answer(unix_now() - logout->at, logout->status)));
            });
    }

    ModuleContext& ctx_;
    LastStore& last_;
    RosterStore& rosters_;
    std::mutex mutex_;
    std::map<std::string, std::string> statuses_;  // full JID -> status of its unavailable
};

void load(ModuleContext& ctx) {
    auto& last = ctx.own(
        std::make_shared<Last>(ctx, ctx.open_store<LastStore>(), ctx.open_store<RosterStore>()));
    ctx.add_feature(ns_last);
    ctx.add_feature(ns_last, IqTarget::account);
    ctx.iq_handler(IqTarget::host, "get", ns_last,
                   [&last](StanzaEvent& ev) { last.host_uptime(ev); });
    ctx.iq_handler(IqTarget::account, "get", ns_last,
                   [&last](StanzaEvent& ev) { last.account(ev); });
    // Ahead of mod_presence, which takes the stanza once it has broadcast it.
    ctx.hook(
        events::presence_out, [&last](StanzaEvent& ev) { return last.remember_status(ev); }, 100);
    ctx.hook_session(events::session_closed,
                     [&last](SessionEvent& ev) { return last.logged_out(ev); });
}

}  // namespace

STARLING_MODULE("last", "XEP-0012 Last Activity", nullptr, nullptr, load)
