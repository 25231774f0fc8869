#include "server_fixture.hpp"

#include "free_port.hpp"
#include "process.hpp"
#include "server_failures.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

namespace starling::scenarios {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// How long starlingd may take to shut down at the end of a scenario; a clean shutdown is well
// under a second, and DESIGN.md bounds it however much is queued.
constexpr auto teardown_grace = std::chrono::seconds(10);

// "signal 11 (Segmentation fault)".
std::string signal_description(int status) {
    const int number = WTERMSIG(status);
    return "signal " + std::to_string(number) + " (" + strsignal(number) + ")";
}

}  // namespace

namespace {

certificate_files host_certificate(const std::string& dir, const fixture_domains& domains,
                                   const std::string& domain) {
    return domains.ca ? make_signed_certificate(dir, *domains.ca, domain)
                      : make_self_signed_certificate(dir, domain);
}

}  // namespace

server_fixture::server_fixture(const runner_options& options, const fixture_domains& domains)
    : options_(options),
      domains_(domains),
      main_certificate_(host_certificate(dir_.path(), domains_, domains_.main)),
      other_certificate_(host_certificate(dir_.path(), domains_, domains_.other)),
      c2s_port_(free_loopback_port()),
      c2s_tls_port_(free_loopback_port()),
      config_path_(dir_.file("starling.yml")) {
    require(options_.driver == "sqlite" || options_.driver == "postgres",
            "unknown storage driver '" + options_.driver + "'");
    if (options_.driver == "postgres")
        database_ = std::make_unique<postgres_database>(options_.conninfo);
    // Two consecutive port-0 binds can in principle return the same port.
    while (c2s_tls_port_ == c2s_port_) c2s_tls_port_ = free_loopback_port();
    write_config();
}

server_fixture::~server_fixture() {
    // A destructor cannot fail the scenario: what it finds goes to report_server_failure.
    try {
        if (pid_) shut_down_at_teardown();
    } catch (const std::exception& error) {
        report_server_failure(std::string("stopping starlingd at the end of the scenario: ") +
                              error.what());
    } catch (...) {
        report_server_failure("stopping starlingd at the end of the scenario failed");
    }
}

void server_fixture::shut_down_at_teardown() {
    if (!running()) return;  // it ended by itself: running() reaped it and judged that
    asked_to_exit_ = true;
    ::kill(*pid_, SIGTERM);
    if (auto status = wait_process(*pid_, teardown_grace)) return reaped(*status);
    asked_to_die_ = true;
    ::kill(*pid_, SIGKILL);
    wait_process(*pid_, std::chrono::seconds(5));
    pid_.reset();
    report_server_failure("starlingd did not exit within " +
                          std::to_string(teardown_grace.count()) +
                          " s of SIGTERM at the end of the scenario: " + tail_of_log());
    check_output();
}

void server_fixture::reaped(int status) {
    const bool asked_to_exit = std::exchange(asked_to_exit_, false);
    const bool asked_to_die = std::exchange(asked_to_die_, false);
    pid_.reset();
    std::string problem;
    if (WIFSIGNALED(status) && !(asked_to_die && WTERMSIG(status) == SIGKILL))
        problem = "died of " + signal_description(status);
    else if (WIFEXITED(status) && !(asked_to_exit && WEXITSTATUS(status) == 0))
        problem = "ended with " + describe_status(status);
    if (!problem.empty()) {
        const std::string asked = asked_to_exit  ? "after SIGTERM"
                                  : asked_to_die ? "after SIGKILL"
                                                 : "while nothing asked it to stop";
        report_server_failure("starlingd " + problem + " " + asked + ": " + tail_of_log());
    }
    check_output();
}

void server_fixture::check_output() {
    const std::pair<std::string, std::size_t*> outputs[] = {
        {dir_.file("starlingd.log"), &log_checked_}, {output_path(), &out_checked_}};
    for (const auto& [path, checked] : outputs) {
        const std::string text = read_file(path);
        if (text.size() <= *checked) continue;
        const std::string report = crash_report_in(text.substr(*checked));
        *checked = text.size();
        if (!report.empty())
            report_server_failure("starlingd wrote a crash report to " + path + ": " + report);
    }
}

std::string server_fixture::storage_yaml() const {
    if (database_) return "  driver: postgres\n  conninfo: \"" + database_->conninfo() + "\"\n";
    return "  driver: sqlite\n  path: " + dir_.file("db.sqlite") + "\n";
}

void server_fixture::write_config() {
    std::ostringstream yaml;
    yaml << "hosts: [" << domains_.main << ", " << domains_.other << "]\n"
         << "listen:\n"
         << "  - {type: c2s, address: 127.0.0.1, port: " << c2s_port_ << "}\n"
         << "  - {type: c2s_tls, address: 127.0.0.1, port: " << c2s_tls_port_ << "}\n"
         << extra_listen << "tls:\n"
         << "  certificate: " << main_certificate_.certificate << "\n"
         << "  key: " << main_certificate_.key << "\n"
         << "  hosts:\n"
         << "    " << domains_.other << ":\n"
         << "      certificate: " << other_certificate_.certificate << "\n"
         << "      key: " << other_certificate_.key << "\n"
         << "storage:\n"
         << storage_yaml() << "module_path: " << options_.module_dir << "\n"
         << "schema_path: " << options_.schema_dir << "\n"
         << "modules: " << modules << "\n"
         << "log:\n"
         << "  level: " << log_level << "\n"
         << "  file: " << dir_.file("starlingd.log") << "\n"
         << "control_socket: " << control_socket_path() << "\n"
         << extra_config;
    write_config_text(yaml.str());
}

