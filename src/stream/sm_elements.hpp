#pragma once
// The XEP-0198 elements both ends of a stream write, client streams (mod_smacks) and
// server-to-server streams alike, spelled once.

#include "stream/stream_namespaces.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace starling::sm {

/// <a h='h'/>: how many of the peer's stanzas are handled.
inline std::string ack(std::uint32_t h) {
    return "<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(h) + "'/>";
}

/// <r/>: asks the peer for its <a/>.
inline std::string request() { return "<r xmlns='urn:xmpp:sm:3'/>"; }

/// <failed/> with a stanza error condition, and the handled count when the peer should learn it.
inline std::string failed(std::string_view condition, std::optional<std::uint32_t> h = {}) {
    std::string out = "<failed xmlns='urn:xmpp:sm:3'";
    if (h) out += " h='" + std::to_string(*h) + "'";
    out += "><";
    out += condition;
    out += " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>";
    return out;
}

/// The application condition of the stream error for an <a/> that acknowledges more than was
/// sent (XEP-0198 §4), under <undefined-condition/>.
inline std::string handled_count_too_high(std::uint32_t h, std::uint32_t sent) {
    return "<handled-count-too-high xmlns='urn:xmpp:sm:3' h='" + std::to_string(h) +
           "' send-count='" + std::to_string(sent) + "'/>";
}

}  // namespace starling::sm
