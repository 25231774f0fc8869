// Federation with the servers organisations already run: tests/interop/federation/
// federation_test.py starts a Prosody or an ejabberd (Debian's packages, as their own users) and
// the starlingd under test on loopback, with certificates from a private CA; the peer finds
// Starling only through a DNS stub on loopback. Users on both sides then chat with receipts,
// subscribe, probe, fetch last activity, vCards and OMEMO bundles, get PEP notifications, leave
// offline messages, read MAM, join each other's rooms and push to an app server on the other
// domain. Once with certificates (SASL EXTERNAL both ways) and once where neither server trusts
// the other's CA (Server Dialback both ways). Needs root, as the test suite does.
#include "process.hpp"
#include "scenario.hpp"
#include "temp_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <sys/wait.h>
#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>

namespace starling::scenarios {
namespace {

// The harness bounds itself; this is the bound on the bound.
constexpr int harness_seconds = 240;

void federate_with(const runner_options& options, const std::string& peer,
                   const std::string& auth) {
    require(geteuid() == 0, "run as root: " + peer + " is started as its own user");
    temp_dir work;
    // Prosody and ejabberd run as their own users and must reach their directories inside.
    chmod(work.path().c_str(), 0755);
    const std::string output = work.file("harness.out");
    std::vector<std::string> command = {
        options.python,  options.srcdir + "/tests/interop/federation/federation_test.py",
        "--starlingd",   options.starlingd,
        "--starlingctl", options.starlingctl,
        "--module-path", options.module_dir,
        "--schemas",     options.schema_dir,
        "--peer",        peer,
        "--auth",        auth,
        "--work",        work.file("run"),
        "--timeout",     std::to_string(harness_seconds)};
    if (options.verbose) command.push_back("--verbose");
    const pid_t python = spawn_process(command, output);
    auto status = wait_process(python, std::chrono::seconds(harness_seconds + 30));
    if (!status) {
        kill(python, SIGTERM);
        status = wait_process(python, std::chrono::seconds(30));
        if (!status) {
            kill(python, SIGKILL);
            wait_process(python, std::chrono::seconds(5));
        }
    }
    std::ifstream in(output);
    std::ostringstream text;
    text << in.rdbuf();
    // The checks that failed, and the summary, say what went wrong; the rest is noise here.
    std::string failures;
    std::istringstream lines(text.str());
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("FAIL ", 0) == 0 || line.rfind("federation-", 0) == 0 ||
            line.rfind("(took", 0) == 0)
            failures += line.substr(0, 2000) + "\n";
    require(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0,
            "federation with " + peer + " (" + auth + ") failed:\n" + failures);
    require(text.str().find(" 0 failed") != std::string::npos,
            "no summary from the federation harness:\n" + text.str());
}

}  // namespace

STARLING_SCENARIO(federation_with_prosody) {
    federate_with(options, "prosody", "certificates");
}

STARLING_SCENARIO(federation_with_prosody_by_dialback) {
    federate_with(options, "prosody", "dialback");
}

STARLING_SCENARIO(federation_with_ejabberd) {
    federate_with(options, "ejabberd", "certificates");
}

STARLING_SCENARIO(federation_with_ejabberd_by_dialback) {
    federate_with(options, "ejabberd", "dialback");
}

}  // namespace starling::scenarios
