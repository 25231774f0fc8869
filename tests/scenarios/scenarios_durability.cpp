// An acknowledgement is a promise (DESIGN.md, delivery guarantee): what the server counted in a
// client's XEP-0198 `h` survives kill -9 of starlingd the moment the <a/> is read, on both
// drivers, and every message acknowledged reaches its recipient after a restart.
#include "client_steps.hpp"
#include "sm_client.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>

namespace starling::scenarios {

STARLING_SCENARIO(acked_offline_messages_survive_kill_9) {
    server_fixture server(options);
    // The quick start's modules: each that holds a message back on its way must carry the
    // sender's receipt to where the message ends. Alice is a stranger to bob, and his queue
    // takes all 200 of hers.
    server.modules =
        "[disco, ping, version, time, roster, presence, last, {offline: {max_from_strangers: "
        "1000}}, vcard, private, blocking, smacks, csi, carbons, mam, pep]";
    server.write_config();
    start_with_accounts(server);
    constexpr int count = 200;
    {
        sm_client a(server.c2s_port());
        a.login(alice, "phone");
        a.enable();
        std::string burst;
        for (int i = 0; i < count; ++i)
            burst += "<message type='chat' to='" + std::string(bob.jid) + "' id='m" +
                     std::to_string(i) + "'><body>durable " + std::to_string(i) +
                     "</body></message>";
        a.stream().send(burst);
        const std::string h = a.request_ack();
        require(a.before_ack.empty(),
                "the server answered a message before the <a/>: " +
                    (a.before_ack.empty() ? "" : a.before_ack.front().to_string()));
        // No pause: the promise must already hold when the client reads it.
        const int status = server.kill();
        require(h == std::to_string(count), "the server acknowledged h=" + h + ", not " +
                                                std::to_string(count) + " (" +
                                                describe_status(status) + ")");
    }
    require_delivered_after_restart(server, bob, count);
}

}  // namespace starling::scenarios
