#include "omemo_device.hpp"

#include "omemo_payload.hpp"
#include "scenario.hpp"
#include "signal_crypto_openssl.hpp"

#include <curve.h>
#include <key_helper.h>
#include <protocol.h>
#include <ratchet.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <session_pre_key.h>

#include <chrono>

namespace starling::e2ee {
namespace {

using scenarios::require;

void check(int rc, const std::string& what) {
    require(rc >= 0, what + " failed (libsignal-protocol-c error " + std::to_string(rc) + ")");
}

std::string take(signal_buffer* buffer) {
    std::string bytes(reinterpret_cast<const char*>(signal_buffer_data(buffer)),
                      signal_buffer_len(buffer));
    signal_buffer_free(buffer);
    return bytes;
}

std::string serialized(const ec_public_key* key) {
    signal_buffer* buffer = nullptr;
    check(ec_public_key_serialize(&buffer, key), "ec_public_key_serialize");
    return take(buffer);
}

std::string serialized(const ec_private_key* key) {
    signal_buffer* buffer = nullptr;
    check(ec_private_key_serialize(&buffer, key), "ec_private_key_serialize");
    return take(buffer);
}

const uint8_t* data_of(const std::string& bytes) {
    return reinterpret_cast<const uint8_t*>(bytes.data());
}

// A public key from its published bytes, released by the caller with SIGNAL_UNREF.
ec_public_key* decode_public(const std::string& bytes, signal_context* context,
                             const std::string& what) {
    ec_public_key* key = nullptr;
    check(curve_decode_point(&key, data_of(bytes), bytes.size(), context), "decoding " + what);
    return key;
}

// A session_cipher for one remote device, freed at the end of the scope.
struct cipher_for {
    session_cipher* cipher = nullptr;
    cipher_for(signal_protocol_store_context* stores, const signal_protocol_address* address,
               signal_context* context) {
        check(session_cipher_create(&cipher, stores, address, context), "session_cipher_create");
    }
    ~cipher_for() { session_cipher_free(cipher); }
};

}  // namespace

omemo_device::omemo_device(std::string bare_jid, std::uint32_t device_id, unsigned pre_key_count)
    : bare_jid_(std::move(bare_jid)), device_id_(device_id) {
    check(signal_context_create(&context_, nullptr), "signal_context_create");
    const signal_crypto_provider provider = openssl_crypto_provider();
    check(signal_context_set_crypto_provider(context_, &provider), "setting the crypto provider");

    ratchet_identity_key_pair* identity = nullptr;
    check(signal_protocol_key_helper_generate_identity_key_pair(&identity, context_),
          "generating the identity key");
    // OMEMO 0.3 has no registration id on the wire, so the device id serves as one locally.
    stores_ = std::make_unique<signal_stores>(
        serialized(ratchet_identity_key_pair_get_public(identity)),
        serialized(ratchet_identity_key_pair_get_private(identity)), device_id_);
    check(signal_protocol_store_context_create(&store_context_, context_),
          "signal_protocol_store_context_create");
    stores_->install(store_context_);
    bundle_.identity_key = stores_->identity_public_;

    session_signed_pre_key* signed_pre_key = nullptr;
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    check(signal_protocol_key_helper_generate_signed_pre_key(
              &signed_pre_key, identity, 1, static_cast<uint64_t>(now.count()), context_),
          "generating the signed prekey");
    check(signal_protocol_signed_pre_key_store_key(store_context_, signed_pre_key),
          "storing the signed prekey");
    bundle_.signed_pre_key_id = session_signed_pre_key_get_id(signed_pre_key);
    bundle_.signed_pre_key_public =
        serialized(ec_key_pair_get_public(session_signed_pre_key_get_key_pair(signed_pre_key)));
    bundle_.signed_pre_key_signature = std::string(
        reinterpret_cast<const char*>(session_signed_pre_key_get_signature(signed_pre_key)),
        session_signed_pre_key_get_signature_len(signed_pre_key));
    SIGNAL_UNREF(signed_pre_key);
    SIGNAL_UNREF(identity);

    add_pre_keys(pre_key_count);
}

void omemo_device::add_pre_keys(unsigned count) {
    signal_protocol_key_helper_pre_key_list_node* pre_keys = nullptr;
    check(
        signal_protocol_key_helper_generate_pre_keys(&pre_keys, next_pre_key_id_, count, context_),
        "generating one-time prekeys");
    next_pre_key_id_ += count;
    for (auto* node = pre_keys; node; node = signal_protocol_key_helper_key_list_next(node)) {
        session_pre_key* key = signal_protocol_key_helper_key_list_element(node);
        check(signal_protocol_pre_key_store_key(store_context_, key), "storing a prekey");
        bundle_.pre_keys.push_back(
            {session_pre_key_get_id(key),
             serialized(ec_key_pair_get_public(session_pre_key_get_key_pair(key)))});
    }
    signal_protocol_key_helper_key_list_free(pre_keys);
}

omemo_device::~omemo_device() {
    signal_protocol_store_context_destroy(store_context_);
    signal_context_destroy(context_);
}

omemo_bundle omemo_device::bundle() const {
    // Like Conversations, list only the prekeys still held: one a session used up is gone.
    omemo_bundle current = bundle_;
    const std::set<std::uint32_t> held = stores_->pre_key_ids();
    std::erase_if(current.pre_keys,
                  [&](const published_pre_key& key) { return held.count(key.id) == 0; });
    return current;
}

omemo_bundle omemo_device::bundle_with_every_pre_key() const {
    return bundle_;
}

signal_protocol_address omemo_device::address_of(const std::string& jid,
                                                 std::uint32_t device) const {
    return {jid.c_str(), jid.size(), static_cast<int32_t>(device)};
}

void omemo_device::build_session(const std::string& jid, std::uint32_t device,
                                 const omemo_bundle& bundle, std::uint32_t pre_key_id) {
    const published_pre_key* chosen = nullptr;
    for (const auto& key : bundle.pre_keys)
        if (key.id == pre_key_id) chosen = &key;
    require(chosen != nullptr, "prekey " + std::to_string(pre_key_id) + " is not in the bundle");
    ec_public_key* pre_key = decode_public(chosen->public_key, context_, "a prekey");
    ec_public_key* signed_pre_key =
        decode_public(bundle.signed_pre_key_public, context_, "the signed prekey");
    ec_public_key* identity = decode_public(bundle.identity_key, context_, "the identity key");
    session_pre_key_bundle* signal_bundle = nullptr;
    check(session_pre_key_bundle_create(&signal_bundle, 0, static_cast<int>(device), pre_key_id,
                                        pre_key, bundle.signed_pre_key_id, signed_pre_key,
                                        data_of(bundle.signed_pre_key_signature),
                                        bundle.signed_pre_key_signature.size(), identity),
          "session_pre_key_bundle_create");
    const signal_protocol_address address = address_of(jid, device);
    session_builder* builder = nullptr;
    check(session_builder_create(&builder, store_context_, &address, context_),
          "session_builder_create");
    const int rc = session_builder_process_pre_key_bundle(builder, signal_bundle);
    session_builder_free(builder);
    SIGNAL_UNREF(signal_bundle);
    SIGNAL_UNREF(identity);
    SIGNAL_UNREF(signed_pre_key);
    SIGNAL_UNREF(pre_key);
    check(rc, "X3DH with " + jid + " device " + std::to_string(device) +
                  " (session_builder_process_pre_key_bundle)");
}

bool omemo_device::has_session(const std::string& jid, std::uint32_t device) const {
    const signal_protocol_address address = address_of(jid, device);
    return signal_protocol_session_contains_session(store_context_, &address) == 1;
}

omemo_encrypted omemo_device::encrypt(const std::string& plaintext,
                                      const std::vector<recipient>& recipients) {
    const sealed_payload sealed = seal_payload(plaintext);
    omemo_encrypted encrypted;
    encrypted.sid = device_id_;
    encrypted.iv = sealed.iv;
    encrypted.payload = sealed.ciphertext;
    sent_key_material_[sealed.iv] = sealed.key_material;
    for (const auto& to : recipients) {
        require(has_session(to.jid, to.device), bare_jid_ + " has no session with " + to.jid +
                                                    " device " + std::to_string(to.device));
        const signal_protocol_address address = address_of(to.jid, to.device);
        cipher_for cipher(store_context_, &address, context_);
        ciphertext_message* message = nullptr;
        check(session_cipher_encrypt(cipher.cipher, data_of(sealed.key_material),
                                     sealed.key_material.size(), &message),
              "session_cipher_encrypt");
        const bool prekey = ciphertext_message_get_type(message) == CIPHERTEXT_PREKEY_TYPE;
        signal_buffer* bytes = ciphertext_message_get_serialized(message);
        encrypted.keys.push_back(
            {to.device, prekey,
             std::string(reinterpret_cast<const char*>(signal_buffer_data(bytes)),
                         signal_buffer_len(bytes))});
        SIGNAL_UNREF(message);
    }
    return encrypted;
}

std::string omemo_device::decrypt(const std::string& sender_jid, const omemo_encrypted& encrypted) {
    if (sender_jid == bare_jid_ && encrypted.sid == device_id_) {
        const auto kept = sent_key_material_.find(encrypted.iv);
        require(kept != sent_key_material_.end(),
                "device " + std::to_string(device_id_) + " of " + bare_jid_ +
                    " got a message in its own name that it never sent");
        return open_payload(kept->second, encrypted.iv, encrypted.payload);
    }
    const omemo_key* mine = nullptr;
    for (const auto& key : encrypted.keys)
        if (key.rid == device_id_) mine = &key;
    require(mine != nullptr,
            "the message has no key for device " + std::to_string(device_id_) + " of " + bare_jid_);
    const signal_protocol_address address = address_of(sender_jid, encrypted.sid);
    cipher_for cipher(store_context_, &address, context_);
    signal_buffer* key_material = nullptr;
    if (mine->prekey) {
        pre_key_signal_message* message = nullptr;
        check(pre_key_signal_message_deserialize(&message, data_of(mine->data), mine->data.size(),
                                                 context_),
              "pre_key_signal_message_deserialize");
        const int rc = session_cipher_decrypt_pre_key_signal_message(cipher.cipher, message,
                                                                     nullptr, &key_material);
        SIGNAL_UNREF(message);
        check(rc, "decrypting a PreKeySignalMessage from " + sender_jid);
    } else {
        signal_message* message = nullptr;
        check(
            signal_message_deserialize(&message, data_of(mine->data), mine->data.size(), context_),
            "signal_message_deserialize");
        const int rc =
            session_cipher_decrypt_signal_message(cipher.cipher, message, nullptr, &key_material);
        SIGNAL_UNREF(message);
        check(rc, "decrypting a SignalMessage from " + sender_jid);
    }
    return open_payload(take(key_material), encrypted.iv, encrypted.payload);
}

}  // namespace starling::e2ee
