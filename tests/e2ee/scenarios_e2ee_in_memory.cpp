// The Signal-protocol side of the end-to-end tests, with no server: the OpenSSL crypto
// provider against published test vectors, the OMEMO 0.3 XML both ways, and X3DH plus the
// double ratchet between two in-memory devices. The scenarios that go through starlingd are
// in scenarios_e2ee.cpp; a failure here tells that the client side, not the server, is wrong.
#include "omemo_bundle.hpp"
#include "omemo_device.hpp"
#include "omemo_message.hpp"
#include "omemo_payload.hpp"
#include "scenario.hpp"
#include "signal_crypto_openssl.hpp"
#include "strophe_client.hpp"

#include <strophe.h>

#include <memory>

namespace starling::e2ee {
namespace {

using scenarios::require;
using scenarios::scenario_failure;

std::string from_hex(const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return bytes;
}

std::string to_hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : bytes) {
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 15]);
    }
    return hex;
}

const uint8_t* data_of(const std::string& bytes) {
    return reinterpret_cast<const uint8_t*>(bytes.data());
}

std::string take(signal_buffer* buffer) {
    std::string bytes(reinterpret_cast<const char*>(signal_buffer_data(buffer)),
                      signal_buffer_len(buffer));
    signal_buffer_free(buffer);
    return bytes;
}

// A libstrophe tree from XML text, as a received stanza would be, so decoding is tested on
// exactly what the encoders wrote.
struct parsed_xml {
    explicit parsed_xml(const std::string& xml) {
        xmpp_initialize();
        context = xmpp_ctx_new(nullptr, nullptr);
        stanza = xmpp_stanza_new_from_string(context, xml.c_str());
        require(stanza != nullptr, "libstrophe could not parse " + xml);
    }
    ~parsed_xml() {
        if (stanza) xmpp_stanza_release(stanza);
        xmpp_ctx_free(context);
    }
    xmpp_ctx_t* context = nullptr;
    xmpp_stanza_t* stanza = nullptr;
};

omemo_encrypted through_xml(const omemo_encrypted& encrypted) {
    parsed_xml parsed(encrypted_xml(encrypted));
    return parse_encrypted(parsed.stanza);
}

void require_fails(const std::function<void()>& action, const std::string& what) {
    try {
        action();
    } catch (const scenario_failure&) {
        return;
    }
    throw scenario_failure(what);
}

}  // namespace

