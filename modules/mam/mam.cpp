// XEP-0313 message archive management (urn:xmpp:mam:2) for user archives, with XEP-0359
// stanza ids and XEP-0441 preferences. Every 1:1 message a local user sends or receives that
// XEP-0313 §7.1.1 calls archivable is archived once in that user's archive, as exactly the
// stanza the server routed; the recipient's copy carries a <stanza-id/> naming its archive id
// before it is delivered, stored offline or carbon-copied.
//
// Archiving never makes a message wait for the database: the id is made here, the row is
// queued with the archive writer (which writes a burst as one transaction and, when the
// database falls behind, makes client streams stop reading for a while), and the message goes
// on. Only the user's preferences are needed first; they are loaded when a session binds and
// kept in memory, so a message waits for them only when nobody of that account was online (a
// message for an offline user, which waits for the database anyway).

#include "../roster/roster_xml.hpp"
#include "archive_writer.hpp"
#include "archiving.hpp"
#include "core/active_instance.hpp"
#include "core/module.hpp"
#include "core/server.hpp"
#include "core/session_manager.hpp"
#include "core/datetime.hpp"
#include "prefs_cache.hpp"
#include "core/archive_query.hpp"

#include <chrono>

namespace {

using namespace starling;
using namespace starling::mam;
using storage::ArchiveOutcome;
using storage::ArchivePage;
using storage::ArchivePrefs;

// Preferences of a user with no session, unused this long, leave memory.
constexpr auto idle_prefs = std::chrono::minutes(5);
// Expired messages deleted per statement.
constexpr std::int64_t expire_batch_size = 10000;
// The most JIDs in one preference list.
constexpr std::size_t max_pref_jids = 1000;

std::vector<OptionSpec> options() {
    return {
        {"default", OptionType::string, "always", 0, 0,
         "archiving for users who never set preferences: always, never or roster (only "
         "contacts in the user's roster)"},
        {"expire_after", OptionType::duration, "30d", 0, 100LL * 365 * 86400,
         "archived messages older than this are deleted; 0 keeps them forever"},
        {"expire_check", OptionType::duration, "300", 1, 86400,
         "how often the archive is checked for expired messages"},
        {"max_messages", OptionType::integer, "100000", 0, 1LL << 40,
         "messages kept in each user's archive; past it the oldest are deleted as new ones are "
         "archived, like a ring; 0 keeps any number"},
        {"default_page", OptionType::integer, "50", 1, 10000,
         "results per page when a query gives no <max/>"},
        {"max_page", OptionType::integer, "250", 1, 10000,
         "the most results one page returns, whatever <max/> asks"},
        {"max_queued", OptionType::integer, "33554432", 1, 1LL << 40,
         "bytes of messages waiting to be archived past which client streams stop reading "
         "until half of them are written (back-pressure when the database falls behind)"},
        {"clock_offset", OptionType::duration, "0", 0, 100LL * 365 * 86400,
         "for tests only: added to the clock used for archive stamps and expiry"},
    };
}

// Database callbacks can outlive the module (a reload while a query is in flight), so they
// hold the Mam by shared_ptr, and it keeps only a ModuleLink, never the ModuleContext.
class Mam : public std::enable_shared_from_this<Mam> {
public:
    Mam(ModuleContext& ctx)
        : ctx_(ctx),
          ids_(storage::ArchiveIds::load(ctx.database())),
          archive_(std::make_shared<storage::ArchiveStore>(ctx.database(), ids_,
                                                           ctx.options().get_int("max_messages"))),
          prefs_(std::make_shared<PrefsCache>(
              archive_, std::make_shared<storage::RosterStore>(ctx.database()),
              ctx.options().get_string("default"))),
          limits_{ctx.options().get_int("default_page"), ctx.options().get_int("max_page")},
          expire_after_(ctx.options().get_int("expire_after")),
          clock_offset_(ctx.options().get_int("clock_offset")),
          writer_(std::make_shared<ArchiveWriter>(
              archive_,
              ArchiveWriter::Server{ctx.server().ingress(),
                                    [&server = ctx.server()](std::chrono::milliseconds delay,
                                                             std::function<void()> fn) {
                                        server.post_after(delay, std::move(fn));
                                    },
                                    [&server = ctx.server()] { return server.stopping(); }},
              ctx.options().get_int("max_queued"), ctx.metric("throttled"), ctx.metric("failed"),
              [link = ModuleLink(ctx)](const storage::ArchivedMessage& m) {
                  link.log().warn("a message could not be archived for {}@{}", m.user, m.host);
              })),
          archived_(ctx.metric("archived")),
          instance_("mam@" + ctx.domain()) {
        const auto& mode = prefs_->default_mode();
        if (mode != "always" && mode != "never" && mode != "roster")
            throw std::runtime_error("default must be always, never or roster, not '" + mode + "'");
        if (limits_.default_page > limits_.max_page) limits_.default_page = limits_.max_page;
        ctx.gauge(
            "archive_queue", [writer = writer_] { return double(writer->queued()); },
            "Messages waiting to be written to the archive, by host.");
    }

