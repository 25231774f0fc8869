#pragma once

#include "omemo_bundle.hpp"
#include "omemo_device.hpp"
#include "omemo_message.hpp"
#include "strophe_client.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace starling::e2ee {

/// The Starling one-time prekey claim (docs/, /work/notes/claim_protocol.md).
inline constexpr const char* prekeys_ns = "urn:xmpp:starling:prekeys:0";

/// One XMPP connection of an OMEMO device: what Conversations sends to publish its keys,
/// fetch another account's keys and exchange encrypted messages, over a libstrophe client.
/// The device outlives the connection, so a reconnect keeps the sessions.
class omemo_client {
public:
    omemo_client(omemo_device& device, const std::string& resource, const std::string& password,
                 std::uint16_t port);

    scenarios::strophe_client& xmpp() { return client_; }
    omemo_device& device() { return device_; }

    /// Logs in and sends initial presence (which also releases offline messages), and returns
    /// once the server has handled it.
    void come_online();

    /// Publishes `ids` as this account's device list, with access model open.
    void publish_device_list(const std::vector<std::uint32_t>& ids);
    /// Publishes this device's bundle (all its prekeys), with access model open.
    void publish_bundle();

    /// PEP items retrieval of `jid`'s device list / one device's bundle (item 'current').
    std::vector<std::uint32_t> fetch_device_list(const std::string& jid);
    omemo_bundle fetch_bundle(const std::string& jid, std::uint32_t device);

    /// Whether `jid`'s disco#info lists the claim feature, which a client checks before it
    /// claims instead of picking a prekey from an ordinary fetch.
    bool supports_claim(const std::string& jid);

    /// The Starling claim of one device's bundle: it must carry exactly one one-time prekey.
    struct claim_result {
        omemo_bundle bundle;
        std::uint32_t remaining = 0;
    };
    claim_result claim_bundle(const std::string& jid, std::uint32_t device);
    /// The raw reply to a claim, for error cases.
    scenarios::stanza_ptr claim_reply(const std::string& jid, const std::string& node);
    /// A claim sent without waiting for its reply (so several can be in flight at once); the
    /// iq id to pass to await_claim, which checks the reply as claim_bundle does.
    std::string send_claim(const std::string& jid, const std::string& node);
    claim_result await_claim(const std::string& id, const std::string& node);

    /// Encrypts `plaintext` for `recipients` and sends it as a chat message to `to`; returns
    /// what went on the wire, so a scenario can look for that ciphertext in storage.
    omemo_encrypted send_encrypted(const std::string& to, const std::string& id,
                                   const std::string& plaintext,
                                   const std::vector<omemo_device::recipient>& recipients);

    /// Waits for the message `id` from `sender_jid` (bare), decrypts it and returns the text.
    /// Also returns the stanza, for delay and other checks.
    std::string receive_encrypted(const std::string& sender_jid, const std::string& id,
                                  scenarios::stanza_ptr* stanza = nullptr);

    /// The same to a room (type groupchat, `to` its bare JID): `recipients` are every device of
    /// every member but this one.
    omemo_encrypted send_encrypted_groupchat(
        const std::string& room, const std::string& id, const std::string& plaintext,
        const std::vector<omemo_device::recipient>& recipients);

    /// Waits for the groupchat message `id` from `occupant_jid` (room@service/nick), whose real
    /// bare JID the room told us is `sender_jid`, decrypts it and returns the text.
    std::string receive_encrypted_groupchat(const std::string& occupant_jid,
                                            const std::string& sender_jid, const std::string& id,
                                            scenarios::stanza_ptr* stanza = nullptr);

private:
    std::string next_id(const std::string& what);
    scenarios::stanza_ptr await_reply(const std::string& id);
    void publish(const std::string& node, const std::string& payload);
    xmpp_stanza_t* current_item(xmpp_stanza_t* reply, const std::string& node);
    std::string receive(const std::string& from, bool bare_from, const std::string& type,
                        const std::string& sender_jid, const std::string& id,
                        scenarios::stanza_ptr* stanza);

    omemo_device& device_;
    scenarios::strophe_client client_;
    unsigned counter_ = 0;
};

}  // namespace starling::e2ee
