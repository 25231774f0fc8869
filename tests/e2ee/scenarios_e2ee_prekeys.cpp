// The one-time prekeys of one OMEMO device through their whole life on the server: two
// claimants take all of them with claims in flight together, each key exactly once; the owner
// hears when few are left; the claim after the last says so; the owner publishes more, the
// claimed ones stay claimed, and a session set up with a key from the new batch carries a
// message.
#include "e2ee_checks.hpp"
#include "omemo_client.hpp"
#include "omemo_device.hpp"
#include "prekey_ledger.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"

#include <cstring>

namespace starling::e2ee {
namespace {

using scenarios::alice;
using scenarios::bob;
using scenarios::require;
using scenarios::server_fixture;
using scenarios::stanza_attribute;
using scenarios::stanza_child;
using scenarios::stanza_text;

bool prekeys_low(xmpp_stanza_t* stanza) {
    return std::strcmp(xmpp_stanza_get_name(stanza), "message") == 0 &&
           stanza_child(stanza, "prekeys-low", prekeys_ns) != nullptr;
}

}  // namespace

STARLING_SCENARIO(e2ee_omemo_prekeys_claimed_once_until_exhausted) {
    server_fixture server(options);
    // Alice and carol are strangers to bob (no roster here): nothing is kept back for contacts,
    // so that they can take every key.
    start_server(server, "{prekeys_kept_for_contacts: 0}");
    omemo_device bob_phone(bob.jid, 4004);
    omemo_device alice_phone(alice.jid, 1414);
    omemo_device carol_phone(carol.jid, 5115);
    omemo_client b(bob_phone, "phone", bob.password, server.c2s_port());
    omemo_client a(alice_phone, "phone", alice.password, server.c2s_port());
    omemo_client c(carol_phone, "phone", carol.password, server.c2s_port());
    b.come_online();
    b.publish_device_list({4004});
    b.publish_bundle();
    a.come_online();
    c.come_online();

    // Alice and carol claim in rounds of four, every claim of a round in flight at once on two
    // connections, until every prekey is claimed. The claim that leaves 9, fewer than the
    // default prekeys_low_water of 10, tells bob, once; its count may already include the
    // claim in flight beside it, so the notice says 9 or 8.
    prekey_ledger ledger;
    const std::string node = bundle_node(4004);
    for (std::uint32_t left = published_pre_keys; left > 0; left -= 4) {
        concurrent_claims({&a, &c, &a, &c}, bob_phone, ledger, left);
        if (left - 4 < 10 && left >= 10) {
            auto notice = b.xmpp().wait_for(prekeys_low, "the prekeys-low notice");
            const std::string text = stanza_text(notice.get());
            xmpp_stanza_t* low = stanza_child(notice.get(), "prekeys-low", prekeys_ns);
            require(stanza_attribute(notice.get(), "from") == bob.jid &&
                        stanza_attribute(notice.get(), "type") == "normal" &&
                        stanza_attribute(low, "node") == node &&
                        (stanza_attribute(low, "remaining") == "9" ||
                         stanza_attribute(low, "remaining") == "8"),
                    "prekeys-low notice: " + text);
        }
    }
    require(ledger.claimed(bob.jid, 4004) == bob_phone.pre_key_ids(),
            "the claims did not hand out exactly the 20 published prekeys");

    // None left: the claim fails the documented way, and an ordinary fetch lists none.
    auto refused = a.claim_reply(bob.jid, node);
    const std::string text = stanza_text(refused.get());
    xmpp_stanza_t* error = xmpp_stanza_get_child_by_name(refused.get(), "error");
    require(stanza_attribute(refused.get(), "type") == "error" && error != nullptr &&
                stanza_attribute(error, "type") == "cancel" &&
                scenarios::stanza_error_condition(refused.get()) == "item-not-found" &&
                stanza_child(error, "no-prekeys", prekeys_ns) != nullptr,
            "the claim of an exhausted bundle: " + text);
    require_published(a.fetch_bundle(bob.jid, 4004), bob_phone, 0, "the exhausted bundle");

    // The notice came once: a ping answered after every claim shows no second one queued.
    b.xmpp().request("<iq type='get' id='after-claims'><ping xmlns='urn:xmpp:ping'/></iq>",
                     "after-claims");
    bool second_notice = true;
    try {
        b.xmpp().wait_for(prekeys_low, "a second notice", std::chrono::milliseconds(300));
    } catch (const scenarios::scenario_failure&) {
        second_notice = false;
    }
    require(!second_notice, "bob was told twice that his prekeys run low");

    // Bob publishes 20 more. His bundle still lists the 20 claimed ones (he holds them until a
    // session uses them), yet they stay claimed: a fetch shows only the new ones.
    bob_phone.add_pre_keys(published_pre_keys);
    b.publish_bundle();
    const omemo_bundle fetched = c.fetch_bundle(bob.jid, 4004);
    require_published(fetched, bob_phone, published_pre_keys, "the replenished bundle");
    ledger.require_unlisted(bob.jid, 4004, fetched);
    const auto fresh = claim(c, bob_phone, ledger, published_pre_keys - 1);
    require(fresh.bundle.pre_keys[0].id > published_pre_keys,
            "a claim after the republish returned an old prekey");

    carol_phone.build_session(bob.jid, 4004, fresh.bundle, fresh.bundle.pre_keys[0].id);
    const std::string secret = "Replenished: the new keys work, meet at the north gate";
    c.send_encrypted(bob.jid, "e2e-fresh", secret, {{bob.jid, 4004}});
    require(b.receive_encrypted(carol.jid, "e2e-fresh") == secret, "bob misread carol");

    require_no_plaintext_stored(server, {secret}, {identity_base64(bob_phone)});
}

}  // namespace starling::e2ee
