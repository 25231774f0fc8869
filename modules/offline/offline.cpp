// XEP-0160 offline messages: a normal or chat message for an existing account with no available
// resource is stored and handed to the user's first session that sends initial presence, with a
// XEP-0203 delay saying when it arrived. Stored messages are capped per user and expire; senders
// outside the user's roster share a smaller part of the cap, so that a flood from strangers
// drops only strangers' messages (storage/offline_store.hpp says who counts as a contact).
//
// The message_offline hook runs on the database thread, which must never wait for its own
// database. So the hook only issues the insert and answers handled; should the insert then fail,
// the sender gets <internal-server-error/> from the insert's callback instead of the
// service-unavailable the router would have sent.

#include "core/module.hpp"
#include "core/server.hpp"
#include "storage/offline_store.hpp"
#include "storage/stored_xml.hpp"
#include "xml/serializer.hpp"

#include <chrono>
#include <ctime>

namespace {

using namespace starling;
constexpr const char* ns_delay = "urn:xmpp:delay";
constexpr const char* ns_hints = "urn:xmpp:hints";

std::vector<OptionSpec> options() {
    return {
        {"max_messages", OptionType::integer, "1000", 1, 1000000,
         "messages kept per user; past it the oldest is dropped and the user told at next login"},
        {"max_from_strangers", OptionType::integer, "100", 0, 1000000,
         "of max_messages, how many may come from senders outside the user's roster; past it "
         "their oldest is dropped, never a contact's message (0: none are kept)"},
        {"expire_after", OptionType::duration, "30d", 60, 10LL * 365 * 86400,
         "a stored message older than this is deleted and its sender gets recipient-unavailable"},
        {"expire_check", OptionType::duration, "300", 1, 86400,
         "how often stored messages are checked for expiry"},
        {"clock_offset", OptionType::duration, "0", 0, 100LL * 365 * 86400,
         "for tests only: added to the clock used for stored_at, delay stamps and expiry"},
    };
}

struct Offline {
    Server& server;
    std::string domain;
    storage::OfflineStore store;
    storage::OfflineCaps caps;
    std::int64_t expire_after;
    std::int64_t clock_offset;

