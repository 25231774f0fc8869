#pragma once
// RFC 7395's framing of a client stream over WebSocket, translated at the edge so that the
// stream itself (C2sSession) parses and writes as over TCP: the client's <open/> becomes the
// stream header the parser expects and its <close/> the end tag; each element written becomes a
// message that is a document of its own, so a stanza written without a namespace (it inherits
// jabber:client on a TCP stream) gets it declared.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace starling::websocket_framing {

constexpr std::string_view ns_framing = "urn:ietf:params:xml:ns:xmpp-framing";

/// <open/> or <close/> in the framing namespace, read with expat.
struct FramingElement {
    std::string name;  // "open" or "close"
    std::vector<std::pair<std::string, std::string>> attributes;  // xml:lang as "xml:lang"
};

/// `text` as a framing element: nullopt unless it is a well-formed document of one empty
/// <open/> or <close/> in the framing namespace. (BOSH reads the <open/> the stream writes
/// with it, to carry its attributes in a <body/> instead.)
std::optional<FramingElement> read_framing(std::string_view text);

/// The bytes the stream's parser reads for a message from the client. <open/> and <close/> in
/// the framing namespace are translated; anything else passes unchanged, to be judged by the
/// parser (a malformed <open/> fails there as a malformed header would).
std::string inbound(std::string_view message);

/// The message for one element the stream writes.
std::string outbound(std::string_view element);

}  // namespace starling::websocket_framing
