// The entity capabilities of online resources (XEP-0115): read from each broadcast presence,
// verified once per (hash, ver) by asking the resource for its disco#info and hashing the answer
// (§5.4) before it is cached, and forgotten when the resource goes away. A resource whose answer
// does not hash to its ver is served by its own answer alone.

#include "core/server.hpp"
#include "pep.hpp"

namespace starling::pep {

namespace {

constexpr const char* ns_disco_info = "http://jabber.org/protocol/disco#info";

void verified(const PepPtr& pep, const std::string& key,
              std::shared_ptr<const CapsFeatures> features) {
    for (const auto& session : pep->caps.take_waiting(key)) {
        const std::string full = session->jid().str();
        if (pep->caps.session_key(full) != key) continue;  // it advertised other caps since
        pep->caps.set_session(full, key, features);
        send_last_items(pep, session, features);
    }
}

CapsFeatures features_of(const xml::Element& query) {
    CapsFeatures features;
    for (const xml::Element* child : query.child_elements())
        if (child->name() == "feature") features.emplace(child->attr("var"));
    return features;
}

// The server's disco#info of a resource's advertised caps node (XEP-0115 §6.2).
xml::ElementPtr caps_disco(const SessionPtr& session, const std::string& node,
                           const std::string& ver) {
    auto iq = xml::make_element("iq", std::string(ns_client));
    iq->set_attr("type", "get");
    iq->set_attr("to", session->jid().str());
    iq->add_child("query", ns_disco_info).set_attr("node", node + "#" + ver);
    return iq;
}

// The session's own answer, for it alone: a client whose advertised hash does not match its
// disco#info (Profanity 0.13 advertises a hash computed before it adds its +notify features)
// still gets the notifications it asks for, but what it says is never cached for anyone else
// under that hash (XEP-0115 §5.4 and §8.4).
void query_alone(const PepPtr& pep, const SessionPtr& session, const std::string& key,
                 const std::string& node, const std::string& ver) {
    pep->ctx.send_iq(caps_disco(session, node, ver), std::chrono::seconds(10),
                     [pep, key, weak = std::weak_ptr<Session>(session)](StanzaPtr reply) {
                         const auto session = weak.lock();
                         const xml::Element* result =
                             session && reply && reply->type() == "result"
                                 ? reply->element().child("query", ns_disco_info)
                                 : nullptr;
                         if (result == nullptr) return;
                         const std::string full = session->jid().str();
                         if (pep->caps.session_key(full) != key) return;  // other caps since
                         auto features = std::make_shared<const CapsFeatures>(features_of(*result));
                         pep->caps.set_session(full, key, features);
                         send_last_items(pep, session, std::move(features));
                     });
}

void query(const PepPtr& pep, const SessionPtr& session, const std::string& key,
           const std::string& hash, const std::string& node, const std::string& ver) {
    pep->ctx.send_iq(caps_disco(session, node, ver), std::chrono::seconds(10),
                     [pep, key, hash, node, ver, full = session->jid().str()](StanzaPtr reply) {
                         const xml::Element* result =
                             reply && reply->type() == "result"
                                 ? reply->element().child("query", ns_disco_info)
                                 : nullptr;
                         if (result == nullptr) {
                             // No answer (or an error): nobody learns the features now, and the
                             // waiting resources forget the key, so that their next presence with
                             // it asks again instead of passing as an unchanged presence.
                             for (const auto& waiting : pep->caps.take_waiting(key)) {
                                 const std::string jid = waiting->jid().str();
                                 if (pep->caps.session_key(jid) == key &&
                                     !pep->caps.session_features(jid))
                                     pep->caps.forget(jid);
                             }
                             return;
                         }
                         const auto computed = caps_ver(*result, hash);
                         if (!computed || *computed != ver) {
                             pep->ctx.log().info(
                                 "caps of {}: disco#info hashes to {}, not the advertised {}; "
                                 "used for that resource alone, not cached",
                                 full, computed.value_or("(invalid)"), ver);
                             pep->caps.reject(key);
                             auto features =
                                 std::make_shared<const CapsFeatures>(features_of(*result));
                             for (const auto& waiting : pep->caps.take_waiting(key)) {
                                 const std::string jid = waiting->jid().str();
                                 if (pep->caps.session_key(jid) != key) continue;
                                 if (jid != full) {
                                     query_alone(pep, waiting, key, node, ver);
                                     continue;
                                 }
                                 pep->caps.set_session(jid, key, features);
                                 send_last_items(pep, waiting, features);
                             }
                             return;
                         }
                         pep->caps.store(key, features_of(*result));
                         verified(pep, key, pep->caps.known(key));
                     });
}

}  // namespace

void add_caps_hooks(ModuleContext& ctx, const PepPtr& pep) {
    ctx.hook(
        events::presence_out,
        [pep](StanzaEvent& ev) {
            if (!ev.origin) return Verdict::pass;
            const std::string full = ev.stanza->from().str();
            const auto type = ev.stanza->type();
            if (type == "unavailable") {
                pep->caps.forget(full);
                return Verdict::pass;
            }
            if (!type.empty()) return Verdict::pass;
            const xml::Element* c = ev.stanza->element().child("c", ns_caps);
            // Legacy caps (no hash) cannot be verified, so they earn no notifications. A client
            // sends its caps with every presence (XEP-0115 §4, this server offers no caps
            // optimization): a broadcast presence without them says it no longer asks for any
            // notification, so what an earlier presence asked for is forgotten.
            if (c == nullptr || c->attr("hash").empty() || c->attr("ver").empty()) {
                if (ev.stanza->to().empty()) pep->caps.forget(full);
                return Verdict::pass;
            }
            const std::string hash(c->attr("hash"));
            const std::string ver(c->attr("ver"));
            const std::string key = hash + " " + ver;
            if (pep->caps.session_key(full) == key) return Verdict::pass;  // a presence update
            if (auto features = pep->caps.known(key)) {
                pep->caps.set_session(full, key, features);
                send_last_items(pep, ev.origin, std::move(features));
                return Verdict::pass;
            }
            pep->caps.set_session(full, key, nullptr);
            if (pep->caps.rejected(key)) {
                query_alone(pep, ev.origin, key, std::string(c->attr("node")), ver);
                return Verdict::pass;
            }
            if (pep->caps.wait(key, ev.origin))
                query(pep, ev.origin, key, hash, std::string(c->attr("node")), ver);
            return Verdict::pass;
        },
        50);
    ctx.hook_session(events::session_closed, [pep](SessionEvent& ev) {
        pep->caps.forget(ev.session->jid().str());
        return Verdict::pass;
    });
}

}  // namespace starling::pep
