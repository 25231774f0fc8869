// starlingctl against its man page: exit statuses and output, with the server stopped (the
// command opens the database itself) and running (the command goes through the control socket).
#include "ctl_checks.hpp"
#include "raw_session.hpp"
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sys/stat.h>

namespace starling::scenarios {
namespace {

// One PLAIN attempt over STARTTLS on a fresh stream; returns <success/> or <failure/>.
xml_element plain_attempt(const server_fixture& server, const std::string& username,
                          const std::string& password) {
    raw_session session(server.c2s_port());
    session.open();
    session.starttls();
    return session.authenticate("PLAIN", username, password);
}

// A file's permission bits as "0600".
std::string mode_of(const std::string& path) {
    struct stat info {};
    require(stat(path.c_str(), &info) == 0, "no file at " + path);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return mode;
}

void require_mode(const std::string& path, const std::string& expected) {
    const std::string mode = mode_of(path);
    require(mode == expected, path + " has mode " + mode + ", expected " + expected);
}

void require_login_works(const server_fixture& server, const std::string& username,
                         const std::string& password) {
    auto result = plain_attempt(server, username, password);
    require(result.name == "success" && result.ns == ns::sasl,
            "login of " + username + " with '" + password + "' failed: " + result.to_string());
}

void require_login_refused(const server_fixture& server, const std::string& username,
                           const std::string& password) {
    auto result = plain_attempt(server, username, password);
    require(result.name == "failure" && result.child("not-authorized", ns::sasl) != nullptr,
            "login of " + username + " with '" + password + "' was not refused with "
            "<not-authorized/>: " + result.to_string());
}

void require_ping_answered(strophe_client& client, const std::string& id) {
    auto reply = client.request("<iq type='get' id='" + id +
                                    "' to='example.test'><ping xmlns='urn:xmpp:ping'/></iq>",
                                id);
    require(stanza_attribute(reply.get(), "type") == "result",
            "ping " + id + " failed: " + stanza_text(reply.get()));
}

void require_stream_error(strophe_client& client, const std::string& condition,
                          const std::string& why) {
    require(client.wait_disconnected(), "the session stayed connected after " + why);
    require(client.stream_error() == condition,
            "expected <" + condition + "/> after " + why + ", got " +
                (client.stream_error_text().empty() ? "no stream error"
                                                    : client.stream_error_text()));
}

}  // namespace

// --- The server stopped: starlingctl works on the database itself. ---

STARLING_SCENARIO(ctl_adduser_then_exists) {
    server_fixture server(options);
    require_exact(server.ctl({"adduser", alice.jid, alice.password}), 0,
                  "added a@example.test\n", "adduser");
    auto again = server.ctl({"adduser", alice.jid, "another-password"});
    require_exact(again, 1, "", "adduser of an existing account");
    require_contains(again.err, "exists", "stderr of adduser of an existing account");
    server.start();
    require_login_works(server, alice.localpart, alice.password);
}

STARLING_SCENARIO(ctl_passwd_replaces_password) {
    server_fixture server(options);
    server.add_account(alice.jid, alice.password);
    require_exact(server.ctl({"passwd", alice.jid, "the-new-secret"}), 0,
                  "password changed for a@example.test\n", "passwd");
    auto missing = server.ctl({"passwd", "nobody@example.test", "whatever-1"});
    require_exact(missing, 1, "", "passwd of a missing account");
    require_contains(missing.err, "no such account", "stderr of passwd of a missing account");
    server.start();
    require_login_works(server, alice.localpart, "the-new-secret");
    require_login_refused(server, alice.localpart, alice.password);
}

STARLING_SCENARIO(ctl_users_lists_accounts_sorted) {
    server_fixture server(options);
    for (const char* jid : {"carol@example.test", "a@example.test", "bob@example.test",
                            "zed@other.test"})
        server.add_account(jid, "secret-for-all");
    require_exact(server.ctl({"users", "example.test"}), 0,
                  "a@example.test\nbob@example.test\ncarol@example.test\n", "users example.test");
    require_exact(server.ctl({"users", "other.test"}), 0, "zed@other.test\n", "users other.test");
    auto unknown = server.ctl({"users", "nowhere.test"});
    require_exact(unknown, 2, "", "users of a host that is not served");
    require_contains(unknown.err, "nowhere.test", "stderr of users nowhere.test");
}

STARLING_SCENARIO(ctl_deluser_then_login_fails) {
    server_fixture server(options);
    server.add_account(alice.jid, alice.password);
    server.add_account(bob.jid, bob.password);
    require_exact(server.ctl({"deluser", alice.jid}), 0, "deleted a@example.test\n", "deluser");
    auto again = server.ctl({"deluser", alice.jid});
    require_exact(again, 1, "", "deluser of a missing account");
    require_contains(again.err, "no such account a@example.test", "stderr of deluser again");
    require_exact(server.ctl({"users", "example.test"}), 0, "b@example.test\n",
                  "users after deluser");
    server.start();
    require_login_refused(server, alice.localpart, alice.password);
    require_login_works(server, bob.localpart, bob.password);
}

STARLING_SCENARIO(ctl_adduser_bad_jid_is_usage_error) {
    server_fixture server(options);
    auto foreign = server.ctl({"adduser", "a@nowhere.test", "some-password"});
    require_exact(foreign, 2, "", "adduser on a host that is not served");
    require_contains(foreign.err, "'nowhere.test' is not a host of this server",
                     "stderr of adduser a@nowhere.test");
    auto full = server.ctl({"adduser", "a@example.test/phone", "some-password"});
    require_exact(full, 2, "", "adduser of a full JID");
    require_contains(full.err, "is not an account JID", "stderr of adduser a@example.test/phone");
    require_exact(server.ctl({"users", "example.test"}), 0, "", "users after refused addusers");
}

STARLING_SCENARIO(ctl_adduser_reads_password_from_stdin) {
    server_fixture server(options);
    // Standard input is a file, not a terminal: one line is read, without its newline.
    require_exact(server.ctl({"adduser", alice.jid}, "piped-secret-9\nsecond line\n"), 0,
                  "added a@example.test\n", "adduser with the password on stdin");
    require_exact(server.ctl({"passwd", bob.jid}, "x\n"), 1, "", "passwd of a missing account");
    server.start();
    require_login_works(server, alice.localpart, "piped-secret-9");
    require_login_refused(server, alice.localpart, "piped-secret-9\n");
}

STARLING_SCENARIO(ctl_check_config_ok) {
    server_fixture server(options);
    require_exact(server.ctl({"check-config"}), 0, server.config_path() + ": OK\n",
                  "check-config");
}

STARLING_SCENARIO(ctl_check_config_unknown_key) {
    server_fixture server(options);
    server.extra_config = "no_such_setting: 1\n";
    server.write_config();
    const int line = server.config_line_of("no_such_setting");
    auto result = server.ctl({"check-config"});
    require_exact(result, 4, "", "check-config of a config with an unknown key");
    require_contains(result.err, server.config_path() + ":" + std::to_string(line) +
                                     ": no_such_setting",
                     "stderr of check-config");
}

STARLING_SCENARIO(ctl_check_config_bad_value) {
    server_fixture server(options);
    server.extra_config = "limits:\n  preauth_timeout: soon\n";
    server.write_config();
    const int line = server.config_line_of("preauth_timeout");
    auto result = server.ctl({"check-config"});
    require_exact(result, 4, "", "check-config of a config with a bad duration");
    require_contains(result.err, server.config_path() + ":" + std::to_string(line) +
                                     ": limits.preauth_timeout",
                     "stderr of check-config");
    // Every command reads the config first, so the account commands fail the same way.
    require_exit(server.ctl({"adduser", alice.jid, alice.password}), 4, "adduser, bad config");
}

// Every migration of the source tree is applied: against an installed tree (make installcheck)
// this fails when schemas/local.mk misses one, as it once missed 009-012.
STARLING_SCENARIO(ctl_db_migrate) {
    server_fixture server(options);
    const auto migrations = std::count_if(
        std::filesystem::directory_iterator(options.srcdir + "/schemas/" + options.driver),
        std::filesystem::directory_iterator(),
        [](const auto& entry) { return entry.path().extension() == ".sql"; });
    require_exact(server.ctl({"db", "migrate"}), 0,
                  "applied " + std::to_string(migrations) + " migration(s)\n",
                  "db migrate on a new database");
    require_exact(server.ctl({"db", "migrate"}), 0, "applied 0 migration(s)\n",
                  "db migrate again");
    server.add_account(alice.jid, alice.password);
}

STARLING_SCENARIO(ctl_version) {
    server_fixture server(options);
    require_exact(server.ctl({"version"}), 0, "starlingctl 0.1.0\n", "version");
}

STARLING_SCENARIO(ctl_server_commands_when_stopped) {
    server_fixture server(options);
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"sessions"}, {"status"}, {"reload"}, {"kick", alice.jid}}) {
        auto result = server.ctl(command);
        require_exact(result, 3, "", command[0] + " with the server stopped");
        require_contains(result.err, "the server is not running",
                         "stderr of " + command[0] + " with the server stopped");
    }
}