    // A client's message, on the sender's host: the sender's copy.
    Verdict outbound(StanzaEvent& ev) {
        // While a reload has two instances loaded, only the newer archives: once, that is.
        if (!ev.stanza->is_message() || !instance_.active()) return Verdict::pass;
        const Jid user = ev.stanza->from().bare();
        const Jid& peer = ev.stanza->to();
        // A note to oneself is archived once, as the copy the account receives.
        const bool archive = archivable(*ev.stanza) && !peer.empty() && peer.bare() != user;
        switch (archive ? prefs_->decide(user, peer) : waiting(user)) {
            case Decision::unknown:
                hold(ev, user, [self = shared_from_this(), ev] {
                    self->ctx_.server().router().route_held_from_client(ev);
                });
                return Verdict::handled;
            case Decision::skip:
                return Verdict::pass;
            case Decision::archive:
                break;
        }
        if (!archive) return Verdict::pass;
        const std::int64_t row = writer_->reserve();
        const std::string id = ids_->encode(row);
        append(user, peer, row, *ev.stanza);
        // XEP-0313 §3.2: the sender's <sent/> carbons should carry the sender's archive id, but
        // the recipient must never see it. So it rides on the stanza past mod_carbons (50) and
        // outbound_done (10) takes it off again before routing.
        auto tagged = ev.stanza->copy();
        tagged->add_child("stanza-id", ns_sid).set_attr("id", id).set_attr("by", user.str());
        ev.stanza = make_stanza(std::move(tagged));
        return Verdict::pass;
    }

    // Below every stanza/out handler that should see the sender's archive id: no stanza-id of
    // the sender's archive leaves with the message (nor one a client made up).
    Verdict outbound_done(StanzaEvent& ev) {
        if (!ev.stanza->is_message() || !instance_.active()) return Verdict::pass;
        if (auto cleaned = without_forged_ids(*ev.stanza, ev.stanza->from().bare()))
            ev.stanza = make_stanza(std::move(cleaned));
        return Verdict::pass;
    }

    // A message to a local account (message/bare and message/full): the recipient's copy.
    Verdict inbound(StanzaEvent& ev, bool full) {
        if (!instance_.active()) return Verdict::pass;
        const Jid user = ev.stanza->to().bare();
        if (auto cleaned = without_forged_ids(*ev.stanza, user))
            ev.stanza = make_stanza(std::move(cleaned));
        // Only chat follows a full JID without a session to the bare JID; anything else
        // bounces (RFC 6121 §8.5.3.2.1), and a bounced message was never received.
        const bool archive =
            archivable(*ev.stanza) && !(full && ev.stanza->type() != "chat" &&
                                        !ctx_.server().sessions().find(ev.stanza->to()));
        // A copy: ev.stanza is replaced below, and the stanza it held may be freed with it (it
        // is when without_forged_ids made it).
        const Jid peer = ev.stanza->from();
        switch (archive ? prefs_->decide(user, peer) : waiting(user)) {
            case Decision::unknown:
                hold(ev, user, [self = shared_from_this(), ev] {
                    self->ctx_.server().router().route_held(ev);
                });
                return Verdict::handled;
            case Decision::skip:
                return Verdict::pass;
            case Decision::archive:
                break;
        }
        if (!archive) return Verdict::pass;
        const std::int64_t row = writer_->reserve();
        const std::string id = ids_->encode(row);
        auto tagged = ev.stanza->copy();
        tagged->add_child("stanza-id", ns_sid).set_attr("id", id).set_attr("by", user.str());
        ev.stanza = make_stanza(std::move(tagged));
        append(user, peer, row, *ev.stanza);
        return Verdict::pass;
    }

