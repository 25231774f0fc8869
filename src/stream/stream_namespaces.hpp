#pragma once
// The XML namespaces of stream negotiation (RFC 6120), spelled once for every stream kind.

#include <string_view>

namespace starling {

inline constexpr std::string_view ns_streams = "http://etherx.jabber.org/streams";
inline constexpr std::string_view ns_tls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view ns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view ns_server = "jabber:server";
// Server Dialback (XEP-0220): its elements, and the stream feature announcing its error handling.
inline constexpr std::string_view ns_dialback = "jabber:server:dialback";
inline constexpr std::string_view ns_dialback_feature = "urn:xmpp:features:dialback";
// Bidirectional server-to-server streams (XEP-0288): the request, and the feature offering it.
inline constexpr std::string_view ns_bidi = "urn:xmpp:bidi";
inline constexpr std::string_view ns_bidi_feature = "urn:xmpp:features:bidi";
// Stream Management (XEP-0198), on client streams (mod_smacks) and server-to-server streams.
inline constexpr std::string_view ns_sm = "urn:xmpp:sm:3";

}  // namespace starling
