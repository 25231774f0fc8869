#pragma once
// Steps the PEP and prekey scenarios share: publishing with publish-options, fetching items, the
// exact error stanzas of XEP-0060, and XEP-0115 caps computed here from a literal verification
// string (so the server's own sorting and hashing are checked, not reused).

#include "presence_checks.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <openssl/evp.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace starling::scenarios::pep {

inline constexpr const char* ns_pubsub = "http://jabber.org/protocol/pubsub";
inline constexpr const char* ns_owner = "http://jabber.org/protocol/pubsub#owner";
inline constexpr const char* ns_errors = "http://jabber.org/protocol/pubsub#errors";
inline constexpr const char* ns_event = "http://jabber.org/protocol/pubsub#event";
inline constexpr const char* ns_prekeys = "urn:xmpp:starling:prekeys:0";
inline const std::string pep_modules = "[disco, ping, roster, presence, offline, pep]";

/// A publish-options form with these fields (in this order).
inline std::string publish_options(const std::vector<std::pair<std::string, std::string>>& fields) {
    if (fields.empty()) return "";
    std::string x =
        "<publish-options><x xmlns='jabber:x:data' type='submit'>"
        "<field var='FORM_TYPE' type='hidden'><value>"
        "http://jabber.org/protocol/pubsub#publish-options</value></field>";
    for (const auto& [var, value] : fields)
        x += "<field var='" + var + "'><value>" + value + "</value></field>";
    return x + "</x></publish-options>";
}

/// The iq publishing `payload` as item `id` ("" for none) to `node`.
inline std::string publish_iq(const std::string& id, const std::string& node,
                              const std::string& item_id, const std::string& payload,
                              const std::string& options = "") {
    return "<iq type='set' id='" + id + "'><pubsub xmlns='" + ns_pubsub + "'><publish node='" +
           node + "'><item" + (item_id.empty() ? "" : " id='" + item_id + "'") + ">" + payload +
           "</item></publish>" + options + "</pubsub></iq>";
}

/// Publishes and requires the exact result.
inline void publish(strophe_client& client, const std::string& id, const std::string& node,
                    const std::string& item_id, const std::string& payload,
                    const std::string& options = "") {
    require_stanza(client.request(publish_iq(id, node, item_id, payload, options), id).get(),
                   "<iq to='" + client.bound_jid() + "' type='result'><pubsub xmlns='" + ns_pubsub +
                       "'><publish node='" + node + "'><item id='" + item_id +
                       "'/></publish></pubsub></iq>",
                   "the result of publishing " + item_id + " to " + node);
}

/// The canonical reply to an items request for `node` of `owner` ("" for one's own).
inline std::string fetch(strophe_client& client, const std::string& id, const std::string& owner,
                         const std::string& node, const std::string& inner = "",
                         const std::string& attrs = "") {
    return canonical_stanza(client
                                .request("<iq type='get' id='" + id + "'" +
                                             (owner.empty() ? "" : " to='" + owner + "'") +
                                             "><pubsub xmlns='" + ns_pubsub + "'><items node='" +
                                             node + "'" + attrs + ">" + inner +
                                             "</items></pubsub></iq>",
                                         id)
                                .get());
}

/// The expected items result.
inline std::string items_result(const std::string& from, const std::string& to,
                                const std::string& node, const std::string& items) {
    return "<iq " + (from.empty() ? std::string() : "from='" + from + "' ") + "to='" + to +
           "' type='result'><pubsub xmlns='" + ns_pubsub + "'><items node='" + node + "'" +
           (items.empty() ? "/>" : ">" + items + "</items>") + "</pubsub></iq>";
}

/// An iq error as the server sends it, with an optional pubsub#errors (or other) condition.
inline std::string iq_error(const std::string& from, const std::string& to, const std::string& type,
                            const std::string& condition, const std::string& app = "",
                            const std::string& app_ns = ns_errors) {
    return "<iq " + (from.empty() ? std::string() : "from='" + from + "' ") + "to='" + to +
           "' type='error'>" + error_open(type, condition) + "<" + condition + " xmlns='" +
           ns::stanza_errors + "'/>" +
           (app.empty() ? "" : "<" + app + " xmlns='" + app_ns + "'/>") + "</error></iq>";
}