    void query(StanzaEvent& ev) {
        if (!own_archive(ev)) return;
        const Jid user = ev.stanza->from().bare();
        const auto& payload = *ev.stanza->element().first_child_element();
        if (payload.name() != "query")
            return ctx_.reply_error(ev, "cancel", "feature-not-implemented");
        auto parsed = parse_query(payload, user, limits_);
        if (const auto* error = std::get_if<QueryError>(&parsed))
            return ctx_.reply_error(ev, error->type, error->condition, error->text);
        auto request = std::get<ParsedQuery>(std::move(parsed));
        writer_->after_pending(
            [self = shared_from_this(), ev, user, request] { self->answer(ev, user, request); });
    }

    // A query once the messages archived before it are in the store.
    void answer(const StanzaEvent& ev, const Jid& user, const ParsedQuery& request) {
        archive_->query(request.store, [self = shared_from_this(), ev, user, request](
                                           ArchiveOutcome outcome, ArchivePage page) {
            if (outcome == ArchiveOutcome::unknown_id)
                return self->ctx_.reply_error(ev, "cancel", "item-not-found",
                                              "no message with that id in the archive");
            if (outcome != ArchiveOutcome::ok)
                return self->ctx_.reply_error(ev, "wait", "internal-server-error");
            const Jid querier = ev.stanza->from();
            std::vector<StanzaPtr> results;
            auto add = [&](const storage::ArchivedMessage& row) {
                results.push_back(result_message(row, request.queryid, user, querier));
            };
            if (request.flip)
                for (auto row = page.messages.rbegin(); row != page.messages.rend(); ++row)
                    add(*row);
            else
                for (const auto& row : page.messages) add(row);
            // The results are queued on the session before the iq that ends them (§4.2), and
            // paced: a page of big messages must not fill the querying stream's queue at once.
            auto fin = make_iq_result(*ev.stanza, fin_element(page));
            if (!ev.origin || querier != ev.origin->jid()) {
                for (auto& result : results) self->deliver(ev, std::move(result));
                return self->deliver(ev, std::move(fin));
            }
            const std::size_t total = results.size();
            ev.origin->deliver_paced(std::move(results),
                                     [self, ev, fin, total](std::size_t queued) {
                                         if (queued == total) self->deliver(ev, fin);
                                     });
        });
    }

    void get(StanzaEvent& ev) {
        if (!own_archive(ev)) return;
        const auto& payload = *ev.stanza->element().first_child_element();
        if (payload.name() == "query") return deliver(ev, make_iq_result(*ev.stanza, query_form()));
        if (payload.name() == "metadata") return metadata(ev);
        if (payload.name() != "prefs")
            return ctx_.reply_error(ev, "cancel", "feature-not-implemented");
        const Jid user = ev.stanza->from().bare();
        prefs_->when_loaded(user, [self = shared_from_this(), ev, user](bool ok) {
            if (!ok) return self->ctx_.reply_error(ev, "wait", "internal-server-error");
            self->deliver(ev, make_iq_result(*ev.stanza, prefs_element(self->prefs_->prefs(user))));
        });
    }