STARLING_SCENARIO(ctl_unknown_command) {
    server_fixture server(options);
    auto result = server.ctl({"frobnicate"});
    require_exact(result, 2, "", "an unknown command");
    require_contains(result.err, "unknown command 'frobnicate'", "stderr of an unknown command");
    require_exit(server.ctl({}), 2, "no command at all");
    require_exit(server.ctl({"--no-such-option", "users", "example.test"}), 2,
                 "an unknown option");
}

// --- The server running: the commands go through the control socket. ---

STARLING_SCENARIO(ctl_sessions_lists_full_jids) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    auto result = server.ctl({"sessions"});
    require_exit(result, 0, "sessions");
    auto lines = lines_of(result.out);
    require(lines.size() == 2, "expected two sessions: " + result.describe());
    const std::string expected[] = {"a@example.test/desk", "b@example.test/phone"};
    for (std::size_t i = 0; i < 2; ++i) {
        const auto tab = lines[i].find('\t');
        require(tab != std::string::npos && lines[i].substr(0, tab) == expected[i],
                "line " + std::to_string(i + 1) + " does not start with " + expected[i] +
                    " and a tab: " + result.describe());
    }
}

STARLING_SCENARIO(ctl_kick_full_jid) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    require_exact(server.ctl({"kick", "a@example.test/desk"}), 0, "kicked 1 session(s)\n",
                  "kick a@example.test/desk");
    require_stream_error(a, "policy-violation", "kick");
    require(b.connected(), "kick closed the other account's session: " + b.stream_error_text());
    require_ping_answered(b, "after-kick");
    auto nobody = server.ctl({"kick", "a@example.test/desk"});
    require_exact(nobody, 1, "", "kick of a JID without a session");
    require_contains(nobody.err, "has no session", "stderr of kick without a session");
    auto left = server.ctl({"sessions"});
    require_exit(left, 0, "sessions after kick");
    auto lines = lines_of(left.out);
    require(lines.size() == 1 && lines[0].rfind(b.bound_jid() + "\t", 0) == 0,
            "sessions after kick: " + left.describe());
}

