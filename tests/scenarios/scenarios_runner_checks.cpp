// The runner's own checks, proved against a live server: a starlingd that crashes (a signal sent
// by PID behind the fixture's back, as a segfault or an abort would end it), exits unasked, or
// writes a sanitizer report fails its scenario, while one stopped or killed as asked does not;
// and a wait for "nothing arrives" fails when the stream it watches is dead. Each provokes the
// failure, asserts it was reported, and takes the finding back so the runner counts a pass.
#include "client_steps.hpp"
#include "ctl_checks.hpp"
#include "scripted_component.hpp"
#include "server_failures.hpp"
#include "sm_client.hpp"
#include "test_accounts.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <csignal>
#include <fstream>
#include <functional>

namespace starling::scenarios {
namespace {

using std::chrono::milliseconds;

// The failure `step` ends with, "" if it ends well.
std::string failure_of(const std::function<void()>& step) {
    try {
        step();
    } catch (const scenario_failure& failure) {
        return failure.what();
    }
    return "";
}

// The single finding recorded since the last look, which must say each of `parts`.
void require_one_finding(const std::vector<std::string>& parts, const std::string& what) {
    const auto findings = take_server_failures();
    std::string all;
    for (const auto& finding : findings) all += "[" + finding + "] ";
    require(findings.size() == 1,
            what + ": expected one finding, got " + std::to_string(findings.size()) + ": " + all);
    for (const auto& part : parts) require_contains(findings.front(), part, what);
}

void require_no_finding(const std::string& what) {
    const auto findings = take_server_failures();
    require(findings.empty(),
            what + " was reported as a failure: " + (findings.empty() ? "" : findings.front()));
}

// Waits until `pid` has ended without reaping it, so the fixture still finds it to judge.
void wait_until_dead(pid_t pid) {
    siginfo_t info{};
    require(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) == 0,
            "waitid on starlingd failed");
}

// A server started for these checks; signals crash it without leaving a core file behind.
void start_crash_target(server_fixture& server) {
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    server.start();
}

}  // namespace

STARLING_SCENARIO(runner_fails_a_scenario_whose_server_crashed) {
    {
        server_fixture server(options);
        start_crash_target(server);
        const pid_t pid = server.pid();
        // SIGILL, a crash no sanitizer intercepts: a sanitized starlingd turns a SIGSEGV into
        // its own report and an exit 1, two findings (an unasked exit and a crash report, each
        // checked on its own below and in the next scenario).
        kill(pid, SIGILL);
        wait_until_dead(pid);
    }  // the fixture's destructor finds it dead
    require_one_finding({"starlingd died of signal 4", "while nothing asked it to stop"},
                        "a server that died of SIGILL during the scenario");

    server_fixture server(options);
    start_crash_target(server);
    kill(server.pid(), SIGABRT);
    wait_until_dead(server.pid());
    const int status = server.stop();
    require(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
            "stop() of an aborted server returned " + describe_status(status));
    require_one_finding({"starlingd died of signal 6", "while nothing asked it to stop"},
                        "a server that aborted before stop()");

    // Exit 0 is not enough: a server that exits when nothing asked it to has stopped serving.
    server.start();
    kill(server.pid(), SIGTERM);
    wait_until_dead(server.pid());
    require(!server.running(), "starlingd still runs after SIGTERM");
    require_one_finding({"starlingd ended with exit 0 while nothing asked it to stop"},
                        "a server that exited unasked");

    // What the fixture asks for is no failure: a clean stop, a kill, a SIGTERM it sent.
    server.start();
    require(server.stop() == 0, "the server did not stop cleanly");
    server.start();
    const int killed = server.kill();
    require(WIFSIGNALED(killed) && WTERMSIG(killed) == SIGKILL,
            "kill() returned " + describe_status(killed));
    server.start();
    server.send_signal(SIGTERM);
    wait_until_dead(server.pid());
    require(!server.running(), "starlingd still runs after the SIGTERM the fixture sent");
    require_no_finding("a server stopped, killed and terminated as asked");
}

