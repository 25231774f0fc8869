// OMEMO through mod_pep with the exact stanzas Conversations, Gajim and Dino send (OMEMO 0.3 device
// list and bundles:<device-id> nodes; OMEMO 2 devices and a bundles node with one item per
// device), and the single-use prekey claim of urn:xmpp:starling:prekeys:0 (docs/prekeys.md): one
// key per claim, never the same key twice across claimants, a later fetch without it, a
// republished bundle that keeps claimed keys claimed, the low-water message (offline too), the
// errors, and the limits on strangers (rate limits, the keys kept for contacts). Encrypted
// messages pass through unchanged.
#include "pep_steps.hpp"

#include <optional>
#include <set>

namespace starling::scenarios {
namespace {

using namespace pep;
const std::string a_bare = alice.jid;
const std::string b_bare = bob.jid;
const std::string a_desk = a_bare + "/desk";
const std::string b_phone = b_bare + "/phone";
const std::string ns_axolotl = "eu.siacs.conversations.axolotl";
const std::string devicelist = ns_axolotl + ".devicelist";
const std::string bundle_node = ns_axolotl + ".bundles:31415";

void start_pep(server_fixture& server, const std::string& modules = pep_modules) {
    server.modules = modules;
    server.write_config();
    start_with_accounts(server);
}

// For the scenarios whose strangers claim a bundle down to its last key: nothing is kept back for
// the owner's contacts (prekey_claims_limited_for_strangers covers that).
const std::string pep_keeping_none =
    "[disco, ping, roster, presence, offline, {pep: {prekeys_kept_for_contacts: 0}}]";

std::string axolotl_prekeys(int first, int last) {
    std::string keys;
    for (int i = first; i <= last; ++i)
        keys += "<preKeyPublic preKeyId='" + std::to_string(i) + "'>BQpk" + std::to_string(i) +
                "key=</preKeyPublic>";
    return keys;
}

// An OMEMO 0.3 bundle as Conversations publishes it, with the prekeys given.
std::string axolotl_bundle(const std::string& prekeys) {
    return "<bundle xmlns='eu.siacs.conversations.axolotl'><signedPreKeyPublic signedPreKeyId='1'>"
           "BSm1signedkey=</signedPreKeyPublic><signedPreKeySignature>c2lnbmF0dXJl"
           "</signedPreKeySignature><identityKey>BWlkZW50aXR5</identityKey><prekeys>" +
           prekeys + "</prekeys></bundle>";
}

std::string omemo2_bundle(const std::string& device, int first, int last) {
    std::string keys;
    for (int i = first; i <= last; ++i)
        keys +=
            "<pk id='" + std::to_string(i) + "'>pk" + device + "-" + std::to_string(i) + "=</pk>";
    return "<bundle xmlns='urn:xmpp:omemo:2'><spk id='0'>spk" + device + "=</spk><spks>sig" +
           device + "=</spks><ik>ik" + device + "=</ik><prekeys>" + keys + "</prekeys></bundle>";
}

const auto conversations_options = publish_options({{"pubsub#access_model", "open"}});
const auto gajim_options =
    publish_options({{"pubsub#persist_items", "true"}, {"pubsub#access_model", "open"}});
const auto dino_bundles_options =
    publish_options({{"pubsub#max_items", "max"}, {"pubsub#access_model", "open"}});

std::string item(const std::string& id, const std::string& payload) {
    return "<item id='" + id + "'>" + payload + "</item>";
}

std::string claim_iq(const std::string& id, const std::string& to, const std::string& node,
                     const std::string& item_id = "") {
    return "<iq type='set' id='" + id + "' to='" + to + "'><claim xmlns='" + ns_prekeys +
           "' node='" + node + "'" + (item_id.empty() ? "" : " item='" + item_id + "'") + "/></iq>";
}

bool prekeys_low(xmpp_stanza_t* stanza) {
    return stanza_named("message")(stanza) && stanza_child(stanza, "prekeys-low", ns_prekeys);
}

// The low-water message the owner gets about one bundle (docs/prekeys.md §6).
std::string prekeys_low_message(const std::string& owner, const std::string& node, int remaining) {
    return "<message from='" + owner + "' to='" + owner +
           "' type='normal'><prekeys-low item='current' node='" + node + "' remaining='" +
           std::to_string(remaining) + "' xmlns='" + ns_prekeys + "'/></message>";
}

// Claims from `client` and returns the one preKeyPublic id it got, checking the whole result.
std::string claim_axolotl(strophe_client& client, const std::string& id, int remaining) {
    auto reply = client.request(claim_iq(id, a_bare, bundle_node), id);
    const std::string text = canonical_stanza(reply.get());
    xmpp_stanza_t* claim = stanza_child(reply.get(), "claim", ns_prekeys);
    xmpp_stanza_t* bundle = claim ? stanza_child(claim, "bundle", ns_axolotl.c_str()) : nullptr;
    xmpp_stanza_t* prekeys = bundle ? stanza_child(bundle, "prekeys", ns_axolotl.c_str()) : nullptr;
    xmpp_stanza_t* key = prekeys ? xmpp_stanza_get_children(prekeys) : nullptr;
    require(key && xmpp_stanza_get_next(key) == nullptr, "one prekey in the claim: " + text);
    const std::string key_id = stanza_attribute(key, "preKeyId");
    require_stanza(
        reply.get(),
        "<iq from='" + a_bare + "' to='" + client.bound_jid() +
            "' type='result'><claim item='current' node='" + bundle_node + "' remaining='" +
            std::to_string(remaining) + "' xmlns='" + ns_prekeys + "'>" +
            axolotl_bundle(axolotl_prekeys(std::stoi(key_id), std::stoi(key_id))) + "</claim></iq>",
        "claim " + id);
    return key_id;
}

}  // namespace

STARLING_SCENARIO(omemo_axolotl_device_list_and_bundle) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    // Conversations: the device list and the bundle, each with access_model open.
    const std::string list =
        "<list xmlns='eu.siacs.conversations.axolotl'><device id='31415'/></list>";
    publish(a, "c1", devicelist, "current", list, conversations_options);
    const std::string bundle = axolotl_bundle(axolotl_prekeys(1, 3));
    publish(a, "c2", bundle_node, "current", bundle, conversations_options);
    // A stranger (no subscription) fetches both, the bundle with every prekey as published.
    require(fetch(b, "f1", a_bare, devicelist) ==
                items_result(a_bare, b_phone, devicelist, item("current", list)),
            "the device list: " + fetch(b, "f1b", a_bare, devicelist));
    require(fetch(b, "f2", a_bare, bundle_node) ==
                items_result(a_bare, b_phone, bundle_node, item("current", bundle)),
            "the bundle, reassembled: " + fetch(b, "f2b", a_bare, bundle_node));
    // Gajim publishes to the same nodes with persist_items and access_model open: met.
    const std::string list2 =
        "<list xmlns='eu.siacs.conversations.axolotl'><device id='31415'/>"
        "<device id='27182'/></list>";
    publish(a, "g1", devicelist, "current", list2, gajim_options);
    publish(a, "g2", ns_axolotl + ".bundles:27182", "current",
            axolotl_bundle(axolotl_prekeys(5, 6)), gajim_options);
    require(fetch(b, "f3", a_bare, devicelist) ==
                items_result(a_bare, b_phone, devicelist, item("current", list2)),
            "the device list after Gajim's publish");
    // Newer Conversations also asks for notify_delete, which a node created without it has too.
    publish(a, "c3", devicelist, "current", list2,
            publish_options({{"pubsub#access_model", "open"}, {"pubsub#notify_delete", "true"}}));
    // A contact's client that knows nothing of claims learns of a new bundle with its prekeys.
    go_online(a);
    b.send("<presence to='" + a_bare + "' type='subscribe'/>");
    a.wait_for(presence_from(b_bare, "subscribe"), "the request");
    a.send("<presence to='" + b_bare + "' type='subscribed'/>");
    online_with_caps(b, {"Conversations",
                         {"eu.siacs.conversations.axolotl.devicelist+notify",
                          "http://jabber.org/protocol/caps"}});
    require_stanza(b.wait_for(event_for(devicelist), "the last device list").get(),
                   "<message from='" + a_bare + "' to='" + b_phone +
                       "' type='headline'><event xmlns='" + ns_event + "'><items node='" +
                       devicelist + "'>" + item("current", list2) + "</items></event></message>",
                   "the device list at presence");
}