STARLING_SCENARIO(ctl_status_running) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    a.login();
    b.login();
    auto result = server.ctl({"status"});
    require_exit(result, 0, "status");
    auto lines = lines_of(result.out);
    require(!lines.empty() && lines[0] == "running", "status does not start with running: " +
                                                         result.describe());
    auto has_line = [&](const std::string& line) {
        require(std::find(lines.begin(), lines.end(), line) != lines.end(),
                "status lacks the line [" + line + "]: " + result.describe());
    };
    has_line("sessions 2");
    has_line("host example.test disco ping version time");
    has_line("host other.test disco ping version time");
    has_line("listen c2s 127.0.0.1:" + std::to_string(server.c2s_port()));
    has_line("listen c2s_tls 127.0.0.1:" + std::to_string(server.c2s_tls_port()));
}

STARLING_SCENARIO(ctl_reload_valid_and_invalid) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    require_exact(server.ctl({"reload"}), 0, "reloaded\n", "reload");
    server.write_config_text(server.config_text() + "no_such_setting: 1\n");
    auto rejected = server.ctl({"reload"});
    require_exact(rejected, 4, "", "reload of an invalid config");
    require_contains(rejected.err, "no_such_setting", "stderr of a rejected reload");
    require(server.running(), "starlingd exited after a rejected reload");
    require(a.connected(), "a reload dropped the session: " + a.stream_error_text());
    require_ping_answered(a, "after-reload");
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    b.login();
}

