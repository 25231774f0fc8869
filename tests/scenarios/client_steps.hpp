#pragma once
// The steps scenarios with libstrophe clients share: coming online, proving that the server has
// taken what a client sent (a round trip, never a sleep), and proving that something did not
// arrive. Waits on what the server does on its own time are server_fixture::wait_for_log.

#include "scenario.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"

#include <chrono>
#include <cstring>
#include <functional>
#include <set>
#include <string>

namespace starling::scenarios {

/// Matches any <message/>.
inline bool any_message(xmpp_stanza_t* stanza) {
    return std::strcmp(xmpp_stanza_get_name(stanza), "message") == 0;
}

/// Sends a ping and waits for its answer. A session's stanzas are handled in order, so once the
/// answer is here the server has taken everything `sender` sent before it (and libstrophe, which
/// writes only while its loop runs, has written it). What those stanzas asked of the database is
/// queued by then, and the database runs its jobs in order (storage/grouped_database.hpp): a
/// client that logs in afterwards, whose login asks the database first, finds it done.
inline void settle(strophe_client& sender) {
    sender.request("<iq type='get' id='settle'><ping xmlns='urn:xmpp:ping'/></iq>", "settle");
}

/// Logs in, sends initial presence (with a <priority/> unless `priority` is 0, the default) and
/// settles: when it returns, the server has taken the presence, which is what releases offline
/// messages and makes the resource available.
inline void come_online(strophe_client& client, int priority = 0) {
    client.login();
    client.send(priority == 0
                    ? std::string("<presence/>")
                    : "<presence><priority>" + std::to_string(priority) + "</priority></presence>");
    settle(client);
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

/// The session bound to `full_jid` has ended: a ping to it from `asker` gets an error, where a
/// live session would answer.
inline void require_session_gone(strophe_client& asker, const std::string& full_jid,
                                 const std::string& what) {
    auto reply = asker.request(
        "<iq type='get' id='gone' to='" + full_jid + "'><ping xmlns='urn:xmpp:ping'/></iq>",
        "gone");
    require(stanza_attribute(reply.get(), "type") == "error",
            what + ": " + full_jid + " should not answer: " + stanza_text(reply.get()));
}

/// Waits for `count` messages at `client`, each within 10 s, and requires them all distinct (by
/// id).
inline void require_distinct_messages(strophe_client& client, std::size_t count) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < count; ++i) {
        auto message = client.wait_for(any_message,
                                       "acknowledged message " + std::to_string(i) + " of " +
                                           std::to_string(count) + " (have " +
                                           std::to_string(seen.size()) + ")",
                                       std::chrono::seconds(10));
        seen.insert(stanza_attribute(message.get(), "id"));
    }
    require(seen.size() == count,
            "duplicates among the stored messages: " + std::to_string(seen.size()) + " distinct");
}

/// Starts `server` again after a kill -9 and requires that `to`, logging in, gets the `count`
/// distinct messages the server acknowledged before it: the delivery guarantee's promise.
inline void require_delivered_after_restart(server_fixture& server, const test_account& to,
                                            std::size_t count) {
    server.start();
    strophe_client client(std::string(to.jid) + "/desk", to.password, server.c2s_port());
    client.login();
    client.send("<presence/>");
    require_distinct_messages(client, count);
}

}  // namespace starling::scenarios