    std::int64_t now() const {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() +
               clock_offset;
    }
};

bool storable(const Stanza& stanza) {
    const auto type = stanza.type();
    if (type != "" && type != "normal" && type != "chat") return false;
    return stanza.element().child("no-store", ns_hints) == nullptr;
}

std::string utc_stamp(std::int64_t seconds) {
    const std::time_t t = seconds;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string messages(std::int64_t n) {
    return std::to_string(n) + (n == 1 ? " message" : " messages");
}

// Says which messages went: the strangers' share and the whole cap are told apart, so that a
// user whose contacts lost nothing reads that.
StanzaPtr pruning_notice(const Offline& offline, const Session& session,
                         const storage::OfflinePruned& pruned) {
    const std::int64_t contacts = pruned.dropped - pruned.dropped_strangers;
    std::string text =
        "While you were offline more messages arrived than the server keeps for "
        "you, so the oldest were dropped: ";
    if (contacts > 0) text += messages(contacts) + " from your contacts";
    if (contacts > 0 && pruned.dropped_strangers > 0) text += " and ";
    if (pruned.dropped_strangers > 0)
        text += messages(pruned.dropped_strangers) + " from senders not in your roster";
    text += contacts > 0 ? "." : ". No message from your contacts was dropped.";
    auto message = xml::make_element("message", std::string(ns_client));
    message->set_attr("from", offline.domain);
    message->set_attr("to", session.jid().bare_str());
    message->set_attr("type", "normal");
    message->add_child("body").add_text(text);
    return make_stanza(std::move(message));
}

void on_message(const std::shared_ptr<Offline>& offline, StanzaEvent& ev) {
    storage::OfflineMessage message;
    message.host = ev.stanza->to().domain();
    message.user = ev.stanza->to().local();
    message.from = ev.stanza->from().str();
    message.stanza = xml::to_string(ev.stanza->element(), ns_client);
    message.stored_at = offline->now();
    // The sender's XEP-0198 receipt is released once the insert committed (or was bounced).
    offline->store.store(
        message, offline->caps,
        [offline, origin = ev.origin, stanza = ev.stanza, receipt = ev.receipt](bool ok) {
            if (ok) return;
            offline->server.router().bounce(origin, *stanza, "wait", "internal-server-error");
        });
}

// `hold` keeps the messages delivered live to the session behind the stored ones; released once
// they are handed to the session (or turned out to be none), it lets the live ones follow.
void deliver_stored(const std::shared_ptr<Offline>& offline, const SessionPtr& session,
                    const std::shared_ptr<void>& hold) {
    const std::string host = session->jid().domain();
    const std::string user = session->jid().local();
    offline->store.take_pruned(
        host, user, [offline, session, host, user, hold](bool, storage::OfflinePruned pruned) {
            if (pruned.dropped > 0)
                session->deliver_paced({pruning_notice(*offline, *session, pruned)},
                                       [](std::size_t) {});
            offline->store.fetch(
                host, user,
                [offline, session, host, user, hold](bool ok,
                                                     std::vector<storage::OfflineMessage> rows) {
                    if (!ok || rows.empty()) return;
                    std::vector<StanzaPtr> stanzas;
                    std::vector<std::int64_t> ids;  // of stanzas[i]
                    for (const auto& row : rows) {
                        auto element = storage::parse_stored_xml(row.stanza, ns_client);
                        if (!element) continue;  // unreadable text would fail again at every login
                        element->add_child("delay", ns_delay)
                            .set_attr("from", offline->domain)
                            .set_attr("stamp", utc_stamp(row.stored_at));
                        stanzas.push_back(make_stanza(std::move(element)));
                        ids.push_back(row.id);
                    }
                    // Paced: a backlog bigger than the client's outbound bound must not close the
                    // stream it is for. Deleted only once queued (what a session that ended took
                    // of it); a crash in between delivers twice rather than never.
                    const std::size_t total = stanzas.size();
                    const std::int64_t last = rows.back().id;
                    session->deliver_paced(
                        std::move(stanzas), [offline, host, user, ids, total, last](std::size_t n) {
                            if (n == 0 && total != 0) return;
                            offline->store.remove_through(
                                host, user, n == total ? last : ids[n - 1], [](storage::Result) {});
                        });
                });
        });
}

void expire(const std::shared_ptr<Offline>& offline) {
    offline->store.expire(offline->domain, offline->now() - offline->expire_after,
                          [offline](bool ok, std::vector<storage::OfflineMessage> rows) {
                              if (!ok) return;
                              for (const auto& row : rows) {
                                  auto element = storage::parse_stored_xml(row.stanza, ns_client);
                                  if (!element) continue;
                                  const auto original = make_stanza(std::move(element));
                                  if (original->from().str().empty()) continue;
                                  offline->server.router().bounce(nullptr, *original, "wait",
                                                                  "recipient-unavailable");
                              }
                          });
}

void load(ModuleContext& ctx) {
    ctx.add_feature("msgoffline");
    const auto& opts = ctx.options();
    auto offline = std::make_shared<Offline>(
        Offline{ctx.server(),
                ctx.domain(),
                storage::OfflineStore(ctx.database()),
                {opts.get_int("max_messages"), opts.get_int("max_from_strangers")},
                opts.get_int("expire_after"),
                opts.get_int("clock_offset")});
    ctx.own(offline);
    auto& stored = ctx.metric("stored");
    ctx.hook(events::message_offline, [offline, &stored](StanzaEvent& ev) {
        if (!storable(*ev.stanza)) return Verdict::pass;  // the router bounces it
        stored.add();
        on_message(offline, ev);
        return Verdict::handled;
    });
    ctx.hook_session(events::session_available, [offline](SessionEvent& ev) {
        // XEP-0160 §3: a resource with negative priority does not get offline messages.
        if (ev.session->priority() < 0) return Verdict::pass;
        // No message sent to the session from now on may overtake the stored ones, and the
        // fetch waits for those still on their way to storage (docs/routing.md, "Order").
        auto hold = ev.session->hold_live();
        offline->server.router().when_offline_settled(
            ev.session->jid().bare(),
            [offline, session = ev.session, hold] { deliver_stored(offline, session, hold); });
        return Verdict::pass;
    });
    ctx.add_timer(std::chrono::seconds(opts.get_int("expire_check")),
                  [offline] { expire(offline); });
}

}  // namespace

STARLING_MODULE("offline", "XEP-0160 offline messages, with XEP-0203 delay and XEP-0334 no-store",
                options, nullptr, load)
