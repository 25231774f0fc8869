#pragma once
// RFC 7395's framing of a client stream over WebSocket, translated at the edge so that the
// stream itself (C2sSession) parses and writes as over TCP: the client's <open/> becomes the
// stream header the parser expects and its <close/> the end tag; each element written becomes a
// message that is a document of its own, so a stanza written without a namespace (it inherits
// jabber:client on a TCP stream) gets it declared.

#include <string>
#include <string_view>

namespace starling::websocket_framing {

constexpr std::string_view ns_framing = "urn:ietf:params:xml:ns:xmpp-framing";

/// The bytes the stream's parser reads for a message from the client. <open/> and <close/> in
/// the framing namespace are translated; anything else passes unchanged, to be judged by the
/// parser (a malformed <open/> fails there as a malformed header would).
std::string inbound(std::string_view message);

/// The message for one element the stream writes.
std::string outbound(std::string_view element);

}  // namespace starling::websocket_framing
