#pragma once
// A crash is a failure: what went wrong with a process a scenario ran (starlingd dying on its own,
// a sanitizer report in what it wrote) is recorded here, where no exception can carry it (a
// fixture's destructor, a stop the scenario went on from), and the runner fails the scenario with
// it after the scenario returns. So no scenario can pass over a crash by forgetting to look.

#include <string>
#include <vector>

namespace starling::scenarios {

/// Records `what` (one finding, with the evidence: the status, the report, the log's tail) as a
/// failure of the scenario that is running.
void report_server_failure(std::string what);

/// Takes every finding recorded since the last call, oldest first, and forgets them. The runner
/// calls it after each scenario; a scenario that provokes a failure on purpose (the runner's
/// self-tests) calls it to assert on the finding and to keep it from failing the scenario.
std::vector<std::string> take_server_failures();

/// Records a failure when a command the fixture ran (`program`: starlingd or starlingctl) died of
/// a signal other than SIGKILL (which is how a run that outlived its bound ends), or when its
/// `output` holds a crash report. Its exit status is left to the scenario.
void report_if_crashed(const std::string& program, int status, const std::string& output);

/// The crash or sanitizer report in a process's output, from its first line to at most
/// `limit` characters on, or "" if there is none: an AddressSanitizer, LeakSanitizer or
/// ThreadSanitizer report, an UndefinedBehaviorSanitizer "runtime error:", an uncaught exception
/// ("terminate called") or a failed assert().
std::string crash_report_in(const std::string& output, std::size_t limit = 2000);

}  // namespace starling::scenarios