    void set(StanzaEvent& ev) {
        const auto& payload = *ev.stanza->element().first_child_element();
        if (payload.name() == "query") return query(ev);
        if (!own_archive(ev)) return;
        if (payload.name() != "prefs")
            return ctx_.reply_error(ev, "cancel", "feature-not-implemented");
        ArchivePrefs prefs;
        prefs.default_mode = std::string(payload.attr("default"));
        if (prefs.default_mode != "always" && prefs.default_mode != "never" &&
            prefs.default_mode != "roster")
            return ctx_.reply_error(ev, "modify", "bad-request",
                                    "default must be always, never or roster");
        for (const char* name : {"always", "never"}) {
            auto& list = std::string_view(name) == "always" ? prefs.always : prefs.never;
            const auto* element = payload.child(name, ns_mam);
            if (!element) continue;
            for (const auto* jid : element->child_elements()) {
                if (jid->name() != "jid") continue;
                const auto parsed = Jid::parse(jid->text());
                if (!parsed || parsed->empty())
                    return ctx_.reply_error(ev, "modify", "jid-malformed", jid->text());
                list.push_back(parsed->str());
            }
            std::sort(list.begin(), list.end());
            list.erase(std::unique(list.begin(), list.end()), list.end());
            if (list.size() > max_pref_jids)
                return ctx_.reply_error(ev, "wait", "resource-constraint", "too many JIDs");
        }
        // A JID in both lists is never archived (the store keeps it in 'never' only).
        std::erase_if(prefs.always, [&prefs](const std::string& jid) {
            return std::binary_search(prefs.never.begin(), prefs.never.end(), jid);
        });
        const Jid user = ev.stanza->from().bare();
        archive_->set_prefs(user.domain(), user.local(), prefs,
                            [self = shared_from_this(), ev, user, prefs](bool ok) {
                                if (!ok)
                                    return self->ctx_.reply_error(ev, "wait",
                                                                  "internal-server-error");
                                self->prefs_->forget(user);
                                self->prefs_->when_loaded(user, [](bool) {});
                                self->deliver(ev, make_iq_result(*ev.stanza, prefs_element(prefs)));
                            });
    }

    void session_bound(const SessionEvent& ev) {
        prefs_->when_loaded(ev.session->jid().bare(), [](bool) {});
    }

    Verdict roster_pushed(const StanzaEvent& ev) {
        const auto* query = ev.stanza->element().child("query", roster::ns_roster);
        const auto* item = query ? query->child("item", roster::ns_roster) : nullptr;
        if (item)
            prefs_->roster_changed(ev.stanza->to().bare(), std::string(item->attr("jid")),
                                   item->attr("subscription") == "remove");
        return Verdict::pass;
    }

    void expire() {
        if (expire_after_ <= 0) return;
        expire_batch(now() - expire_after_ * 1000000);
    }

    void sweep() {
        auto& sessions = ctx_.server().sessions();
        prefs_->sweep(PrefsCache::Clock::now() - idle_prefs, [&sessions](const std::string& bare) {
            auto jid = Jid::parse(bare);
            return jid && sessions.has_sessions(*jid);
        });
    }

private:
    std::int64_t now() const {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() +
               clock_offset_ * 1000000;
    }

    // One batch after another until the expired messages are gone, so that other work gets
    // the database between them.
    void expire_batch(std::int64_t before) {
        archive_->expire(ctx_.domain(), before, expire_batch_size,
                         [self = shared_from_this(), before](bool ok, std::int64_t deleted) {
                             if (!ok) return self->ctx_.log().warn("archive expiry failed");
                             if (deleted > 0)
                                 self->ctx_.log().debug("archive: {} expired messages deleted",
                                                        deleted);
                             if (deleted >= expire_batch_size) self->expire_batch(before);
                         });
    }

    // For a message not archived: it waits only behind the user's messages that wait for the
    // prefs, so that it does not overtake them.
    Decision waiting(const Jid& user) {
        return prefs_->loading(user) ? Decision::unknown : Decision::skip;
    }

    // The archive of a user is the user's alone (XEP-0313 §9.1).
    bool own_archive(const StanzaEvent& ev) {
        if (ev.origin && to_own_account(*ev.stanza)) return true;
        ctx_.reply_error(ev, "auth", "forbidden", "an archive is its owner's only");
        return false;
    }

    // Straight to the asking session when it is still there, so results keep their order.
    void deliver(const StanzaEvent& ev, StanzaPtr stanza) {
        if (ev.origin && stanza->to() == ev.origin->jid())
            return ev.origin->deliver(std::move(stanza));
        ctx_.send(std::move(stanza));
    }

    void append(const Jid& user, const Jid& peer, std::int64_t number, const Stanza& stanza) {
        storage::ArchivedMessage row;
        row.row = number;
        row.host = user.domain();
        row.user = user.local();
        row.with_bare = peer.bare_str();
        row.with_resource = peer.resource();
        row.stanza = stanza.bytes();  // the bytes every recipient gets, serialized once
        row.stored_at = now();
        archived_.add();
        writer_->add(std::move(row));
    }