void server_fixture::write_config_text(const std::string& yaml) {
    // Write then rename, so a SIGHUP never catches a half-written file.
    const std::string staging = config_path_ + ".new";
    {
        std::ofstream out(staging, std::ios::trunc);
        out << yaml;
        require(static_cast<bool>(out), "cannot write " + staging);
    }
    require(std::rename(staging.c_str(), config_path_.c_str()) == 0,
            "cannot rename " + staging + " to " + config_path_);
}

std::string server_fixture::config_text() const {
    return read_file(config_path_);
}

split_result server_fixture::ctl(const std::vector<std::string>& args,
                                 const std::string& input) const {
    std::vector<std::string> argv{options_.starlingctl, "--config", config_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run_split(argv, input, std::chrono::seconds(30));
    report_if_crashed("starlingctl", result.status, result.out + result.err);
    return result;
}

split_result server_fixture::run_starlingd(const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout) const {
    std::vector<std::string> argv{options_.starlingd, "--config", config_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run_split(argv, "", timeout);
    report_if_crashed("starlingd", result.status, result.out + result.err);
    return result;
}

int server_fixture::config_line_of(const std::string& text) const {
    std::istringstream lines(config_text());
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number)
        if (line.find(text) != std::string::npos) return number;
    return 0;
}

std::string server_fixture::log_text() const {
    return read_file(dir_.file("starlingd.log")) + read_file(output_path());
}

std::string server_fixture::tail_of_log() const {
    std::string text = log_text();
    constexpr std::size_t limit = 1500;
    if (text.size() > limit) text = "..." + text.substr(text.size() - limit);
    return text;
}

void server_fixture::add_account(const std::string& jid, const std::string& password) {
    auto result =
        run_command({options_.starlingctl, "--config", config_path_, "adduser", jid, password},
                    std::chrono::seconds(30));
    report_if_crashed("starlingctl", result.status, result.output);
    require(result.exited_with(0), "starlingctl adduser " + jid + " failed (" +
                                       describe_status(result.status) + "): " + result.output);
}

void server_fixture::start() {
    require(!pid_, "server already started");
    const std::size_t mark = log_mark();
    pid_ = spawn_process({options_.starlingd, "--config", config_path_}, output_path());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // starlingd says "ready" once every listener listens and its signals are taken. No probe
    // connection: one would hold a connection slot (limits.connections) until the server reads
    // its end, racing the scenario's first connections.
    while (log_since(mark).find("starlingd ready") == std::string::npos) {
        if (auto status = wait_process(*pid_, std::chrono::milliseconds(50))) {
            pid_.reset();
            // An exit with a status is the scenario's to judge (it may want it); a crash is not.
            if (WIFSIGNALED(*status))
                report_server_failure("starlingd died of " + signal_description(*status) +
                                      " during start-up: " + tail_of_log());
            check_output();
            throw scenario_failure("starlingd exited during start-up (" + describe_status(*status) +
                                   "): " + tail_of_log());
        }
        require(std::chrono::steady_clock::now() < deadline,
                "starlingd did not say \"starlingd ready\" within 10 s: " + tail_of_log());
    }
}

int server_fixture::stop(std::chrono::milliseconds grace) {
    require(pid_.has_value(), "server not started");
    // Judged as it was before the SIGTERM, if it ended by itself already.
    if (auto ended = wait_process(*pid_, std::chrono::milliseconds(0))) {
        reaped(*ended);
        return *ended;
    }
    asked_to_exit_ = true;
    ::kill(*pid_, SIGTERM);
    auto status = wait_process(*pid_, grace);
    if (!status) {
        ::kill(*pid_, SIGKILL);
        wait_process(*pid_, std::chrono::seconds(5));
        pid_.reset();
        check_output();
        throw scenario_failure("starlingd did not exit within " + std::to_string(grace.count()) +
                               " ms of SIGTERM: " + tail_of_log());
    }
    reaped(*status);
    return *status;
}

int server_fixture::kill() {
    require(pid_.has_value(), "server not started");
    if (auto ended = wait_process(*pid_, std::chrono::milliseconds(0))) {
        reaped(*ended);
        return *ended;
    }
    asked_to_die_ = true;
    ::kill(*pid_, SIGKILL);
    auto status = wait_process(*pid_, std::chrono::seconds(5));
    if (!status) pid_.reset();
    require(status.has_value(), "starlingd did not die of SIGKILL within 5 s");
    reaped(*status);
    return *status;
}

void server_fixture::send_signal(int signal_number) {
    require(pid_.has_value(), "server not started");
    if (signal_number == SIGTERM || signal_number == SIGINT) asked_to_exit_ = true;
    if (signal_number == SIGKILL) asked_to_die_ = true;
    ::kill(*pid_, signal_number);
}

bool server_fixture::running() {
    if (!pid_) return false;
    if (auto status = wait_process(*pid_, std::chrono::milliseconds(0))) {
        reaped(*status);
        return false;
    }
    return true;
}

pid_t server_fixture::pid() const {
    require(pid_.has_value(), "server not started");
    return *pid_;
}

std::size_t server_fixture::log_mark() const {
    return read_file(dir_.file("starlingd.log")).size();
}

std::string server_fixture::log_since(std::size_t mark) const {
    const std::string log = read_file(dir_.file("starlingd.log"));
    return log.size() > mark ? log.substr(mark) : "";
}

void server_fixture::wait_for_log(const std::string& text, std::size_t mark,
                                  std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const std::string since = log_since(mark);
        if (since.find(text) != std::string::npos) return;
        require(std::chrono::steady_clock::now() < deadline,
                "starlingd did not log '" + text + "' within " + std::to_string(timeout.count()) +
                    " ms; it logged: " +
                    (since.size() > 1500 ? "..." + since.substr(since.size() - 1500) : since));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace starling::scenarios
