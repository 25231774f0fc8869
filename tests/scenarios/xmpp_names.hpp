#pragma once

// The namespaces scenarios assert on, spelled once.
namespace starling::scenarios::ns {

inline constexpr const char* client = "jabber:client";
inline constexpr const char* streams = "http://etherx.jabber.org/streams";
inline constexpr const char* stream_errors = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr const char* stanza_errors = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr const char* tls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr const char* sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr const char* bind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr const char* disco_info = "http://jabber.org/protocol/disco#info";
inline constexpr const char* ping = "urn:xmpp:ping";
inline constexpr const char* version = "jabber:iq:version";
inline constexpr const char* time = "urn:xmpp:time";

}  // namespace starling::scenarios::ns
