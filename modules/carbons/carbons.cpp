// XEP-0280 message carbons (urn:xmpp:carbons:2): a resource that enabled carbons gets a <sent/>
// copy of every eligible message its user sends from another resource, and a <received/> copy
// of every eligible message its user receives that RFC 6121 routing does not deliver to it.
// Each copy wraps the message as routed (XEP-0297 <forwarded/>) in a message from the user's
// bare JID, delivered straight to the resource's session, so a copy is never routed and never
// copied again. <private xmlns='urn:xmpp:carbons:2'/> and XEP-0334 <no-copy/> keep a message
// from being copied; the recipient's server removes <private/> before delivery (§7).
//
// The received copies run below mod_mam's hooks, so they carry the XEP-0359 stanza-id the
// archive gave the message.

#include "core/active_instance.hpp"
#include "core/module.hpp"
#include "core/server.hpp"
#include "core/session_manager.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

namespace {

using namespace starling;

constexpr const char* ns_carbons = "urn:xmpp:carbons:2";
constexpr const char* ns_forward = "urn:xmpp:forward:0";
constexpr const char* ns_hints = "urn:xmpp:hints";
constexpr const char* ns_muc_user = "http://jabber.org/protocol/muc#user";

// The resources that enabled carbons, by bare JID; sharded so that no single mutex sits on the
// path of every message. A user's set is replaced, never changed in place, so that a message
// takes it with a reference count instead of copying it (most clients enable carbons, so this
// runs for most messages).
class EnabledResources {
public:
    using Resources = std::shared_ptr<const std::set<std::string>>;

    void set(const Jid& full, bool enabled) {
        auto& shard = shard_of(full.bare_str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(full.bare_str());
        const bool listed = found != shard.users.end() && found->second->count(full.resource());
        if (listed == enabled) return;
        auto resources = found == shard.users.end()
                             ? std::make_shared<std::set<std::string>>()
                             : std::make_shared<std::set<std::string>>(*found->second);
        if (enabled)
            resources->insert(full.resource());
        else
            resources->erase(full.resource());
        if (resources->empty())
            shard.users.erase(found);
        else
            shard.users[full.bare_str()] = std::move(resources);
    }

    /// The user's resources with carbons enabled; null for most users (one lookup).
    Resources of(const Jid& bare) {
        auto& shard = shard_of(bare.str());
        std::lock_guard lock(shard.mutex);
        auto found = shard.users.find(bare.str());
        return found == shard.users.end() ? nullptr : found->second;
    }

private:
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Resources> users;
    };
    Shard& shard_of(const std::string& key) {
        return shards_[std::hash<std::string>{}(key) % shards_.size()];
    }
    std::array<Shard, 16> shards_;
};

// A session's choice lasts as long as the session (XEP-0280 §4), and a reload keeps sessions:
// so the choices belong to the process, not to one instance of the module (whose own() state
// a reload drops), or every client would silently stop getting carbons at the next reload.
// Keys are full JIDs, so the hosts share it safely; session_closed removes an entry. Only the
// host's active instance copies (core/active_instance.hpp), so a message routed while a reload
// has both instances loaded is copied once.
EnabledResources& enabled_resources() {
    static EnabledResources enabled;
    return enabled;
}

bool has_child(const Stanza& stanza, std::string_view name, std::string_view xmlns) {
    return stanza.element().child(name, xmlns) != nullptr;
}

// XEP-0280 §6: chat messages, and normal messages with a body (or an encrypted payload, whose
// body is inside it); never groupchat, headline or error, nothing from a MUC (private messages
// carry muc#user), never a carbon itself, and nothing marked private or no-copy.
bool eligible(const Stanza& stanza) {
    const auto type = stanza.type();
    if (type == "chat") {
        // chat qualifies as it is
    } else if (type == "" || type == "normal") {
        if (!has_child(stanza, "body", ns_client) && !stanza.element().child("encrypted"))
            return false;
    } else {
        return false;
    }
    return !has_child(stanza, "x", ns_muc_user) && !has_child(stanza, "sent", ns_carbons) &&
           !has_child(stanza, "received", ns_carbons) &&
           !has_child(stanza, "private", ns_carbons) && !has_child(stanza, "no-copy", ns_hints);
}

class Carbons {
public:
    explicit Carbons(ModuleContext& ctx)
        : ctx_(ctx),
          copies_(ctx.metric("copies")),
          enabled_(enabled_resources()),
          instance_("carbons@" + ctx.domain()) {}

    void toggle(StanzaEvent& ev) {
        if (!ev.own_account())
            return ctx_.reply_error(ev, "cancel", "not-allowed", "carbons are a client's own");
        const auto& payload = *ev.stanza->element().first_child_element();
        if (payload.name() != "enable" && payload.name() != "disable")
            return ctx_.reply_error(ev, "modify", "bad-request", "expected enable or disable");
        // Enabling twice, or disabling twice, is not an error (§9.1).
        enabled_.set(ev.origin->jid(), payload.name() == "enable");
        ev.origin->deliver(make_iq_result(*ev.stanza));
    }

