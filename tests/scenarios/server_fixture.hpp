#pragma once

#include "certificate.hpp"
#include "postgres_database.hpp"
#include "process.hpp"
#include "scenario.hpp"
#include "temp_dir.hpp"

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace starling::scenarios {

/// The virtual hosts every fixture serves; certificates are made for both (other.test via SNI).
inline constexpr const char* main_host = "example.test";
inline constexpr const char* other_host = "other.test";

/// A live starlingd on loopback: its own directory, certificates, free ports, config, database
/// and accounts. The server is started by `start` and stopped by PID, never by name.
class server_fixture {
public:
    explicit server_fixture(const runner_options& options);
    ~server_fixture();
    server_fixture(const server_fixture&) = delete;
    server_fixture& operator=(const server_fixture&) = delete;

    /// Creates an account with `starlingctl adduser`, which must exit 0.
    void add_account(const std::string& jid, const std::string& password);

    /// Starts starlingd and waits (bounded) until both c2s ports accept connections.
    void start();

    /// SIGTERM, then SIGKILL after `grace`; returns the wait status (killed means it failed).
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

    /// SIGKILL at once (a crash), then reaps the process; returns the wait status.
    int kill();

    /// Sends `signal_number` to the server process.
    void send_signal(int signal_number);

    /// True while the server process has not exited.
    bool running();

    /// The server's PID, for reading what /proc says of it; fails the scenario when not running.
    pid_t pid() const;

    /// Rewrites the config file from the settings below (used before start and for SIGHUP).
    void write_config();

    /// Replaces the config file with `yaml` verbatim (for invalid configs).
    void write_config_text(const std::string& yaml);

    std::string config_text() const;

    /// Runs `starlingctl --config FILE args...` with `input` on its standard input.
    split_result ctl(const std::vector<std::string>& args, const std::string& input = "") const;

    /// Runs `starlingd --config FILE args...` to completion (for start-up failures and
    /// --check-config), killing it after `timeout`.
    split_result run_starlingd(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout) const;

    /// The 1-based line of the config file that first contains `text`, 0 if none does.
    int config_line_of(const std::string& text) const;

    /// starlingd's log file followed by what it wrote to stdout and stderr.
    std::string log_text() const;

    std::uint16_t c2s_port() const { return c2s_port_; }
    std::uint16_t c2s_tls_port() const { return c2s_tls_port_; }
    const certificate_files& main_certificate() const { return main_certificate_; }
    const certificate_files& other_certificate() const { return other_certificate_; }
    const std::string& config_path() const { return config_path_; }
    std::string control_socket_path() const { return dir_.file("ctl.sock"); }
    /// The SQLite database file (with the sqlite driver), for tests that read what was stored.
    std::string sqlite_path() const { return dir_.file("db.sqlite"); }
    /// The conninfo of the scenario's own PostgreSQL database, "" with the sqlite driver.
    std::string postgres_conninfo() const { return database_ ? database_->conninfo() : ""; }

    /// Settings written into the config; change them and call write_config.
    std::string log_level = "debug";
    /// The value of `modules:`, a flow list or a block list starting on the next line.
    std::string modules = "[disco, ping, version, time]";
    /// Further listeners appended verbatim to `listen:` (e.g. "  - {type: component, ...}\n").
    std::string extra_listen;
    /// Further top-level settings appended verbatim (e.g. "limits: {preauth_timeout: 2s}\n").
    std::string extra_config;

private:
    std::string storage_yaml() const;
    std::string tail_of_log() const;

    runner_options options_;
    temp_dir dir_;
    std::unique_ptr<postgres_database> database_;
    certificate_files main_certificate_;
    certificate_files other_certificate_;
    std::uint16_t c2s_port_;
    std::uint16_t c2s_tls_port_;
    std::string config_path_;
    std::optional<pid_t> pid_;
};

}  // namespace starling::scenarios
