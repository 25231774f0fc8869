#pragma once

#include "omemo_bundle.hpp"
#include "omemo_message.hpp"
#include "signal_stores.hpp"

#include <signal_protocol.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace starling::e2ee {

/// One OMEMO device of an account: its own Signal context on the OpenSSL crypto provider, an
/// identity key, a signed prekey and `pre_key_count` one-time prekeys, and in-memory stores
/// for the sessions it builds. It lives across reconnections of the account's XMPP client,
/// the way a phone keeps its keys while its connection comes and goes.
class omemo_device {
public:
    omemo_device(std::string bare_jid, std::uint32_t device_id, unsigned pre_key_count = 20);
    ~omemo_device();
    omemo_device(const omemo_device&) = delete;
    omemo_device& operator=(const omemo_device&) = delete;

    const std::string& bare_jid() const { return bare_jid_; }
    std::uint32_t device_id() const { return device_id_; }

    /// What this device publishes: identity key, signed prekey and the one-time prekeys it
    /// still holds.
    omemo_bundle bundle() const;
    /// The bundle with every one-time prekey ever generated, used up or not.
    omemo_bundle bundle_with_every_pre_key() const;

    /// Generates `count` more one-time prekeys, numbered on from the last (to publish more when
    /// the server says few are left).
    void add_pre_keys(unsigned count);

    /// The one-time prekey ids this device still holds (answering a prekey message uses one up).
    std::set<std::uint32_t> pre_key_ids() const { return stores_->pre_key_ids(); }

    /// X3DH: a session with (`jid`, `device`) from its bundle and the one-time prekey `pre_key_id`
    /// listed in it (session_builder_process_pre_key_bundle, which verifies the signature).
    void build_session(const std::string& jid, std::uint32_t device, const omemo_bundle& bundle,
                       std::uint32_t pre_key_id);

    bool has_session(const std::string& jid, std::uint32_t device) const;

    /// Seals `plaintext` (AES-128-GCM) and encrypts its key material for each recipient device,
    /// with which a session must exist. The device keeps the key material, by IV, to read the
    /// message when it comes back (a room's reflection).
    struct recipient {
        std::string jid;
        std::uint32_t device;
    };
    omemo_encrypted encrypt(const std::string& plaintext, const std::vector<recipient>& recipients);

    /// Finds the key for this device in `encrypted`, which `sender_jid` sent, decrypts it with
    /// the ratchet (building the session from a prekey message) and opens the payload. A
    /// message this device sent itself carries no key for it (no session leads from a device to
    /// itself): it opens that payload with the key material it kept, as Conversations reads its
    /// own messages reflected by a room.
    std::string decrypt(const std::string& sender_jid, const omemo_encrypted& encrypted);

private:
    signal_protocol_address address_of(const std::string& jid, std::uint32_t device) const;

    std::string bare_jid_;
    std::uint32_t device_id_;
    signal_context* context_ = nullptr;
    signal_protocol_store_context* store_context_ = nullptr;
    std::unique_ptr<signal_stores> stores_;
    omemo_bundle bundle_;
    std::uint32_t next_pre_key_id_ = 1;
    std::map<std::string, std::string> sent_key_material_;  // by IV
};

}  // namespace starling::e2ee
