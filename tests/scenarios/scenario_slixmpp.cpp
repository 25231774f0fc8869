// Interoperability with an independent client stack: slixmpp (Python) and libstrophe exchange a
// message through the server, slixmpp logged in with SCRAM-SHA-256 over STARTTLS; and two slixmpp
// accounts use the IM modules (subscriptions, presence, receipts, offline messages) end to end.
#include "free_port.hpp"
#include "peer_process.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "temp_dir.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <csignal>

namespace starling::scenarios {
namespace {

// Runs tests/interop/<script> for alice and bob against `server` (interop_steps.py's command
// line, `wait_timeout` seconds per wait), requires it to exit 0 within `run_timeout`, and
// requires every "ok:" line of `steps` and the final "ok: all steps passed" in its output.
void run_two_account_script(const runner_options& options, server_fixture& server,
                            const std::string& script, int wait_timeout,
                            std::chrono::seconds run_timeout,
                            const std::vector<std::string>& steps) {
    temp_dir output_dir;
    const std::string output = output_dir.file(script + ".out");
    std::vector<std::string> command = {
        options.python,     options.srcdir + "/tests/interop/" + script,
        "--port",           std::to_string(server.c2s_port()),
        "--alice-jid",      alice.jid,
        "--alice-password", alice.password,
        "--bob-jid",        bob.jid,
        "--bob-password",   bob.password,
        "--timeout",        std::to_string(wait_timeout)};
    if (options.verbose) command.push_back("--verbose");
    pid_t python = spawn_process(command, output);

    require_clean_exit(python, "slixmpp", output, run_timeout);
    const std::string text = read_all(output);
    for (const auto& step : steps)
        require(text.find("ok: " + step) != std::string::npos,
                "slixmpp did not report 'ok: " + step + "': " + text);
    require(text.find("ok: all steps passed") != std::string::npos,
            "slixmpp did not report 'ok: all steps passed': " + text);
}

}  // namespace

STARLING_SCENARIO(slixmpp_interop) {
    server_fixture server(options);
    start_with_accounts(server);
    const std::string peer = std::string(bob.jid) + "/strophe";
    strophe_client b(peer, bob.password, server.c2s_port());
    b.login();

    temp_dir output_dir;
    const std::string output = output_dir.file("slixmpp.out");
    std::vector<std::string> command = {
        options.python, options.srcdir + "/tests/interop/slixmpp_test.py",
        "--port",       std::to_string(server.c2s_port()),
        "--jid",        alice.jid,
        "--password",   alice.password,
        "--peer",       peer,
        "--send",       "hello from slixmpp \xe2\x9c\x93",
        "--expect",     "hello from libstrophe",
        "--mechanism",  "SCRAM-SHA-256",
        "--timeout",    "20"};
    if (options.verbose) command.push_back("--verbose");
    pid_t python = spawn_process(command, output);

    auto message =
        b.wait_for(stanza_named("message"), "slixmpp's message", std::chrono::seconds(25));
    xmpp_stanza_t* body = stanza_child(message.get(), "body", ns::client);
    std::string from = stanza_attribute(message.get(), "from");
    if (body == nullptr || stanza_content(body) != "hello from slixmpp \xe2\x9c\x93" ||
        from.rfind(std::string(alice.jid) + "/", 0) != 0) {
        kill(python, SIGKILL);
        throw scenario_failure("unexpected message from slixmpp: " + stanza_text(message.get()));
    }
    b.send("<message type='chat' to='" + from + "' id='reply-1'><body>hello from libstrophe" +
           "</body></message>");

    require_clean_exit(python, "slixmpp", output, std::chrono::seconds(20));
    require(read_all(output).find("with SCRAM-SHA-256") != std::string::npos,
            "slixmpp did not report its SCRAM-SHA-256 login: " + read_all(output));
}

// Both accounts are slixmpp clients in one Python process (tests/interop/slixmpp_im_test.py):
// mutual subscription seen in roster pushes, presence online and offline, XEP-0184 receipts both
// ways, and a message stored while bob is away that reaches him with a XEP-0203 delay.
STARLING_SCENARIO(slixmpp_im) {
    server_fixture server(options);
    server.modules = "[disco, ping, roster, presence, offline]";
    server.write_config();
    start_with_accounts(server);

    run_two_account_script(
        options, server, "slixmpp_im_test.py", 5, std::chrono::seconds(25),
        {"both logged in", "subscribed both ways", "each sees the other's available presence",
         "alice -> bob message delivered and receipt returned",
         "bob -> alice message delivered and receipt returned", "alice sees bob go offline",
         "alice sees bob come back online",
         "bob receives the offline message with delay from example.test"});
}

// XEP-0198 with slixmpp's xep_0198 plugin (tests/interop/slixmpp_smacks_test.py): it enables
// stream management, its TCP connection is cut, alice sends three messages meanwhile, and it
// resumes and receives exactly those, in order.
STARLING_SCENARIO(slixmpp_smacks_resume) {
    server_fixture server(options);
    server.modules = "[disco, ping, offline, smacks]";
    server.write_config();
    start_with_accounts(server);

    run_two_account_script(options, server, "slixmpp_smacks_test.py", 8, std::chrono::seconds(40),
                           {"bob enabled stream management with resumption", "bob's connection cut",
                            "alice sent 3 messages meanwhile", "bob resumed the session",
                            "bob received exactly the 3 messages, in order"});
}

// XEP-0045 with slixmpp's xep_0045 plugin (tests/interop/slixmpp_muc_test.py): alice creates an
// instant room, bob joins with join_muc_wait, they exchange groupchat messages, bob changes his
// nick (alice's room roster follows) and leaves.
STARLING_SCENARIO(slixmpp_muc) {
    server_fixture server(options);
    server.modules = "[disco, ping, muc]";
    server.write_config();
    start_with_accounts(server);

    run_two_account_script(options, server, "slixmpp_muc_test.py", 5, std::chrono::seconds(40),
                           {"both logged in", "alice created an instant room (status 201)",
                            "bob joined and each sees the other",
                            "groupchat messages both ways, reflected to the sender",
                            "bob changed his nick to robert", "bob left the room"});
}

// XEP-0363 with slixmpp's xep_0363 plugin and aiohttp (tests/interop/slixmpp_upload_test.py):
// alice's client finds the upload service by disco, reads max-file-size from its form (and
// refuses a larger file itself), uploads; bob downloads the URL alice sends him.
STARLING_SCENARIO(slixmpp_upload) {
    server_fixture server(options);
    const auto http_port = free_loopback_port();
    server.extra_listen += listen_entry("http", http_port);
    server.modules = "[disco, ping, {http_upload: {max_file_size: 200000, url: 'http://127.0.0.1:" +
                     std::to_string(http_port) + "'}}]";
    server.write_config();
    start_with_accounts(server);

    run_two_account_script(
        options, server, "slixmpp_upload_test.py", 10, std::chrono::seconds(40),
        {"both logged in", "alice found the upload service upload.example.test",
         "alice uploaded a file", "slixmpp refused a file over max-file-size itself",
         "bob downloaded the same bytes"});
}

}  // namespace starling::scenarios