/// base64(SHA-1(s)), as XEP-0115 §5.1 makes a ver from its verification string.
inline std::string sha1_base64(const std::string& s) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(s.data(), s.size(), digest, &size, EVP_sha1(), nullptr);
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    out.resize(static_cast<std::size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(size))));
    return out;
}

/// A client's caps: its disco#info (identity client/phone, the features in byte order) and the
/// verification string written out by hand from them.
struct caps_profile {
    std::string name;
    std::vector<std::string> features;  // sorted by the test author, byte order
    std::string node = "http://conversations.im";

    std::string verification() const {
        std::string s = "client/phone//" + name + "<";
        for (const auto& f : features) s += f + "<";
        return s;
    }
    std::string ver() const { return sha1_base64(verification()); }
    std::string query_children() const {
        std::string q = "<identity category='client' type='phone' name='" + name + "'/>";
        for (const auto& f : features) q += "<feature var='" + f + "'/>";
        return q;
    }
};

inline bool is_disco_query(xmpp_stanza_t* stanza) {
    return stanza_named("iq")(stanza) && stanza_attribute(stanza, "type") == "get" &&
           stanza_child(stanza, "query", ns::disco_info) != nullptr;
}

/// Sends initial presence carrying `ver` (the profile's own unless given), answers the disco#info
/// of the caps that each server of `askers` sends (the client's own, and those of contacts on
/// other domains the presence reaches, in any order) with the profile's features, and consumes
/// the reflected presence.
inline void online_with_caps(strophe_client& client, const caps_profile& caps,
                             const std::string& ver = "",
                             const std::vector<std::string>& askers = {"example.test"}) {
    const std::string v = ver.empty() ? caps.ver() : ver;
    client.request("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>", "roster");
    client.send("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" +
                caps.node + "' ver='" + v + "'/></presence>");
    std::set<std::string> waiting(askers.begin(), askers.end());
    while (!waiting.empty()) {
        auto query = client.wait_for(is_disco_query, "the servers' disco#info of the caps");
        xmpp_stanza_t* q = stanza_child(query.get(), "query", ns::disco_info);
        require(stanza_attribute(q, "node") == caps.node + "#" + v,
                "the disco#info asks for node#ver: " + stanza_text(query.get()));
        const std::string from = stanza_attribute(query.get(), "from");
        require(waiting.erase(from) == 1,
                "the caps query comes from a server expected to ask, once: " +
                    stanza_text(query.get()));
        client.send("<iq type='result' to='" + from + "' id='" +
                    stanza_attribute(query.get(), "id") + "'><query xmlns='" + ns::disco_info +
                    "' node='" + caps.node + "#" + v + "'>" + caps.query_children() +
                    "</query></iq>");
    }
    client.wait_for(presence_from(client.bound_jid()), "own presence reflected");
    // The one pause in the scenarios that stands for work of the server: with the answer the
    // server starts the last-item pass of this presence, a chain of database lookups (the
    // roster, then each contact's nodes, then their newest items) that ends unseen when it finds
    // nothing to send. A round trip does not outlast it (a publish answered after one was still
    // sent again as a last item), and nothing else shows its end; a publish that races it is
    // notified twice.
    run_strophe_for(std::chrono::milliseconds(300));
}

inline std::function<bool(xmpp_stanza_t*)> event_for(std::string node) {
    return [node = std::move(node)](xmpp_stanza_t* stanza) {
        if (!stanza_named("message")(stanza)) return false;
        xmpp_stanza_t* event = stanza_child(stanza, "event", ns_event);
        if (event == nullptr) return false;
        for (xmpp_stanza_t* c = xmpp_stanza_get_children(event); c; c = xmpp_stanza_get_next(c))
            if (xmpp_stanza_is_tag(c) && stanza_attribute(c, "node") == node) return true;
        return false;
    };
}

}  // namespace starling::scenarios::pep