    // The message waits for the user's preferences, then goes through routing again (now
    // decided), or comes back to its sender when the database cannot say.
    void hold(const StanzaEvent& ev, const Jid& user, std::function<void()> again) {
        prefs_->when_loaded(
            user, [self = shared_from_this(), ev, user, again = std::move(again)](bool ok) {
                if (ok) return again();
                self->ctx_.log().warn("archive preferences of {} could not be read", user.str());
                self->ctx_.server().router().bounce(ev.origin, *ev.stanza, "wait",
                                                    "internal-server-error");
            });
    }

    void metadata(const StanzaEvent& ev) {
        writer_->after_pending([self = shared_from_this(), ev] { self->answer_metadata(ev); });
    }

    void answer_metadata(const StanzaEvent& ev) {
        const Jid user = ev.stanza->from().bare();
        archive_->bounds(
            user.domain(), user.local(),
            [self = shared_from_this(), ev](bool ok, std::optional<storage::ArchivedMessage> first,
                                            std::optional<storage::ArchivedMessage> last) {
                if (!ok) return self->ctx_.reply_error(ev, "wait", "internal-server-error");
                auto element = xml::make_element("metadata", ns_mam);
                if (first && last) {
                    element->add_child("start")
                        .set_attr("id", first->archive_id)
                        .set_attr("timestamp", format_datetime(first->stored_at));
                    element->add_child("end")
                        .set_attr("id", last->archive_id)
                        .set_attr("timestamp", format_datetime(last->stored_at));
                }
                self->deliver(ev, make_iq_result(*ev.stanza, std::move(element)));
            });
    }

    static xml::ElementPtr prefs_element(const ArchivePrefs& prefs) {
        auto element = xml::make_element("prefs", ns_mam);
        element->set_attr("default", prefs.default_mode);
        for (const auto* list : {&prefs.always, &prefs.never}) {
            auto& child = element->add_child(list == &prefs.always ? "always" : "never");
            for (const auto& jid : *list) child.add_child("jid").add_text(jid);
        }
        return element;
    }

    ModuleLink ctx_;
    std::shared_ptr<const storage::ArchiveIds> ids_;
    std::shared_ptr<storage::ArchiveStore> archive_;
    std::shared_ptr<PrefsCache> prefs_;
    PageLimits limits_;
    std::int64_t expire_after_;
    std::int64_t clock_offset_;
    std::shared_ptr<ArchiveWriter> writer_;
    Counter& archived_;
    ActiveInstance instance_;
};

void load(ModuleContext& ctx) {
    auto& mam = ctx.own(std::make_shared<Mam>(ctx));
    ctx.add_feature(ns_mam, IqTarget::account);
    ctx.add_feature(ns_mam_extended, IqTarget::account);
    ctx.iq_handler(IqTarget::account, "get", ns_mam, [&mam](StanzaEvent& ev) { mam.get(ev); });
    ctx.iq_handler(IqTarget::account, "set", ns_mam, [&mam](StanzaEvent& ev) { mam.set(ev); });
    // Below mod_blocking (1000), so a blocked message is never archived, and above mod_carbons,
    // so that carbon copies carry the stanza-id.
    ctx.hook(
        events::stanza_out, [&mam](StanzaEvent& ev) { return mam.outbound(ev); }, 100);
    ctx.hook(
        events::stanza_out, [&mam](StanzaEvent& ev) { return mam.outbound_done(ev); }, 10);
    ctx.hook(
        events::message_bare, [&mam](StanzaEvent& ev) { return mam.inbound(ev, false); }, 100);
    ctx.hook(
        events::message_full, [&mam](StanzaEvent& ev) { return mam.inbound(ev, true); }, 100);
    ctx.hook(
        roster::push_event(), [&mam](StanzaEvent& ev) { return mam.roster_pushed(ev); }, 100);
    ctx.hook_session(events::session_bound, [&mam](SessionEvent& ev) {
        mam.session_bound(ev);
        return Verdict::pass;
    });
    ctx.add_timer(std::chrono::seconds(ctx.options().get_int("expire_check")),
                  [&mam] { mam.expire(); });
    ctx.add_timer(std::chrono::minutes(1), [&mam] { mam.sweep(); });
}

}  // namespace

STARLING_MODULE("mam", "XEP-0313 message archive management with XEP-0359 stanza ids", options,
                nullptr, load)
