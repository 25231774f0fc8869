#pragma once

#include <strophe.h>

#include <cstdint>
#include <string>
#include <vector>

namespace starling::e2ee {

/// One recipient device's copy of the payload key: the ratchet's output for that device.
struct omemo_key {
    std::uint32_t rid = 0;
    bool prekey =
        false;  ///< a PreKeySignalMessage (the first of a session) rather than a SignalMessage
    std::string data;  ///< raw serialized Signal message
};

/// The <encrypted/> element of OMEMO 0.3, with its binary parts as raw bytes.
struct omemo_encrypted {
    std::uint32_t sid = 0;
    std::vector<omemo_key> keys;
    std::string iv;
    std::string payload;
};

/// <encrypted xmlns='eu.siacs.conversations.axolotl'><header sid>…</header><payload/></encrypted>
std::string encrypted_xml(const omemo_encrypted& encrypted);

/// Decodes an <encrypted/> element; fails the scenario, quoting it, if a part is missing or bad.
omemo_encrypted parse_encrypted(xmpp_stanza_t* encrypted);

/// A whole message the way Conversations sends one: the <encrypted/> element, the XEP-0380
/// hint naming OMEMO, a fallback body for clients without OMEMO, and a store hint. `type` is
/// "chat" to an account, "groupchat" to a room.
std::string encrypted_message_xml(const std::string& to, const std::string& id,
                                  const omemo_encrypted& encrypted,
                                  const std::string& type = "chat");

/// The fallback body every encrypted message carries: the server sees it, so it is never a
/// secret and is the one body text allowed in storage.
inline constexpr const char* fallback_body =
    "I sent you an OMEMO encrypted message but your client doesn't seem to support that.";

}  // namespace starling::e2ee
