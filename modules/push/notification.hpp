#pragma once
// The XEP-0357 wire formats mod_push reads and writes: the publish-options form a client gives
// with <enable/>, the publish iq that wakes a device, and what an app server's error means.

#include "core/stanza.hpp"
#include "xml/element.hpp"

#include <cstdint>
#include <string>

namespace starling::push {

inline constexpr const char* ns_push = "urn:xmpp:push:0";
inline constexpr const char* ns_pubsub = "http://jabber.org/protocol/pubsub";
inline constexpr const char* ns_data = "jabber:x:data";
inline constexpr const char* form_publish_options =
    "http://jabber.org/protocol/pubsub#publish-options";
inline constexpr const char* form_summary = "urn:xmpp:push:summary";

/// The FORM_TYPE of a XEP-0004 form, "" when it has none.
std::string form_type(const xml::Element& form);

/// Whether a message is worth waking a device for: a chat or normal message that carries a body
/// or an end-to-end encrypted payload (OMEMO's <encrypted/>, in any version's namespace). Chat
/// states, receipts and errors are not.
bool wakes_device(const Stanza& message);

/// What the push names about the message: how many arrived since the user was last online and
/// who sent the last one. Never the message's content (no body, nothing of an encrypted payload):
/// the app server and the platform's push service are third parties.
struct Summary {
    std::int64_t message_count = 1;
    std::string last_sender;  // the sender's full JID as routed
};

/// The publish to `node` at `service`, from the user's bare JID, with the summary form in a
/// <notification/> and, when `options` is given (the form the client enabled with), that form
/// as <publish-options/>. The id is set by ModuleContext::send_iq.
xml::ElementPtr make_publish(const std::string& user_bare, const std::string& service,
                             const std::string& node, const Summary& summary,
                             const xml::Element* options);

/// What to do about an app server's error reply (XEP-0357 §7 "Publish Errors").
enum class ErrorVerdict { disable, keep };
/// `cancel` and `auth` errors mean the app server refuses the node for good (it is gone, or we
/// may not publish there), so the registration is disabled; `wait` and `modify` are transient.
/// Errors that say the app server could not be reached (remote-server-not-found,
/// remote-server-timeout, service-unavailable — what the router answers for a component that is
/// not connected) keep it too: the device should not lose its pushes over a restart of the app
/// server.
ErrorVerdict judge_error(const Stanza& error, std::string& condition);

}  // namespace starling::push
