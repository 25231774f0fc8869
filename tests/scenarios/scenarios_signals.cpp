// The server's life cycle under signals: SIGTERM shuts down cleanly, SIGHUP reloads the config
// all-or-nothing without dropping a session.
#include "process.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"

#include <sys/wait.h>
#include <csignal>

namespace starling::scenarios {
namespace {

// Proves a session still works by pinging the server through it.
void require_alive(strophe_client& client, const std::string& id) {
    auto reply = client.request("<iq type='get' id='" + id +
                                    "' to='example.test'><ping xmlns='urn:xmpp:ping'/></iq>",
                                id);
    require(stanza_attribute(reply.get(), "type") == "result",
            "ping after reload failed: " + stanza_text(reply.get()));
}

}  // namespace

STARLING_SCENARIO(sigterm_sends_system_shutdown_and_exits_zero) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    a.login();
    b.login();
    server.send_signal(SIGTERM);
    for (strophe_client* client : {&a, &b}) {
        require(client->wait_disconnected(std::chrono::seconds(10)),
                "a client is still connected after SIGTERM");
        require(client->stream_error() == "system-shutdown",
                "expected <system-shutdown/>, got " +
                    (client->stream_error_text().empty() ? "no stream error"
                                                         : client->stream_error_text()));
    }
    int status = server.stop();
    require(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "starlingd ended with " + describe_status(status) + " after SIGTERM");
}

STARLING_SCENARIO(sighup_valid_config_keeps_sessions) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    server.log_level = "info";
    server.write_config();
    const auto mark = server.log_mark();
    server.send_signal(SIGHUP);
    server.wait_for_log("configuration reloaded", mark);
    require(server.running(), "starlingd exited on SIGHUP: " + server.log_text());
    require(a.connected(), "the session was dropped by the reload: " + a.stream_error_text());
    require_alive(a, "alive-1");
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
}

STARLING_SCENARIO(sighup_invalid_config_keeps_old_one) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    const auto mark = server.log_mark();
    server.write_config_text(server.config_text() + "no_such_setting: 1\n");
    server.send_signal(SIGHUP);
    // The rejection is logged with the offending key.
    server.wait_for_log("no_such_setting", mark);
    require(server.running(), "starlingd exited on a SIGHUP with an invalid config");
    require(a.connected(), "the session was dropped: " + a.stream_error_text());
    require_alive(a, "alive-2");
    // The old config is still in force: its accounts and listeners still work.
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
}

}  // namespace starling::scenarios
