// A real browser: converse.js in Debian's headless Chromium (driven by playwright-core,
// tests/browser/converse_test.mjs) logs in over WebSocket, and again over BOSH, sees its contact, a libstrophe client,
// come online, sends it a message through the chat window and sees the reply. The screenshot
// is kept in $STARLING_TEST_ARTEFACTS (default BUILDDIR/test-artefacts). The script runs from
// $STARLING_BROWSER_DIR (default SRCDIR/tests/browser), where `npm ci` must have installed its
// modules; it needs Debian's chromium too. scripts/test-all.sh sets all of it up.
#include "free_port.hpp"
#include "peer_process.hpp"
#include "presence_checks.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "temp_dir.hpp"
#include "test_accounts.hpp"

#include <sys/stat.h>

#include <cstdlib>

namespace starling::scenarios {
namespace {

constexpr const char* chromium = "/usr/bin/chromium";
constexpr const char* node = "/usr/bin/node";

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// Logs converse.js in as alice over `url` (transport "websocket" or "bosh") while bob, online
// over TCP, answers her message; the browser must see bob online and his reply.
void converse_chats_with_libstrophe(const runner_options& options, server_fixture& server,
                                    const std::string& transport, const std::string& url) {
    const std::string dir = env_or("STARLING_BROWSER_DIR", options.srcdir + "/tests/browser");
    const std::string script = dir + "/converse_test.mjs";
    require(exists(dir + "/node_modules/converse.js/dist") && exists(node) && exists(chromium),
            "the browser test needs node, Debian's chromium and `npm ci` in " + dir +
                " (scripts/test-all.sh sets them up)");
    {
        // Mutual contacts, one direction at a time, before the browser logs in.
        strophe_client a(alice.jid, alice.password, server.c2s_port());
        strophe_client b(bob.jid, bob.password, server.c2s_port());
        a.login();
        b.login();
        go_online(a);
        go_online(b);
        subscribe(a, alice.jid, b, bob.jid);
        subscribe(b, bob.jid, a, alice.jid);
    }
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
    go_online(b);

    const std::string artefacts =
        env_or("STARLING_TEST_ARTEFACTS", options.builddir + "/test-artefacts");
    ::mkdir(artefacts.c_str(), 0755);
    const std::string screenshot = artefacts + "/converse-" + transport + ".png";
    temp_dir output_dir;
    const std::string output = output_dir.file("converse.out");
    const pid_t browser = spawn_process(
        {node, script, "--chromium", chromium, "--transport", transport, "--url", url, "--jid",
         alice.jid, "--password", alice.password, "--contact", bob.jid, "--send",
         "hello from converse", "--expect", "hello from libstrophe", "--screenshot", screenshot,
         "--timeout", "60"},
        output);

    // bob answers what the browser sends, from whichever resource it logged in with.
    auto message = b.wait_for(
        [](xmpp_stanza_t* s) {
            return std::string(xmpp_stanza_get_name(s)) == "message" &&
                   stanza_text(s).find("hello from converse") != std::string::npos;
        },
        "converse.js's message", std::chrono::seconds(60));
    const std::string from = stanza_attribute(message.get(), "from");
    require(from.rfind(std::string(alice.jid) + "/", 0) == 0,
            "the browser's message should come from alice's full JID: " +
                stanza_text(message.get()));
    b.send("<message type='chat' to='" + from + "' id='reply1'><body>hello from libstrophe</body></message>");
    require_clean_exit(browser, "converse.js in Chromium", output, std::chrono::seconds(60));
    const std::string text = read_all(output);
    for (const char* step : {"STEP logged-in", "STEP contact-online", "STEP sent", "STEP received"})
        require(text.find(step) != std::string::npos,
                std::string("the browser test did not report '") + step + "': " + text);
    require(exists(screenshot), "no screenshot at " + screenshot);
}

// A server with what a deployment loads (converse.js asks for most of it at login) and an https
// listener, whose endpoint at `path` converse.js uses over `transport`.
void converse_on_https(const runner_options& options, const std::string& transport,
                       const std::string& scheme, const std::string& path) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.modules =
        "[disco, ping, version, time, roster, presence, last, offline, vcard, private, blocking, "
        "smacks, csi, carbons, mam, pep]";
    server.write_config();
    start_with_accounts(server);
    converse_chats_with_libstrophe(options, server, transport,
                                   scheme + "://127.0.0.1:" + std::to_string(port) + path);
}

}  // namespace

STARLING_SCENARIO(browser_converse_chats_over_websocket) {
    converse_on_https(options, "websocket", "wss", "/xmpp-websocket");
}

// The page is on another origin: every POST is preceded by a CORS preflight.
STARLING_SCENARIO(browser_converse_chats_over_bosh) {
    converse_on_https(options, "bosh", "https", "/http-bind");
}

}  // namespace starling::scenarios
