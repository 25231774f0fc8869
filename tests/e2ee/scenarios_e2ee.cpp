// End-to-end encryption through starlingd (issue 5): OMEMO 0.3 clients, as Conversations
// speaks it, publish their device lists and bundles over PEP, fetch each other's keys (by an
// ordinary items retrieval and by the Starling one-time prekey claim), run X3DH and the double
// ratchet, and exchange messages with a recipient online, offline, and on two devices. Every
// scenario then reads every table of the database and the server log and finds no plaintext,
// and checks that no one-time prekey was handed out twice.
#include "e2ee_checks.hpp"
#include "omemo_client.hpp"
#include "omemo_device.hpp"
#include "prekey_ledger.hpp"
#include "scram_client.hpp"
#include "stored_data.hpp"
#include "test_accounts.hpp"

namespace starling::e2ee {
namespace {

using scenarios::alice;
using scenarios::bob;
using scenarios::require;
using scenarios::server_fixture;
using scenarios::stanza_child;
using scenarios::stanza_text;

}  // namespace

STARLING_SCENARIO(e2ee_omemo_chat_recipient_online) {
    server_fixture server(options);
    start_server(server);
    omemo_device alice_phone(alice.jid, 1111);
    omemo_device bob_phone(bob.jid, 2222);
    omemo_client a(alice_phone, "phone", alice.password, server.c2s_port());
    omemo_client b(bob_phone, "phone", bob.password, server.c2s_port());
    for (omemo_client* client : {&a, &b}) {
        client->come_online();
        client->publish_device_list({client->device().device_id()});
        client->publish_bundle();
    }
    // An ordinary PEP items retrieval, as every OMEMO client does, returns all 20 prekeys.
    require(a.fetch_device_list(bob.jid) == std::vector<std::uint32_t>{2222},
            "bob's device list is not [2222]");
    const omemo_bundle bundle = a.fetch_bundle(bob.jid, 2222);
    require_published(bundle, bob_phone, published_pre_keys, "the items retrieval");
    const std::uint32_t chosen = bundle.pre_keys[13].id;
    alice_phone.build_session(bob.jid, 2222, bundle, chosen);

    const std::string first = "Online secret: the spare key is under the third flowerpot";
    a.send_encrypted(bob.jid, "e2e-online-1", first, {{bob.jid, 2222}});
    require(b.receive_encrypted(alice.jid, "e2e-online-1") == first,
            "bob decrypted something else than alice sent");
    require(!bob_phone.pre_key_ids().count(chosen),
            "bob still holds the prekey alice's session used");

    const std::string reply = "Online reply: noted, and the alarm code is 4711";
    b.send_encrypted(alice.jid, "e2e-online-2", reply, {{alice.jid, 1111}});
    require(a.receive_encrypted(bob.jid, "e2e-online-2") == reply, "alice misread the reply");
    // The ratchet has turned: alice's next message is an ordinary SignalMessage.
    const std::string third = "Online again: bring the blue folder on Thursday";
    const omemo_encrypted sent =
        a.send_encrypted(bob.jid, "e2e-online-3", third, {{bob.jid, 2222}});
    require(!sent.keys[0].prekey, "alice still sends prekey messages after bob's reply");
    require(b.receive_encrypted(alice.jid, "e2e-online-3") == third, "bob misread message 3");

    require_no_plaintext_stored(server, {first, reply, third},
                                {identity_base64(alice_phone), identity_base64(bob_phone)});
}

STARLING_SCENARIO(e2ee_omemo_chat_recipient_offline_then_reconnecting) {
    server_fixture server(options);
    start_server(server);
    omemo_device alice_phone(alice.jid, 1212);
    omemo_device bob_phone(bob.jid, 2323);
    {
        omemo_client b(bob_phone, "phone", bob.password, server.c2s_port());
        b.come_online();
        b.publish_device_list({2323});
        b.publish_bundle();
    }
    omemo_client a(alice_phone, "phone", alice.password, server.c2s_port());
    a.come_online();
    a.publish_device_list({1212});
    a.publish_bundle();

    // Bob is offline; alice claims one of his prekeys instead of picking one from the bundle,
    // since his account advertises the claim.
    require(a.supports_claim(bob.jid),
            "bob's disco#info does not list urn:xmpp:starling:prekeys:0");
    prekey_ledger ledger;
    require(a.fetch_device_list(bob.jid) == std::vector<std::uint32_t>{2323},
            "bob's device list is not [2323]");
    const auto claimed = claim(a, bob_phone, ledger, published_pre_keys - 1);
    alice_phone.build_session(bob.jid, 2323, claimed.bundle, claimed.bundle.pre_keys[0].id);
    const std::string first = "Offline secret: the vault opens at dawn";
    const std::string second = "Offline secret two: use the side entrance";
    const omemo_encrypted sent =
        a.send_encrypted(bob.jid, "e2e-offline-1", first, {{bob.jid, 2323}});
    a.send_encrypted(bob.jid, "e2e-offline-2", second, {{bob.jid, 2323}});
    settle(a);

    // While bob is away his messages sit in the offline store: their ciphertext is there, and
    // nothing of their plaintext.
    {
        const stored_data data = read_stored_data(server);
        require(data.database.find(scenarios::base64_encode(sent.payload)) != std::string::npos,
                "the offline store does not hold the ciphertext of e2e-offline-1");
        require_absent(data, {first, second});
    }
    // An ordinary fetch no longer lists the claimed prekey.
    const omemo_bundle fetched = a.fetch_bundle(bob.jid, 2323);
    require_published(fetched, bob_phone, published_pre_keys - 1, "the items retrieval");
    ledger.require_unlisted(bob.jid, 2323, fetched);

    omemo_client b(bob_phone, "phone", bob.password, server.c2s_port());
    b.come_online();
    scenarios::stanza_ptr stanza;
    require(b.receive_encrypted(alice.jid, "e2e-offline-1", &stanza) == first,
            "bob misread the first stored message");
    require(stanza_child(stanza.get(), "delay", "urn:xmpp:delay") != nullptr,
            "a stored message came without a delay: " + stanza_text(stanza.get()));
    // Stored and delivered unchanged: the same header, keys, iv and payload that alice sent.
    require(encrypted_xml(parse_encrypted(stanza_child(stanza.get(), "encrypted", omemo_ns))) ==
                encrypted_xml(sent),
            "the stored <encrypted/> changed: " + stanza_text(stanza.get()));
    require(b.receive_encrypted(alice.jid, "e2e-offline-2") == second,
            "bob misread the second stored message");
    require(!bob_phone.pre_key_ids().count(claimed.bundle.pre_keys[0].id),
            "bob still holds the claimed prekey after answering it");

    const std::string reply = "Offline reply: got both, see you at dawn";
    b.send_encrypted(alice.jid, "e2e-offline-3", reply, {{alice.jid, 1212}});
    require(a.receive_encrypted(bob.jid, "e2e-offline-3") == reply, "alice misread the reply");

    require_no_plaintext_stored(server, {first, second, reply},
                                {identity_base64(alice_phone), identity_base64(bob_phone)});
}

STARLING_SCENARIO(e2ee_omemo_chat_recipient_with_two_devices) {
    server_fixture server(options);
    start_server(server);
    omemo_device alice_phone(alice.jid, 1313);
    omemo_device bob_phone(bob.jid, 3001);
    omemo_device bob_laptop(bob.jid, 3002);
    omemo_device carol_phone(carol.jid, 5005);
    omemo_client b1(bob_phone, "phone", bob.password, server.c2s_port());
    omemo_client b2(bob_laptop, "laptop", bob.password, server.c2s_port());
    b1.come_online();
    b1.publish_device_list({3001});
    b1.publish_bundle();
    // A second device adds itself to the list it finds, as Conversations does.
    b2.come_online();
    require(b2.fetch_device_list(bob.jid) == std::vector<std::uint32_t>{3001},
            "the laptop does not see the phone's device list");
    b2.publish_device_list({3001, 3002});
    b2.publish_bundle();
    omemo_client a(alice_phone, "phone", alice.password, server.c2s_port());
    a.come_online();
    a.publish_device_list({1313});
    a.publish_bundle();

    prekey_ledger ledger;
    const auto devices = a.fetch_device_list(bob.jid);
    require(devices == std::vector<std::uint32_t>{3001, 3002}, "bob's device list is not both");
    for (const omemo_device* device : {&bob_phone, &bob_laptop}) {
        const auto claimed = claim(a, *device, ledger, published_pre_keys - 1);
        alice_phone.build_session(bob.jid, device->device_id(), claimed.bundle,
                                  claimed.bundle.pre_keys[0].id);
    }
    // One message to the bare JID with the key encrypted for both devices; both resources have
    // priority 0, so each gets it and each decrypts it with its own session.
    const std::string first = "Two devices: the password for the wifi is correct-horse";
    const omemo_encrypted sent =
        a.send_encrypted(bob.jid, "e2e-multi-1", first, {{bob.jid, 3001}, {bob.jid, 3002}});
    require(sent.keys.size() == 2 && sent.keys[0].prekey && sent.keys[1].prekey,
            "alice did not encrypt the key for both of bob's devices");
    require(b1.receive_encrypted(alice.jid, "e2e-multi-1") == first, "the phone misread it");
    require(b2.receive_encrypted(alice.jid, "e2e-multi-1") == first, "the laptop misread it");

    // Other claimants never get a prekey that was handed out before.
    omemo_client c(carol_phone, "phone", carol.password, server.c2s_port());
    c.come_online();
    omemo_client::claim_result carol_claim;
    for (std::uint32_t round = 2; round <= 4; ++round)
        for (const omemo_device* device : {&bob_phone, &bob_laptop})
            carol_claim = claim(c, *device, ledger, published_pre_keys - round);
    for (const omemo_device* device : {&bob_phone, &bob_laptop}) {
        const omemo_bundle fetched = a.fetch_bundle(bob.jid, device->device_id());
        require_published(fetched, *device, published_pre_keys - 4, "the items retrieval");
        ledger.require_unlisted(bob.jid, device->device_id(), fetched);
    }
    // A key claimed by someone else is as good as any: carol's last claim reaches the laptop.
    carol_phone.build_session(bob.jid, 3002, carol_claim.bundle, carol_claim.bundle.pre_keys[0].id);
    const std::string from_carol = "Carol to the laptop: the parcel is at the neighbours";
    c.send_encrypted(bob.jid, "e2e-multi-carol", from_carol, {{bob.jid, 3002}});
    require(b2.receive_encrypted(carol.jid, "e2e-multi-carol") == from_carol,
            "the laptop misread carol's message");

    // Each of bob's devices answers on its own session.
    const std::string from_phone = "Phone reply: thanks, connected";
    const std::string from_laptop = "Laptop reply: thanks, connected as well";
    b1.send_encrypted(alice.jid, "e2e-multi-2", from_phone, {{alice.jid, 1313}});
    b2.send_encrypted(alice.jid, "e2e-multi-3", from_laptop, {{alice.jid, 1313}});
    require(a.receive_encrypted(bob.jid, "e2e-multi-2") == from_phone, "alice misread the phone");
    require(a.receive_encrypted(bob.jid, "e2e-multi-3") == from_laptop, "alice misread the laptop");

    require_no_plaintext_stored(server, {first, from_carol, from_phone, from_laptop},
                                {identity_base64(bob_phone), identity_base64(bob_laptop)});
}

}  // namespace starling::e2ee
