#pragma once
// The steps scenarios with libstrophe clients share: proving that something did not arrive.

#include "scenario.hpp"
#include "strophe_client.hpp"

#include <chrono>
#include <cstring>
#include <functional>
#include <string>

namespace starling::scenarios {

/// Matches any <message/>.
inline bool any_message(xmpp_stanza_t* stanza) {
    return std::strcmp(xmpp_stanza_get_name(stanza), "message") == 0;
}

/// Fails with `what` if a stanza that `matches` arrives within `quiet`, and also if the stream
/// has ended, before or during the wait: a dead stream cannot show that nothing was sent.
inline void require_nothing(strophe_client& client,
                            const std::function<bool(xmpp_stanza_t*)>& matches,
                            const std::string& what,
                            std::chrono::milliseconds quiet = std::chrono::milliseconds(700)) {
    require(client.connected(),
            what + ": the client was not connected to see it (" + client.end_reason() + ")");
    stanza_ptr arrived;
    try {
        arrived = client.wait_for(matches, what, quiet);
    } catch (const scenario_failure&) {
        // Nothing matched in time, or the stream ended: told apart below.
    }
    require(!arrived, what + ": " + (arrived ? stanza_text(arrived.get()) : ""));
    require(client.connected(), what + ": the stream ended while nothing was to arrive (" +
                                    client.end_reason() + "), so it proves nothing");
}

}  // namespace starling::scenarios
