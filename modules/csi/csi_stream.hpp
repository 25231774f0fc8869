#pragma once
// One client stream's XEP-0352 state: while the client says it is inactive, stanzas that can
// wait are held (presence coalesced per sender, the newest winning) and flushed, in order, when
// it is active again or when a stanza arrives that cannot wait.

#include "core/client_stream.hpp"
#include "urgency.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace starling {
class Server;
}

namespace starling::csi {

inline constexpr const char* ns_csi = "urn:xmpp:csi:0";

class CsiStream final : public StreamExtension {
public:
    CsiStream(Server& server, std::size_t max_held) : server_(server), max_held_(max_held) {}

    void on_nonza(ClientStream& stream, const xml::Element& element) override;
    Outbound on_outbound(ClientStream& stream, const StanzaPtr& stanza) override;
    void on_resumed(ClientStream& stream) override;
    void on_session_end(ClientStream& stream) override;

private:
    void hold(const StanzaPtr& stanza);
    void flush(ClientStream& stream);

    Server& server_;
    std::size_t max_held_;
    bool inactive_ = false;
    std::vector<StanzaPtr> held_;  // in arrival order; a replaced presence leaves a null
    std::size_t count_ = 0;        // non-null entries of held_
    std::map<std::string, std::size_t> presence_at_;  // sender full JID -> index in held_
};

}  // namespace starling::csi