STARLING_SCENARIO(omemo2_devices_and_bundles) {
    server_fixture server(options);
    start_pep(server, pep_keeping_none);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    // Dino (OMEMO 2): the devices node open, the bundles node open with max_items max.
    const std::string devices =
        "<devices xmlns='urn:xmpp:omemo:2'><device id='1001' "
        "label='Laptop'/><device id='1002'/></devices>";
    publish(a, "d1", "urn:xmpp:omemo:2:devices", "current", devices, conversations_options);
    publish(a, "d2", "urn:xmpp:omemo:2:bundles", "1001", omemo2_bundle("1001", 1, 3),
            dino_bundles_options);
    publish(a, "d3", "urn:xmpp:omemo:2:bundles", "1002", omemo2_bundle("1002", 1, 2),
            dino_bundles_options);
    require(fetch(b, "f1", a_bare, "urn:xmpp:omemo:2:devices") ==
                items_result(a_bare, b_phone, "urn:xmpp:omemo:2:devices", item("current", devices)),
            "the devices: " + fetch(b, "f1b", a_bare, "urn:xmpp:omemo:2:devices"));
    require(fetch(b, "f2", a_bare, "urn:xmpp:omemo:2:bundles") ==
                items_result(a_bare, b_phone, "urn:xmpp:omemo:2:bundles",
                             item("1001", omemo2_bundle("1001", 1, 3)) +
                                 item("1002", omemo2_bundle("1002", 1, 2))),
            "both bundles: " + fetch(b, "f2b", a_bare, "urn:xmpp:omemo:2:bundles"));
    require(fetch(b, "f3", a_bare, "urn:xmpp:omemo:2:bundles", "<item id='1002'/>") ==
                items_result(a_bare, b_phone, "urn:xmpp:omemo:2:bundles",
                             item("1002", omemo2_bundle("1002", 1, 2))),
            "one device's bundle by id");
    // The claim on OMEMO 2 names the device.
    auto reply = b.request(claim_iq("k1", a_bare, "urn:xmpp:omemo:2:bundles", "1001"), "k1");
    require_stanza(reply.get(),
                   "<iq from='" + a_bare + "' to='" + b_phone +
                       "' type='result'><claim item='1001' node='urn:xmpp:omemo:2:bundles' "
                       "remaining='2' xmlns='" +
                       ns_prekeys + "'>" + omemo2_bundle("1001", 1, 1) + "</claim></iq>",
                   "an OMEMO 2 claim");
    require(fetch(b, "f4", a_bare, "urn:xmpp:omemo:2:bundles", "<item id='1001'/>") ==
                items_result(a_bare, b_phone, "urn:xmpp:omemo:2:bundles",
                             item("1001", omemo2_bundle("1001", 2, 3))),
            "the claimed key is gone from the bundle: " +
                fetch(b, "f4b", a_bare, "urn:xmpp:omemo:2:bundles", "<item id='1001'/>"));
    require_stanza(b.request(claim_iq("k2", a_bare, "urn:xmpp:omemo:2:bundles"), "k2").get(),
                   iq_error(a_bare, b_phone, "modify", "bad-request"),
                   "an OMEMO 2 claim without item");
    require_stanza(b.request(claim_iq("k3", a_bare, "urn:xmpp:omemo:2:bundles", "9"), "k3").get(),
                   iq_error(a_bare, b_phone, "cancel", "item-not-found"),
                   "a claim for a device without bundle");
}