    // A client's message (stanza/out): <sent/> copies to the sender's other resources.
    Verdict outbound(StanzaEvent& ev) {
        if (!instance_.active()) return Verdict::pass;
        if (!ev.stanza->is_message() || !eligible(*ev.stanza)) return Verdict::pass;
        const Jid& from = ev.stanza->from();
        const Jid& to = ev.stanza->to();
        // A message to the user's own account reaches its resources as received copies.
        if (to.empty() || to.bare() == from.bare()) return Verdict::pass;
        const Jid user = from.bare();
        const auto enabled = enabled_.of(user);
        if (!enabled) return Verdict::pass;
        copy_to(user, *enabled, "sent", *ev.stanza,
                [&from](const Session& s) { return s.jid() == from; });
        return Verdict::pass;
    }

    // A message to a local account (message/bare, message/full): <received/> copies to the
    // resources RFC 6121 does not deliver it to.
    Verdict inbound(StanzaEvent& ev, bool full) {
        if (!ev.stanza->is_message() || !instance_.active()) return Verdict::pass;
        if (has_child(*ev.stanza, "private", ns_carbons)) {
            auto copy = ev.stanza->copy();
            copy->remove_children("private", ns_carbons);
            ev.stanza = make_stanza(std::move(copy));
            return Verdict::pass;
        }
        if (!eligible(*ev.stanza)) return Verdict::pass;
        const Jid user = ev.stanza->to().bare();
        const auto enabled = enabled_.of(user);
        if (!enabled) return Verdict::pass;
        auto& sessions = ctx_.server().sessions();
        std::vector<SessionPtr> originals;
        if (full) {
            if (auto session = sessions.find(ev.stanza->to())) {
                originals.push_back(std::move(session));
            } else if (ev.stanza->type() != "chat") {
                return Verdict::pass;  // RFC 6121 §8.5.3.2.1: it bounces, nobody receives it
            }
        }
        // A full JID without a session: chat goes on to the bare JID (§8.5.3.2.1).
        if (originals.empty()) originals = bare_recipients(sessions.resources(user));
        // A note to oneself is not copied back to the resource that sent it.
        const Jid& sender = ev.stanza->from();
        copy_to(user, *enabled, "received", *ev.stanza, [&originals, &sender](const Session& s) {
            return s.jid() == sender ||
                   std::any_of(originals.begin(), originals.end(),
                               [&s](const SessionPtr& o) { return o.get() == &s; });
        });
        return Verdict::pass;
    }

    void closed(const SessionEvent& ev) { enabled_.set(ev.session->jid(), false); }

private:
    // The resources a normal or chat message to the bare JID reaches (RFC 6121 §8.5.2.1.1, as
    // Router::message_to_bare delivers it): the available ones of the highest non-negative
    // priority.
    static std::vector<SessionPtr> bare_recipients(std::vector<SessionPtr> sessions) {
        std::erase_if(sessions,
                      [](const SessionPtr& s) { return !s->available() || s->priority() < 0; });
        if (sessions.empty()) return sessions;
        const int top = (*std::max_element(sessions.begin(), sessions.end(), [](auto& a, auto& b) {
                            return a->priority() < b->priority();
                        }))->priority();
        std::erase_if(sessions, [top](const SessionPtr& s) { return s->priority() != top; });
        return sessions;
    }

    // Wraps `message` in <`kind`><forwarded/></`kind`> for each resource of `user` in `enabled`
    // (those with carbons) that `skip` does not name.
    template <typename Skip>
    void copy_to(const Jid& user, const std::set<std::string>& enabled, const char* kind,
                 const Stanza& message, Skip skip) {
        for (const auto& session : ctx_.server().sessions().resources(user)) {
            if (!enabled.contains(session->jid().resource()) || skip(*session)) continue;
            auto wrapper = xml::make_element("message", std::string(ns_client));
            wrapper->set_attr("from", user.str());
            wrapper->set_attr("to", session->jid().str());
            if (!message.type().empty()) wrapper->set_attr("type", message.type());
            wrapper->add_child(kind, ns_carbons)
                .add_child("forwarded", ns_forward)
                .add_child(message.element().clone());
            copies_.add();
            session->deliver(make_stanza(std::move(wrapper)));
        }
    }

    ModuleContext& ctx_;
    Counter& copies_;
    EnabledResources& enabled_;
    ActiveInstance instance_;
};

void load(ModuleContext& ctx) {
    auto& carbons = ctx.own(std::make_shared<Carbons>(ctx));
    ctx.add_feature(ns_carbons);
    ctx.iq_handler(IqTarget::account, "set", ns_carbons,
                   [&carbons](StanzaEvent& ev) { carbons.toggle(ev); });
    // Below mod_blocking (1000) and mod_mam (100): a blocked message is not copied, and a
    // received copy carries the archive's stanza-id.
    ctx.hook(
        events::stanza_out, [&carbons](StanzaEvent& ev) { return carbons.outbound(ev); }, 50);
    ctx.hook(
        events::message_bare, [&carbons](StanzaEvent& ev) { return carbons.inbound(ev, false); },
        50);
    ctx.hook(
        events::message_full, [&carbons](StanzaEvent& ev) { return carbons.inbound(ev, true); },
        50);
    ctx.hook_session(events::session_closed, [&carbons](SessionEvent& ev) {
        carbons.closed(ev);
        return Verdict::pass;
    });
}

}  // namespace

STARLING_MODULE("carbons", "XEP-0280 message carbons", nullptr, nullptr, load)