// RFC 4231 test case 2, FIPS 180-2's "abc" and SP 800-38A F.2.1 / F.5.1, through the very
// function pointers libsignal-protocol-c calls.
STARLING_SCENARIO(e2ee_crypto_provider_matches_test_vectors) {
    const signal_crypto_provider crypto = openssl_crypto_provider();
    void* hmac = nullptr;
    const std::string key = "Jefe";
    const std::string data = "what do ya want for nothing?";
    require(crypto.hmac_sha256_init_func(&hmac, data_of(key), key.size(), nullptr) == 0,
            "hmac init");
    // Two updates: the library feeds HMAC in pieces.
    require(crypto.hmac_sha256_update_func(hmac, data_of(data), 10, nullptr) == 0 &&
                crypto.hmac_sha256_update_func(hmac, data_of(data) + 10, data.size() - 10,
                                               nullptr) == 0,
            "hmac update");
    signal_buffer* output = nullptr;
    require(crypto.hmac_sha256_final_func(hmac, &output, nullptr) == 0, "hmac final");
    crypto.hmac_sha256_cleanup_func(hmac, nullptr);
    const std::string mac = to_hex(take(output));
    require(mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "HMAC-SHA256 is " + mac);

    void* digest = nullptr;
    require(crypto.sha512_digest_init_func(&digest, nullptr) == 0, "sha512 init");
    for (int round = 0; round < 2; ++round) {
        // The second round proves that final leaves the context ready for the next digest.
        require(crypto.sha512_digest_update_func(digest, data_of("abc"), 3, nullptr) == 0,
                "sha512 update");
        require(crypto.sha512_digest_final_func(digest, &output, nullptr) == 0, "sha512 final");
        const std::string hash = to_hex(take(output));
        require(hash ==
                    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
                "SHA-512 round " + std::to_string(round) + " is " + hash);
    }
    crypto.sha512_digest_cleanup_func(digest, nullptr);

    const std::string aes_key = from_hex("2b7e151628aed2a6abf7158809cf4f3c");
    const std::string block = from_hex("6bc1bee22e409f96e93d7e117393172a");
    const std::string cbc_iv = from_hex("000102030405060708090a0b0c0d0e0f");
    require(crypto.encrypt_func(&output, SG_CIPHER_AES_CBC_PKCS5, data_of(aes_key), 16,
                                data_of(cbc_iv), 16, data_of(block), 16, nullptr) == 0,
            "AES-CBC encrypt");
    const std::string cbc = take(output);
    // One full block of PKCS#5 padding follows the block of the test vector.
    require(cbc.size() == 32 && to_hex(cbc.substr(0, 16)) == "7649abac8119b246cee98e9b12e9197d",
            "AES-128-CBC gave " + to_hex(cbc));
    require(crypto.decrypt_func(&output, SG_CIPHER_AES_CBC_PKCS5, data_of(aes_key), 16,
                                data_of(cbc_iv), 16, data_of(cbc), cbc.size(), nullptr) == 0,
            "AES-CBC decrypt");
    require(take(output) == block, "AES-CBC did not decrypt to the plaintext");
    const std::string ctr_iv = from_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    require(crypto.encrypt_func(&output, SG_CIPHER_AES_CTR_NOPADDING, data_of(aes_key), 16,
                                data_of(ctr_iv), 16, data_of(block), 16, nullptr) == 0,
            "AES-CTR encrypt");
    const std::string ctr = take(output);
    require(to_hex(ctr) == "874d6191b620e3261bef6864990db6ce", "AES-128-CTR gave " + to_hex(ctr));
    require(crypto.decrypt_func(&output, SG_CIPHER_AES_CTR_NOPADDING, data_of(aes_key), 16,
                                data_of(ctr_iv), 16, data_of(ctr), ctr.size(), nullptr) == 0 &&
                take(output) == block,
            "AES-CTR did not decrypt to the plaintext");
    // A CBC ciphertext whose padding is wrong is refused, not returned truncated.
    std::string broken = cbc;
    broken[31] = static_cast<char>(broken[31] ^ 0x55);
    require(crypto.decrypt_func(&output, SG_CIPHER_AES_CBC_PKCS5, data_of(aes_key), 16,
                                data_of(cbc_iv), 16, data_of(broken), broken.size(), nullptr) != 0,
            "AES-CBC accepted a ciphertext with bad padding");
}

STARLING_SCENARIO(e2ee_omemo_xml_round_trip) {
    omemo_device device("a@example.test", 31415, 3);
    const omemo_bundle bundle = device.bundle();
    require(bundle.identity_key.size() == 33 && bundle.identity_key[0] == 0x05,
            "identity key is not a 33-byte DJB key");
    require(bundle.signed_pre_key_signature.size() == 64, "signature is not 64 bytes");
    parsed_xml parsed(bundle_xml(bundle));
    const omemo_bundle back = parse_bundle(parsed.stanza);
    require(back.signed_pre_key_id == bundle.signed_pre_key_id &&
                back.signed_pre_key_public == bundle.signed_pre_key_public &&
                back.signed_pre_key_signature == bundle.signed_pre_key_signature &&
                back.identity_key == bundle.identity_key,
            "bundle keys changed through XML: " + bundle_xml(back));
    require(back.pre_keys.size() == 3 && back.pre_keys[0].id == 1 && back.pre_keys[2].id == 3 &&
                back.pre_keys[1].public_key == bundle.pre_keys[1].public_key,
            "prekeys changed through XML: " + bundle_xml(back));

    parsed_xml list(device_list_xml({31415, 4242}));
    const auto ids = parse_device_list(list.stanza);
    require(ids == std::vector<std::uint32_t>{31415, 4242}, "device list changed");
    parsed_xml foreign("<list xmlns='eu.siacs.conversations.axolotl'><device id='-1'/></list>");
    require_fails([&] { parse_device_list(foreign.stanza); }, "a negative device id was taken");

    omemo_encrypted encrypted{
        27183, {{31415, true, "abc"}, {12321, false, "defg"}}, "iv-12-bytes!", "payload"};
    const omemo_encrypted decoded = through_xml(encrypted);
    require(decoded.sid == 27183 && decoded.keys.size() == 2 && decoded.keys[0].rid == 31415 &&
                decoded.keys[0].prekey && decoded.keys[0].data == "abc" &&
                decoded.keys[1].rid == 12321 && !decoded.keys[1].prekey &&
                decoded.keys[1].data == "defg" && decoded.iv == "iv-12-bytes!" &&
                decoded.payload == "payload",
            "encrypted element changed through XML: " + encrypted_xml(decoded));
    // The exact wire form Conversations writes and reads.
    require(encrypted_xml({1, {{2, true, "k"}}, "i", "p"}) ==
                "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'>"
                "<key prekey='true' rid='2'>aw==</key><iv>aQ==</iv></header>"
                "<payload>cA==</payload></encrypted>",
            "wire form: " + encrypted_xml({1, {{2, true, "k"}}, "i", "p"}));

    const sealed_payload sealed = seal_payload("Ünïcode & <xml>");
    require(sealed.key_material.size() == 32 && sealed.iv.size() == 12 &&
                sealed.ciphertext.size() == std::string("Ünïcode & <xml>").size(),
            "AES-128-GCM sizes");
    require(open_payload(sealed.key_material, sealed.iv, sealed.ciphertext) == "Ünïcode & <xml>",
            "AES-128-GCM round trip");
    std::string tampered = sealed.ciphertext;
    tampered[0] = static_cast<char>(tampered[0] ^ 1);
    require_fails([&] { open_payload(sealed.key_material, sealed.iv, tampered); },
                  "a tampered payload decrypted");
}