STARLING_SCENARIO(ctl_adduser_while_running) {
    server_fixture server(options);
    start_with_accounts(server);
    require_exact(server.ctl({"adduser", "carol@example.test"}, "carol-secret-3\n"), 0,
                  "added carol@example.test\n", "adduser while running");
    // The server, not starlingctl, ran it: the control socket logs each command it serves.
    require_contains(server.log_text(), "control: adduser -> 0", "the server log");
    strophe_client carol("carol@example.test/new", "carol-secret-3", server.c2s_port());
    carol.login();
    require_exact(server.ctl({"users", "example.test"}), 0,
                  "a@example.test\nb@example.test\ncarol@example.test\n", "users while running");
    require_exact(server.ctl({"adduser", "carol@example.test", "x-1"}), 1, "",
                  "adduser of an existing account while running");
}

STARLING_SCENARIO(ctl_deluser_while_running_disconnects) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(bob.jid, bob.password, server.c2s_port());
    a.login();
    b.login();
    require_exact(server.ctl({"deluser", alice.jid}), 0, "deleted a@example.test\n",
                  "deluser while running");
    require_stream_error(a, "not-authorized", "deluser");
    require(b.connected(), "deluser closed another account's session");
    require_login_refused(server, alice.localpart, alice.password);
}

STARLING_SCENARIO(ctl_control_socket_mode_0600) {
    server_fixture server(options);
    server.start();
    struct stat info {};
    require(stat(server.control_socket_path().c_str(), &info) == 0,
            "no control socket at " + server.control_socket_path());
    require(S_ISSOCK(info.st_mode), server.control_socket_path() + " is not a socket");
    require_mode(server.control_socket_path(), "0600");
}

// The SQLite database, with every account's SCRAM secrets and the archive, was created 0644
// under the usual umask, and so were its -wal and -shm files: any local user could read them.
// Under umask 022 (this scenario runs in a process of its own), on a fresh directory, the server
// creates all three 0600; and so does starlingctl when it creates the database first.
STARLING_SCENARIO(sqlite_database_files_not_readable_by_others) {
    runner_options sqlite = options;
    sqlite.driver = "sqlite";
    ::umask(022);
    {
        server_fixture server(sqlite);
        server.start();
        // The running server holds the database open in WAL mode, so all three files exist.
        const auto added = server.ctl({"adduser", alice.jid, alice.password});
        require(added.exited_with(0), "adduser: " + added.describe());
        require_login_works(server, "a", alice.password);
        for (const char* suffix : {"", "-wal", "-shm"})
            require_mode(server.sqlite_path() + suffix, "0600");
    }
    server_fixture server(sqlite);
    server.add_account(alice.jid, alice.password);  // starlingctl opens and creates the file
    require_mode(server.sqlite_path(), "0600");
    server.start();
    require_login_works(server, "a", alice.password);
    for (const char* suffix : {"", "-wal", "-shm"})
        require_mode(server.sqlite_path() + suffix, "0600");
}

// An existing database that others may read is not chmod'ed behind the operator's back (it may
// be shared with a backup group on purpose); the log names every such file and the command.
STARLING_SCENARIO(sqlite_database_open_to_others_is_warned_not_changed) {
    runner_options sqlite = options;
    sqlite.driver = "sqlite";
    ::umask(022);
    server_fixture server(sqlite);
    server.add_account(alice.jid, alice.password);
    require(chmod(server.sqlite_path().c_str(), 0640) == 0, "chmod of the test database");
    server.start();
    require_login_works(server, "a", alice.password);
    const std::string db = server.sqlite_path();
    const std::string files = " '" + db + "' '" + db + "-wal' '" + db + "-shm'";
    require_contains(server.log_text(),
                     "storage: the SQLite database" + files +
                         " can be read by other local users, and it holds every account's "
                         "SCRAM secrets and the message archive; run: chmod 600" +
                         files,
                     "the log");
    for (const char* suffix : {"", "-wal", "-shm"}) require_mode(db + suffix, "0640");
}

}  // namespace starling::scenarios
