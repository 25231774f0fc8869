#include "server_fixture.hpp"

#include "free_port.hpp"
#include "process.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace starling::scenarios {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool port_accepts(std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return ok;
}

}  // namespace

server_fixture::server_fixture(const runner_options& options)
    : options_(options),
      main_certificate_(make_self_signed_certificate(dir_.path(), main_host)),
      other_certificate_(make_self_signed_certificate(dir_.path(), other_host)),
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
    if (pid_ && running()) {
        kill(*pid_, SIGKILL);
        wait_process(*pid_, std::chrono::seconds(5));
    }
}

std::string server_fixture::storage_yaml() const {
    if (database_) return "  driver: postgres\n  conninfo: \"" + database_->conninfo() + "\"\n";
    return "  driver: sqlite\n  path: " + dir_.file("db.sqlite") + "\n";
}

void server_fixture::write_config() {
    std::ostringstream yaml;
    yaml << "hosts: [" << main_host << ", " << other_host << "]\n"
         << "listen:\n"
         << "  - {type: c2s, address: 127.0.0.1, port: " << c2s_port_ << "}\n"
         << "  - {type: c2s_tls, address: 127.0.0.1, port: " << c2s_tls_port_ << "}\n"
         << extra_listen
         << "tls:\n"
         << "  certificate: " << main_certificate_.certificate << "\n"
         << "  key: " << main_certificate_.key << "\n"
         << "  hosts:\n"
         << "    " << other_host << ":\n"
         << "      certificate: " << other_certificate_.certificate << "\n"
         << "      key: " << other_certificate_.key << "\n"
         << "storage:\n"
         << storage_yaml()
         << "module_path: " << options_.module_dir << "\n"
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

std::string server_fixture::config_text() const { return read_file(config_path_); }

split_result server_fixture::ctl(const std::vector<std::string>& args,
                                 const std::string& input) const {
    std::vector<std::string> argv{options_.starlingctl, "--config", config_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_split(argv, input, std::chrono::seconds(30));
}

split_result server_fixture::run_starlingd(const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout) const {
    std::vector<std::string> argv{options_.starlingd, "--config", config_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_split(argv, "", timeout);
}

int server_fixture::config_line_of(const std::string& text) const {
    std::istringstream lines(config_text());
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number)
        if (line.find(text) != std::string::npos) return number;
    return 0;
}

std::string server_fixture::log_text() const {
    return read_file(dir_.file("starlingd.log")) + read_file(dir_.file("starlingd.out"));
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
    require(result.exited_with(0), "starlingctl adduser " + jid + " failed (" +
                                       describe_status(result.status) + "): " + result.output);
}

void server_fixture::start() {
    require(!pid_, "server already started");
    pid_ =
        spawn_process({options_.starlingd, "--config", config_path_}, dir_.file("starlingd.out"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // Listeners may open one after the other; a scenario may use either.
    while (!port_accepts(c2s_port_) || !port_accepts(c2s_tls_port_)) {
        if (auto status = wait_process(*pid_, std::chrono::milliseconds(50))) {
            pid_.reset();
            throw scenario_failure("starlingd exited during start-up (" +
                                   describe_status(*status) + "): " + tail_of_log());
        }
        require(std::chrono::steady_clock::now() < deadline,
                "starlingd did not accept on ports " + std::to_string(c2s_port_) + " and " +
                    std::to_string(c2s_tls_port_) + " within 10 s: " + tail_of_log());
    }
}

int server_fixture::stop(std::chrono::milliseconds grace) {
    require(pid_.has_value(), "server not started");
    kill(*pid_, SIGTERM);
    auto status = wait_process(*pid_, grace);
    if (!status) {
        kill(*pid_, SIGKILL);
        wait_process(*pid_, std::chrono::seconds(5));
        pid_.reset();
        throw scenario_failure("starlingd did not exit within " +
                               std::to_string(grace.count()) + " ms of SIGTERM");
    }
    pid_.reset();
    return *status;
}

void server_fixture::send_signal(int signal_number) {
    require(pid_.has_value(), "server not started");
    kill(*pid_, signal_number);
}

bool server_fixture::running() {
    if (!pid_) return false;
    if (wait_process(*pid_, std::chrono::milliseconds(0))) {
        pid_.reset();
        return false;
    }
    return true;
}

}  // namespace starling::scenarios