STARLING_SCENARIO(e2ee_ratchet_round_trip_in_memory) {
    omemo_device alice("a@example.test", 1001);
    omemo_device bob("b@example.test", 2002);
    const omemo_bundle bob_bundle = bob.bundle();
    require(
        bob_bundle.pre_keys.size() == 20,
        "bob published " + std::to_string(bob_bundle.pre_keys.size()) + " prekeys, expected 20");
    // A bundle whose signature does not match its signed prekey is refused by X3DH.
    omemo_bundle forged = bob_bundle;
    forged.signed_pre_key_signature[5] = static_cast<char>(forged.signed_pre_key_signature[5] ^ 1);
    require_fails([&] { alice.build_session(bob.bare_jid(), 2002, forged, 7); },
                  "X3DH accepted a bundle with a forged signature");
    require(!alice.has_session(bob.bare_jid(), 2002), "a refused bundle left a session");

    alice.build_session(bob.bare_jid(), 2002, bob_bundle, 7);
    const omemo_encrypted first = through_xml(alice.encrypt("hello bob", {{bob.bare_jid(), 2002}}));
    require(first.keys.size() == 1 && first.keys[0].prekey && first.keys[0].rid == 2002,
            "the first message is not a prekey message for bob: " + encrypted_xml(first));
    require(bob.decrypt(alice.bare_jid(), first) == "hello bob", "bob read the wrong text");
    // Answering the prekey message used up prekey 7, and only that one.
    require(bob.pre_key_ids().count(7) == 0 && bob.pre_key_ids().size() == 19,
            "bob's prekeys after the first message: " + std::to_string(bob.pre_key_ids().size()));
    require_fails([&] { bob.decrypt(alice.bare_jid(), first); }, "a replayed message decrypted");

    const omemo_encrypted reply = through_xml(bob.encrypt("hi alice", {{alice.bare_jid(), 1001}}));
    require(!reply.keys[0].prekey, "bob's reply is a prekey message");
    require(alice.decrypt(bob.bare_jid(), reply) == "hi alice", "alice read the wrong text");

    // After the reply alice's ratchet has turned: plain SignalMessages, read out of order.
    const omemo_encrypted third = through_xml(alice.encrypt("third", {{bob.bare_jid(), 2002}}));
    const omemo_encrypted fourth = through_xml(alice.encrypt("fourth", {{bob.bare_jid(), 2002}}));
    require(!third.keys[0].prekey && !fourth.keys[0].prekey, "alice still sends prekey messages");
    require(bob.decrypt(alice.bare_jid(), fourth) == "fourth", "out-of-order fourth");
    require(bob.decrypt(alice.bare_jid(), third) == "third", "out-of-order third");

    // A key for another device is no key for bob.
    omemo_encrypted not_for_bob = third;
    not_for_bob.keys[0].rid = 9999;
    require_fails([&] { bob.decrypt(alice.bare_jid(), not_for_bob); },
                  "bob decrypted a message with no key for his device");
}

}  // namespace starling::e2ee
