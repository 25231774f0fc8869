// starlingd: the Starling XMPP server. Runs in the foreground; see starlingd(8).

#include "core/command_registry.hpp"
#include "core/config.hpp"
#include "core/logging.hpp"
#include "core/server.hpp"
#include "net/tls_buffer_pool.hpp"

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

namespace po = boost::program_options;

int main(int argc, char** argv) {
    // Before anything touches OpenSSL, which accepts memory functions only until it allocates.
    const bool tls_buffers_pooled = starling::net::install_tls_buffer_pool();
    po::options_description options("Usage: starlingd [options]");
    options.add_options()("help,h", "show this help")("version", "print the version")(
        "config,c", po::value<std::string>()->default_value(STARLING_SYSCONF_DIR "/starling.yml"),
        "configuration file")("check-config", "validate the configuration and exit");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, options), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "starlingd: " << e.what() << "\n" << options;
        return starling::exit_status::usage;
    }
    if (vm.count("help")) {
        std::cout << options;
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "starlingd " PACKAGE_VERSION "\n";
        return 0;
    }

    // Signals are taken by the server's signal set, installed before it listens (Server::start):
    // one that comes earlier, before any client could connect, ends the process at once.
    starling::config::Config config;
    try {
        config = starling::config::load(vm["config"].as<std::string>());
    } catch (const std::exception& e) {
        std::cerr << "starlingd: " << e.what() << "\n";
        return 3;
    }
    if (vm.count("check-config")) {
        std::cout << config.path << ": OK\n";
        return 0;
    }
    std::signal(SIGPIPE, SIG_IGN);
    starling::apply_logging(config.log);
    if (!tls_buffers_pooled)
        spdlog::warn("OpenSSL allocated before starlingd could give it its buffer pool: TLS record "
                     "buffers come from malloc for every record");
    try {
        starling::Server server(std::move(config));
        server.start();
        return server.run();
    } catch (const starling::config::ConfigError& e) {
        // A module that rejects its options is a configuration error, like any other.
        spdlog::critical("{}", e.what());
        std::cerr << "starlingd: " << e.what() << "\n";
        return 3;
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        std::cerr << "starlingd: " << e.what() << "\n";
        return 1;
    }
}
