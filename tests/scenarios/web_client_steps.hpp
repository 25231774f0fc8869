#pragma once
// What the scenarios of the web transports (WebSocket, BOSH) share: the elements their test
// clients send to log in and the check of what binding answers (the same over every transport,
// only the framing differs), and the steps with the libstrophe client they chat with.

#include "aes_gcm.hpp"
#include "scenario.hpp"
#include "sm_client.hpp"
#include "strophe_client.hpp"
#include "xml_element.hpp"

#include <chrono>

#include <string>

namespace starling::scenarios {

/// SASL PLAIN for the local part of `jid` (RFC 4616).
inline std::string plain_auth(const std::string& jid, const std::string& password) {
    const std::string local = jid.substr(0, jid.find('@'));
    return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
           base64(std::string(1, '\0') + local + std::string(1, '\0') + password) + "</auth>";
}

/// Features after SASL must offer binding.
inline void require_bind_offered(const xml_element& features) {
    require(features.child("bind", "urn:ietf:params:xml:ns:xmpp-bind") != nullptr,
            "no resource binding offered after SASL: " + features.to_string());
}

/// The iq binding `resource`.
inline std::string bind_request(const std::string& resource) {
    return "<iq xmlns='jabber:client' type='set' id='bind1'><bind "
           "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
           resource + "</resource></bind></iq>";
}

/// The full JID a binding result names; fails the scenario for anything else.
inline std::string bound_jid(const xml_element& bound) {
    const auto* bind = bound.child("bind", "urn:ietf:params:xml:ns:xmpp-bind");
    const auto* full = bind ? bind->child("jid") : nullptr;
    require(bound.name == "iq" && bound.attribute("type") == "result" && full != nullptr,
            "binding failed: " + bound.to_string());
    return full->text;
}

/// Sends `xml` as `client` and lets libstrophe write it (it writes only while its loop runs).
inline void send_now(strophe_client& client, const std::string& xml) {
    client.send(xml);
    run_strophe_for(std::chrono::milliseconds(100));
}

/// A message with `body` from `from` (bare JID), in jabber:client.
inline void require_message(const xml_element& message, const std::string& from,
                            const std::string& body, const std::string& what) {
    require(message.name == "message" && message.ns == "jabber:client" &&
                message.attribute("from").rfind(from + "/", 0) == 0 && body_of(message) == body,
            what + ": got " + message.to_string());
}

}  // namespace starling::scenarios
