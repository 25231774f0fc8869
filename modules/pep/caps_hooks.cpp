// The entity capabilities of available resources (XEP-0115): read from each broadcast presence of
// a local client, and from the presence a remote contact's server sends a local account that
// contact is subscribed to; verified once per (hash, ver) by asking the resource for its
// disco#info and hashing the answer (§5.4) before it is cached, and forgotten when the resource
// goes away. A resource whose answer does not hash to its ver is served by its own answer alone.

#include "core/server.hpp"
#include "pep.hpp"

namespace starling::pep {

namespace {

constexpr const char* ns_disco_info = "http://jabber.org/protocol/disco#info";
constexpr const char* ns_muc_user = "http://jabber.org/protocol/muc#user";

void verified(const PepPtr& pep, const std::string& key,
              std::shared_ptr<const CapsFeatures> features) {
    for (const auto& full : pep->caps.take_waiting(key)) {
        if (pep->caps.session_key(full) != key) continue;  // other caps since, or gone
        pep->caps.set_session(full, key, features);
        if (const auto jid = Jid::parse(full)) send_last_items(pep, *jid, features);
    }
}

CapsFeatures features_of(const xml::Element& query) {
    CapsFeatures features;
    for (const xml::Element* child : query.child_elements())
        if (child->name() == "feature") features.emplace(child->attr("var"));
    return features;
}

// The server's disco#info of a resource's advertised caps node (XEP-0115 §6.2).
xml::ElementPtr caps_disco(const std::string& full, const std::string& node,
                           const std::string& ver) {
    auto iq = xml::make_element("iq", std::string(ns_client));
    iq->set_attr("type", "get");
    iq->set_attr("to", full);
    iq->add_child("query", ns_disco_info).set_attr("node", node + "#" + ver);
    return iq;
}

// The resource's own answer, for it alone: a client whose advertised hash does not match its
// disco#info (Profanity 0.13 advertises a hash computed before it adds its +notify features)
// still gets the notifications it asks for, but what it says is never cached for anyone else
// under that hash (XEP-0115 §5.4 and §8.4).
void query_alone(const PepPtr& pep, const std::string& full, const std::string& key,
                 const std::string& node, const std::string& ver) {
    pep->ctx.send_iq(
        caps_disco(full, node, ver), std::chrono::seconds(10), [pep, key, full](StanzaPtr reply) {
            const xml::Element* result = reply && reply->type() == "result"
                                             ? reply->element().child("query", ns_disco_info)
                                             : nullptr;
            if (result == nullptr) return;
            // Other caps since, or gone.
            if (pep->caps.session_key(full) != key) return;
            auto features = std::make_shared<const CapsFeatures>(features_of(*result));
            pep->caps.set_session(full, key, features);
            send_last_items(pep, reply->from(), std::move(features));
        });
}

void query(const PepPtr& pep, const std::string& full, const std::string& key,
           const std::string& hash, const std::string& node, const std::string& ver) {
    pep->ctx.send_iq(
        caps_disco(full, node, ver), std::chrono::seconds(10),
        [pep, key, hash, node, ver, full](StanzaPtr reply) {
            const xml::Element* result = reply && reply->type() == "result"
                                             ? reply->element().child("query", ns_disco_info)
                                             : nullptr;
            if (result == nullptr) {
                // No answer (or an error): nobody learns the features now, and the
                // waiting resources forget the key, so that their next presence with
                // it asks again instead of passing as an unchanged presence.
                for (const auto& jid : pep->caps.take_waiting(key))
                    if (pep->caps.session_key(jid) == key && !pep->caps.session_features(jid))
                        pep->caps.forget(jid);
                return;
            }
            const auto computed = caps_ver(*result, hash);
            if (!computed || *computed != ver) {
                pep->ctx.log().info(
                    "caps of {}: disco#info hashes to {}, not the advertised {}; "
                    "used for that resource alone, not cached",
                    full, computed.value_or("(invalid)"), ver);
                pep->caps.reject(key);
                auto features = std::make_shared<const CapsFeatures>(features_of(*result));
                for (const auto& jid : pep->caps.take_waiting(key)) {
                    if (pep->caps.session_key(jid) != key) continue;
                    if (jid != full) {
                        query_alone(pep, jid, key, node, ver);
                        continue;
                    }
                    pep->caps.set_session(jid, key, features);
                    send_last_items(pep, reply->from(), features);
                }
                return;
            }
            pep->caps.store(key, features_of(*result));
            verified(pep, key, pep->caps.known(key));
        });
}

// The <c/> of a presence, when it carries what can be verified: legacy caps (no hash) cannot be,
// and earn no notifications.
const xml::Element* hashed_caps(const Stanza& presence) {
    const xml::Element* c = presence.element().child("c", ns_caps);
    if (c == nullptr || c->attr("hash").empty() || c->attr("ver").empty()) return nullptr;
    return c;
}

std::string caps_key(const xml::Element& c) {
    return std::string(c.attr("hash")) + " " + std::string(c.attr("ver"));
}

// The resource `full` advertises the caps `c`, other than those it advertised before: their
// features, from the cache or from asking it, then the last items it asks for.
void caps_advertised(const PepPtr& pep, const Jid& full, const xml::Element& c) {
    const std::string jid = full.str();
    const std::string hash(c.attr("hash"));
    const std::string ver(c.attr("ver"));
    const std::string key = caps_key(c);
    if (auto features = pep->caps.known(key)) {
        pep->caps.set_session(jid, key, features);
        send_last_items(pep, full, std::move(features));
        return;
    }
    pep->caps.set_session(jid, key, nullptr);
    if (pep->caps.rejected(key))
        return query_alone(pep, jid, key, std::string(c.attr("node")), ver);
    if (pep->caps.wait(key, jid)) query(pep, jid, key, hash, std::string(c.attr("node")), ver);
}

// A local client's broadcast presence.
Verdict local_presence(const PepPtr& pep, StanzaEvent& ev) {
    if (!ev.origin) return Verdict::pass;
    const Jid& from = ev.stanza->from();
    const auto type = ev.stanza->type();
    if (type == "unavailable") {
        pep->caps.forget(from.str());
        return Verdict::pass;
    }
    if (!type.empty()) return Verdict::pass;
    // A client sends its caps with every presence (XEP-0115 §4, this server offers no caps
    // optimization): a broadcast presence without them says it no longer asks for any
    // notification, so what an earlier presence asked for is forgotten.
    const xml::Element* c = hashed_caps(*ev.stanza);
    if (c == nullptr) {
        if (ev.stanza->to().empty()) pep->caps.forget(from.str());
        return Verdict::pass;
    }
    if (pep->caps.session_key(from.str()) == caps_key(*c)) return Verdict::pass;  // an update
    caps_advertised(pep, from, *c);
    return Verdict::pass;
}

// `full` is no longer available to `owner`; its caps go with the last owner that had it.
void remote_left(const PepPtr& pep, const std::string& owner, const Jid& full) {
    if (pep->remote.leave(owner, full)) pep->caps.forget(full.str());
}

// A presence of a remote contact's resource to a local account, as its server broadcast it
// (XEP-0163 §4.3.4, the "Subscriber's server sends presence ... to publisher's bare JID"
// example). The resource is remembered only while the owner's roster shows a subscription from
// the contact (only then do the owner's nodes notify it) and it is available; the roster is
// read for every presence, an unavailable one too, so that each is applied in the order it came.
Verdict remote_presence(const PepPtr& pep, StanzaEvent& ev) {
    const Jid& from = ev.stanza->from();
    const Jid& to = ev.stanza->to();
    if (from.local().empty() || from.resource().empty() || to.local().empty() ||
        pep->ctx.server().host(from.domain()) != nullptr)
        return Verdict::pass;
    const auto type = ev.stanza->type();
    if (!type.empty() && type != "unavailable") return Verdict::pass;
    // An occupant of a room elsewhere is the room's JID, never a contact's resource: no roster
    // read for each presence of a busy room.
    if (ev.stanza->element().child("x", ns_muc_user) != nullptr) return Verdict::pass;
    const Owner owner{to.domain(), to.local()};
    pep->roster.item(
        owner.host, owner.user, from.bare_str(),
        [pep, owner, from, presence = ev.stanza](bool ok, std::optional<storage::RosterItem> item) {
            // Without caps, a presence asks for no notification (see local_presence); without
            // the roster, this one is not known to be a subscriber's.
            const xml::Element* c = presence->type().empty() ? hashed_caps(*presence) : nullptr;
            if (c == nullptr || !ok || !item || !item->has_from())
                return remote_left(pep, owner.bare(), from);
            const auto arrival = pep->remote.arrive(owner.bare(), from);
            if (!arrival.forgotten.empty()) pep->caps.forget(arrival.forgotten);
            if (pep->caps.session_key(from.str()) != caps_key(*c))
                return caps_advertised(pep, from, *c);
            // The caps it advertised before (a presence update, or the same presence to
            // another account here): only an owner it was not available to yet gets its last
            // items now. While they are still being asked for, the answer serves every owner.
            const auto features = pep->caps.session_features(from.str());
            if (arrival.initial && features) send_owner_last_items(pep, owner, from, features);
        });
    return Verdict::pass;
}

}  // namespace

void add_caps_hooks(ModuleContext& ctx, const PepPtr& pep) {
    const auto local = [pep](StanzaEvent& ev) { return local_presence(pep, ev); };
    const auto remote = [pep](StanzaEvent& ev) { return remote_presence(pep, ev); };
    ctx.hook(events::presence_out, local, 50);
    ctx.hook(events::presence_bare, remote, 50);
    ctx.hook(events::presence_full, remote, 50);
    ctx.hook_session(events::session_closed, [pep](SessionEvent& ev) {
        pep->caps.forget(ev.session->jid().str());
        return Verdict::pass;
    });
}

}  // namespace starling::pep