STARLING_SCENARIO(runner_fails_a_scenario_whose_server_wrote_a_crash_report) {
    // The reports as the sanitizers and the C++ runtime write them, and a log that has none.
    const std::string asan =
        "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc "
        "0x55d5 bp 0x7ffd sp 0x7ffd\nREAD of size 8 at 0x602000000010 thread T3\n";
    const std::string ubsan =
        "../src/core/router.cpp:120:17: runtime error: signed integer overflow: 2147483647 + 1 "
        "cannot be represented in type 'int'\n";
    const std::string leak =
        "==4242==ERROR: LeakSanitizer: detected memory leaks\n\nDirect leak of 64 byte(s)\n";
    const std::string terminate =
        "terminate called after throwing an instance of 'std::out_of_range'\n  what():  "
        "vector::_M_range_check\n";
    const std::string assertion =
        "starlingd: ../src/xml/parser.cpp:88: void f(): Assertion `depth_ > 0' failed.\n";
    const std::string quiet_log = "[info] c2s 127.0.0.1:4000: a@example.test/desk logged out\n";
    // ASan opens with a rule; the report is taken from the line that names the error.
    const std::string rule = std::string(65, '=') + "\n";
    for (const auto& report : {asan, ubsan, leak, terminate, assertion})
        require(crash_report_in(quiet_log + rule + report) == report,
                "not recognized as a crash report: " + report);
    require(crash_report_in(quiet_log).empty(), "a plain log line taken for a crash report");

    // Written to starlingd's stdout and stderr while it runs, as UBSan does without stopping it:
    // the report fails the scenario though the server stops cleanly.
    server_fixture server(options);
    server.start();
    {
        std::ofstream out(server.output_path(), std::ios::app);
        out << ubsan;
    }
    require(server.stop() == 0, "the server did not stop cleanly");
    require_one_finding({"starlingd wrote a crash report to " + server.output_path(),
                         "runtime error: signed integer overflow"},
                        "a sanitizer report in starlingd.out");
    server.start();
    require(server.stop() == 0, "the server did not stop cleanly after a restart");
    require_no_finding("a restart after a report already reported");
}

STARLING_SCENARIO(nothing_arrived_fails_on_a_dead_stream) {
    server_fixture server(options);
    const auto port = add_component_listener(server, "push.example.test", "secret");
    start_with_accounts(server);

    // libstrophe: a session kicked by the administrator is no witness that nothing came.
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    require(failure_of([&] {
                require_nothing(a, any_message, "a message", milliseconds(200));
            }).empty(),
            "require_nothing failed on a live stream");
    require(server.ctl({"kick", a.bound_jid()}).exited_with(0), "kick failed");
    const std::string kicked =
        failure_of([&] { require_nothing(a, any_message, "a message", milliseconds(500)); });
    require_contains(kicked, "stream ended: ", "require_nothing on a kicked session");
    require_contains(kicked, "policy-violation", "require_nothing on a kicked session");

    // A raw client: the stream error of the kick arrives, then the stream is over.
    sm_client b(server.c2s_port());
    b.login(bob, "phone");
    b.require_quiet(milliseconds(200), "nothing was sent");
    require(server.ctl({"kick", b.jid()}).exited_with(0), "kick failed");
    require_contains(failure_of([&] { b.require_quiet(milliseconds(500), "nothing was sent"); }),
                     "<error xmlns='http://etherx.jabber.org/streams'",
                     "require_quiet when the stream error comes");
    require_contains(failure_of([&] { b.require_quiet(milliseconds(500), "nothing was sent"); }),
                     "the stream ended instead", "require_quiet on the ended stream");

    // A component whose stream the server closed.
    scripted_component component(port);
    component.connect("push.example.test", "secret");
    component.expect_nothing(milliseconds(200), "nothing was sent");
    component.send("</stream:stream>");
    require_contains(failure_of([&] { component.expect_nothing(milliseconds(500), "a stanza"); }),
                     "the stream ended while nothing was to arrive (the server closed",
                     "expect_nothing on a closed component stream");
}

}  // namespace starling::scenarios
