#pragma once
// Two federated Starlings on loopback, for the scenarios of server-to-server traffic: each serves
// its own domains with certificates one test CA signed and finds the other through `s2s.hosts`.

#include "free_port.hpp"
#include "server_fixture.hpp"
#include "test_accounts.hpp"

#include <optional>
#include <string>

namespace starling::scenarios {

inline constexpr const char* remote_main = "remote.test";
inline constexpr const char* remote_other = "other-remote.test";
inline constexpr const char* carol_jid = "carol@remote.test";
inline constexpr const char* carol_password = "carol-secret-3";

// Gives `server` an s2s listener on `port`, trust in `ca`, where the other servers are, and
// further `settings` of its `s2s` section.
inline void federate(server_fixture& server, std::uint16_t port, const certificate_files& ca,
                     const std::string& extra_hosts, const std::string& settings) {
    server.extra_listen += listen_entry("s2s", port);
    server.extra_config +=
        "s2s:\n" + settings + "  ca_file: \"" + ca.certificate + "\"\n  hosts:\n" + extra_hosts;
    server.write_config();
}

// Two federated Starlings, started: home serves example.test (alice), away remote.test (carol);
// home also knows unreachable.test, where nobody listens.
struct federation {
    /// Whether each server trusts the CA that signed the other's certificate.
    enum class trust { certificates, none };

    temp_dir pki;
    certificate_files ca = make_test_ca(pki.path());
    temp_dir elsewhere;
    certificate_files stranger_ca = make_test_ca(elsewhere.path());
    server_fixture home;
    server_fixture away;

    /// `modules`: both servers' module list; `s2s_settings`: more of both servers' `s2s` (or
    /// `away_settings` for away's when given); `away_config`: more of away's configuration,
    /// outside `s2s`.
    explicit federation(const runner_options& options,
                        const std::string& modules = "[disco, ping, version, time]",
                        const std::string& s2s_settings = "", trust trusted = trust::certificates,
                        const std::optional<std::string>& away_settings = std::nullopt,
                        const std::string& away_config = "")
        : home(options, {main_host, other_host, &ca}),
          away(options, {remote_main, remote_other, &ca}) {
        const auto& trusted_ca = trusted == trust::certificates ? ca : stranger_ca;
        home.modules = modules;
        away.modules = modules;
        const auto home_port = free_loopback_port();
        auto away_port = free_loopback_port();
        while (away_port == home_port) away_port = free_loopback_port();
        auto closed_port = free_loopback_port();
        while (closed_port == home_port || closed_port == away_port)
            closed_port = free_loopback_port();
        federate(home, home_port, trusted_ca,
                 "    remote.test: \"127.0.0.1:" + std::to_string(away_port) +
                     "\"\n    conference.remote.test: \"127.0.0.1:" + std::to_string(away_port) +
                     "\"\n    unreachable.test: \"127.0.0.1:" + std::to_string(closed_port) +
                     "\"\n",
                 s2s_settings);
        away.extra_config += away_config;
        federate(away, away_port, trusted_ca,
                 "    example.test: \"127.0.0.1:" + std::to_string(home_port) +
                     "\"\n    conference.example.test: \"127.0.0.1:" + std::to_string(home_port) +
                     "\"\n    other.test: \"127.0.0.1:" + std::to_string(home_port) + "\"\n",
                 away_settings.value_or(s2s_settings));
        home.add_account(alice.jid, alice.password);
        home.start();
        away.add_account(carol_jid, carol_password);
        away.start();
    }
};

}  // namespace starling::scenarios