STARLING_SCENARIO(prekey_claim_single_use) {
    server_fixture server(options);
    server.add_account("c@example.test", "carol-secret-3");
    start_pep(server, pep_keeping_none);
    std::optional<strophe_client> a_session;
    auto& a = a_session.emplace(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    strophe_client c("c@example.test/pad", "carol-secret-3", server.c2s_port());
    a.login();
    b.login();
    c.login();
    go_online(a);
    publish(a, "p1", bundle_node, "current", axolotl_bundle(axolotl_prekeys(1, 12)),
            conversations_options);

    // Two claimants, alternating: each key once, the count going down.
    std::set<std::string> seen;
    require(seen.insert(claim_axolotl(b, "k1", 11)).second, "first claim");
    require(seen.insert(claim_axolotl(c, "k2", 10)).second, "the second claimant's key is new");
    require(fetch(b, "f1", a_bare, bundle_node) ==
                items_result(a_bare, b_phone, bundle_node,
                             item("current", axolotl_bundle(axolotl_prekeys(3, 12)))),
            "a fetch lacks the claimed keys: " + fetch(b, "f1b", a_bare, bundle_node));
    // Republished with the same twelve keys: the two claimed stay claimed.
    publish(a, "p2", bundle_node, "current", axolotl_bundle(axolotl_prekeys(1, 12)),
            conversations_options);
    require(fetch(c, "f2", a_bare, bundle_node) ==
                items_result(a_bare, "c@example.test/pad", bundle_node,
                             item("current", axolotl_bundle(axolotl_prekeys(3, 12)))),
            "a republished bundle keeps claimed keys out: " + fetch(c, "f2b", a_bare, bundle_node));
    // The claim that leaves 9 (< 10) tells the owner, once.
    require(seen.insert(claim_axolotl(b, "k3", 9)).second, "third claim");
    require_stanza(a.wait_for(prekeys_low, "the low-water message").get(),
                   prekeys_low_message(a_bare, bundle_node, 9), "the low-water message");
    require(seen.insert(claim_axolotl(c, "k4", 8)).second, "fourth claim");
    require_nothing(a, prekeys_low, "a second low-water message before a republish");

    // Republished with fewer keys while the owner is offline: the message waits offline.
    publish(a, "p3", bundle_node, "current", axolotl_bundle(axolotl_prekeys(20, 21)),
            conversations_options);
    const auto mark = server.log_mark();
    a_session.reset();
    server.wait_for_log(a_desk + " logged out", mark);
    require(seen.insert(claim_axolotl(b, "k5", 1)).second, "a claim of the new keys");
    require(seen.insert(claim_axolotl(c, "k6", 0)).second, "the last key");
    require_stanza(b.request(claim_iq("k7", a_bare, bundle_node), "k7").get(),
                   iq_error(a_bare, b_phone, "cancel", "item-not-found", "no-prekeys", ns_prekeys),
                   "no prekey left");
    require(seen.size() == 6, "six claims, six keys");
    auto& back = a_session.emplace(a_desk, alice.password, server.c2s_port());
    back.login();
    back.send("<presence/>");
    auto stored = back.wait_for(prekeys_low, "the low-water message stored offline");
    xmpp_stanza_t* note = stanza_child(stored.get(), "prekeys-low", ns_prekeys);
    require(stanza_attribute(note, "remaining") == "1" &&
                stanza_attribute(note, "node") == bundle_node &&
                stanza_child(stored.get(), "delay", "urn:xmpp:delay") != nullptr,
            "the offline low-water message: " + stanza_text(stored.get()));

    // Errors: a node that is not a bundle node, a missing node, a presence-only bundle.
    require_stanza(b.request(claim_iq("e1", a_bare, devicelist), "e1").get(),
                   iq_error(a_bare, b_phone, "modify", "bad-request"),
                   "a claim on a non-bundle node");
    require_stanza(b.request("<iq type='set' id='e2' to='" + a_bare + "'><claim xmlns='" +
                                 std::string(ns_prekeys) + "'/></iq>",
                             "e2")
                       .get(),
                   iq_error(a_bare, b_phone, "modify", "bad-request"), "a claim without node");
    require_stanza(b.request(claim_iq("e3", a_bare, ns_axolotl + ".bundles:999"), "e3").get(),
                   iq_error(a_bare, b_phone, "cancel", "item-not-found"), "a claim of no bundle");
    publish(back, "p4", ns_axolotl + ".bundles:777", "current",
            axolotl_bundle(axolotl_prekeys(1, 2)));
    require_stanza(
        b.request(claim_iq("e4", a_bare, ns_axolotl + ".bundles:777"), "e4").get(),
        iq_error(a_bare, b_phone, "auth", "not-authorized", "presence-subscription-required"),
        "a stranger's claim on a presence bundle");
    const auto host_info =
        canonical_stanza(b.request("<iq type='get' id='i1' to='example.test'><query xmlns='" +
                                       std::string(ns::disco_info) + "'/></iq>",
                                   "i1")
                             .get());
    require(host_info.find("<feature var='urn:xmpp:starling:prekeys:0'/>") != std::string::npos &&
                host_info.find("<identity category='pubsub' type='pep'/>") != std::string::npos,
            "the host's disco#info: " + host_info);
}

namespace {

// Sends `count` claims of alice's bundle in one write and returns how many got a key (each a
// different one, added to `seen`) after requiring that every other reply is the rate limit's.
int pipelined_claims(strophe_client& client, const std::string& prefix, int count,
                     std::set<std::string>& seen) {
    std::string burst;
    for (int i = 0; i < count; ++i)
        burst += claim_iq(prefix + std::to_string(i), a_bare, bundle_node);
    client.send(burst);
    int keys = 0;
    for (int i = 0; i < count; ++i) {
        const std::string id = prefix + std::to_string(i);
        auto reply = client.wait_for(stanza_named("iq", id), "the reply to " + id);
        if (stanza_attribute(reply.get(), "type") == "result") {
            xmpp_stanza_t* claim = stanza_child(reply.get(), "claim", ns_prekeys);
            xmpp_stanza_t* bundle =
                claim ? stanza_child(claim, "bundle", ns_axolotl.c_str()) : nullptr;
            xmpp_stanza_t* prekeys =
                bundle ? stanza_child(bundle, "prekeys", ns_axolotl.c_str()) : nullptr;
            xmpp_stanza_t* key = prekeys ? xmpp_stanza_get_children(prekeys) : nullptr;
            require(key && seen.insert(stanza_attribute(key, "preKeyId")).second,
                    "a new key in " + stanza_text(reply.get()));
            ++keys;
            continue;
        }
        require_stanza(reply.get(),
                       iq_error(a_bare, client.bound_jid(), "wait", "resource-constraint",
                                "too-many-claims", ns_prekeys),
                       "the rate limit's error for " + id);
    }
    return keys;
}

}  // namespace

// A stranger could drain a user's single-use prekeys by claiming in a loop. Now strangers share
// prekey_claims_per_owner claims an hour on one account's bundles (5 here): bob, a stranger to
// alice, sends 8 claims in one write and gets exactly 5 keys and 3 <too-many-claims/>. Carol,
// whom alice's roster lists, is not counted there and still claims, until her own
// prekey_claims_per_claimer (8) stops her; dave, another stranger, finds alice's share used up.
// And the last prekeys_kept_for_contacts keys (3) are never a stranger's: alice claims bob's
// bundle of 5 down to 3 and then gets <no-prekeys/>, which tells bob; dave, in bob's roster,
// still gets one. (Any subscription puts both sides in each other's roster, so each owner's
// contact here is someone else's stranger.)
STARLING_SCENARIO(prekey_claims_limited_for_strangers) {
    server_fixture server(options);
    server.add_account("c@example.test", "carol-secret-3");
    server.add_account("d@example.test", "dave-secret-4");
    start_pep(server,
              "[disco, ping, roster, presence, offline, {pep: {prekey_claims_per_owner: 5, "
              "prekey_claims_per_claimer: 8, prekeys_kept_for_contacts: 3, "
              "prekeys_low_water: 2}}]");
    const std::string c_pad = "c@example.test/pad";
    const std::string d_laptop = "d@example.test/laptop";
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    strophe_client c(c_pad, "carol-secret-3", server.c2s_port());
    strophe_client d(d_laptop, "dave-secret-4", server.c2s_port());
    for (auto* client : {&a, &b, &c, &d}) client->login();
    for (auto* client : {&a, &b, &c, &d}) go_online(*client);
    subscribe(c, "c@example.test", a, a_bare);  // alice's roster: carol, subscription from
    subscribe(d, "d@example.test", b, b_bare);  // bob's roster: dave, subscription from
    publish(a, "p1", bundle_node, "current", axolotl_bundle(axolotl_prekeys(1, 30)),
            conversations_options);

    std::set<std::string> seen;
    const int bobs = pipelined_claims(b, "b", 8, seen);
    require(bobs == 5, "bob got " + std::to_string(bobs) + " keys of 8 pipelined claims, not 5");
    const int carols = pipelined_claims(c, "c", 10, seen);
    require(carols == 8, "carol got " + std::to_string(carols) + " keys of 10 claims, not 8");
    require_stanza(
        d.request(claim_iq("d0", a_bare, bundle_node), "d0").get(),
        iq_error(a_bare, d_laptop, "wait", "resource-constraint", "too-many-claims", ns_prekeys),
        "another stranger past alice's share");
    // Bob (offset past the three kept) took 4-8, carol 1-3 and 9-13.
    require(fetch(c, "f1", a_bare, bundle_node) ==
                items_result(a_bare, c_pad, bundle_node,
                             item("current", axolotl_bundle(axolotl_prekeys(14, 30)))),
            "alice's bundle keeps the 17 keys nobody was let claim: " +
                fetch(c, "f1b", a_bare, bundle_node));

    // Bob's bundle of five: alice takes the two above the three kept for bob's contacts.
    const std::string bob_bundle = ns_axolotl + ".bundles:4242";
    publish(b, "p2", bob_bundle, "current", axolotl_bundle(axolotl_prekeys(1, 5)),
            conversations_options);
    const auto claimed = [&](strophe_client& client, const std::string& id, int key,
                             int remaining) {
        require_stanza(client.request(claim_iq(id, b_bare, bob_bundle), id).get(),
                       "<iq from='" + b_bare + "' to='" + client.bound_jid() +
                           "' type='result'><claim item='current' node='" + bob_bundle +
                           "' remaining='" + std::to_string(remaining) + "' xmlns='" + ns_prekeys +
                           "'>" + axolotl_bundle(axolotl_prekeys(key, key)) + "</claim></iq>",
                       "claim " + id);
    };
    claimed(a, "a1", 4, 4);
    claimed(a, "a2", 5, 3);
    require_stanza(a.request(claim_iq("a3", b_bare, bob_bundle), "a3").get(),
                   iq_error(b_bare, a_desk, "cancel", "item-not-found", "no-prekeys", ns_prekeys),
                   "a stranger's claim of the keys kept for contacts");
    require_stanza(b.wait_for(prekeys_low, "the low-water message").get(),
                   prekeys_low_message(b_bare, bob_bundle, 3),
                   "the owner told that strangers found only the kept keys");
    claimed(d, "d1", 1, 2);
}

STARLING_SCENARIO(omemo_encrypted_message_passes_unchanged) {
    server_fixture server(options);
    start_pep(server);
    strophe_client a(a_desk, alice.password, server.c2s_port());
    strophe_client b(b_phone, bob.password, server.c2s_port());
    a.login();
    b.login();
    go_online(b);
    const std::string encrypted =
        "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='31415'><key "
        "prekey='true' rid='27182'>MwohBQ&amp;x+/=</key><iv>aXZpdml2aXZpdg==</iv></header>"
        "<payload>Y2lwaGVydGV4dA==</payload></encrypted><store xmlns='urn:xmpp:hints'/>";
    a.send("<message to='" + b_phone + "' type='chat' id='m1'>" + encrypted + "</message>");
    require_stanza(b.wait_for(stanza_named("message", "m1"), "the encrypted message").get(),
                   "<message from='" + a_desk + "' to='" + b_phone + "' type='chat'>" +
                       "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='31415'>"
                       // The canonical form shows character data unescaped.
                       "<key prekey='true' rid='27182'>MwohBQ&x+/=</key><iv>aXZpdml2aXZpdg=="
                       "</iv></header><payload>Y2lwaGVydGV4dA==</payload></encrypted>"
                       "<store xmlns='urn:xmpp:hints'/></message>",
                   "the encrypted payload, unchanged");
}

}  // namespace starling::scenarios
