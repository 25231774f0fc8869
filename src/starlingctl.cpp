// starlingctl: administration of a Starling server; see starlingctl(8).

#include "core/command_registry.hpp"
#include "core/config.hpp"
#include "core/control_socket.hpp"
#include "storage/database.hpp"

#include <boost/program_options.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace po = boost::program_options;
using namespace starling;

namespace {

std::string read_secret(const std::string& prompt) {
    std::string line;
    if (!::isatty(STDIN_FILENO)) {
        std::getline(std::cin, line);
        return line;
    }
    std::cerr << prompt << ": " << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~ECHO;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, line);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return line;
}

void print_help(const po::options_description& options, const CommandRegistry& registry) {
    std::cout << "Usage: starlingctl [--config FILE] COMMAND [ARGS]\n\n" << options << "\nCommands:\n";
    for (const auto& spec : registry.all()) {
        std::string line = "  " + CommandRegistry::usage(spec).substr(std::string("usage: starlingctl ").size());
        line.resize(std::max<std::size_t>(line.size() + 1, 34), ' ');
        std::cout << line << spec.description << (spec.needs_server ? " (needs the running server)" : "") << "\n";
    }
    std::cout << "  version                         print the version\n";
}

}  // namespace

int main(int argc, char** argv) {
    // Results go to standard output; the library's own log lines (migrations applied...) are
    // diagnostics, on standard error and only when they matter.
    spdlog::set_default_logger(spdlog::stderr_logger_mt("starlingctl"));
    spdlog::set_level(spdlog::level::warn);
    CommandRegistry registry;
    std::vector<Registration> keep;
    add_core_commands(registry, keep);

    po::options_description options("Options");
    options.add_options()("help,h", "show this help")(
        "config,c", po::value<std::string>()->default_value(STARLING_SYSCONF_DIR "/starling.yml"),
        "configuration file");
    po::options_description hidden;
    hidden.add_options()("words", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(options).add(hidden);
    po::positional_options_description positional;
    positional.add("words", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "starlingctl: " << e.what() << "\n";
        return exit_status::usage;
    }
    auto words = vm.count("words") ? vm["words"].as<std::vector<std::string>>() : std::vector<std::string>{};
    if (vm.count("help") || words.empty()) {
        print_help(options, registry);
        return words.empty() && !vm.count("help") ? exit_status::usage : exit_status::ok;
    }
    if (words[0] == "version") {
        std::cout << "starlingctl " PACKAGE_VERSION "\n";
        return exit_status::ok;
    }
    // Two-word commands ("db migrate") are one name in the registry.
    std::string name = words[0];
    std::vector<std::string> args(words.begin() + 1, words.end());
    if (!args.empty() && registry.find(name + " " + args[0])) {
        name += " " + args[0];
        args.erase(args.begin());
    }

    config::Config config;
    try {
        config = config::load(vm["config"].as<std::string>());
    } catch (const std::exception& e) {
        std::cerr << "starlingctl: " << e.what() << "\n";
        return exit_status::config_error;
    }
    const auto spec = registry.find(name);
    if (spec) {
        // Prompt for an omitted secret (a password) instead of taking it from argv.
        for (std::size_t i = args.size(); i < spec->args.size(); ++i)
            if (spec->args[i].secret) args.push_back(read_secret(spec->args[i].name));
    }

    std::vector<std::string> request{name};
    request.insert(request.end(), args.begin(), args.end());
    try {
        auto [status, output] = control_request(config.control_socket, request);
        (status == exit_status::ok ? std::cout : std::cerr) << output;
        return status;
    } catch (const std::exception& e) {
        if (!spec) {
            std::cerr << "starlingctl: unknown command '" << name << "' (or it belongs to a module and "
                      << "the server is not running); see starlingctl --help\n";
            return exit_status::usage;
        }
        if (spec->needs_server) {
            std::cerr << "starlingctl: " << name << ": the server is not running (cannot reach "
                      << config.control_socket << ": " << e.what() << ")\n";
            return exit_status::not_running;
        }
    }
    // The server is stopped: run the command here, on the database directly.
    try {
        auto database = storage::open_database({config.storage.driver, config.storage.path, config.storage.conninfo});
        if (name != "db migrate") storage::migrate(*database, config.schema_path);
        CommandContext context{config, *database, nullptr};
        auto result = registry.run(context, name, args);
        (result.status == exit_status::ok ? std::cout : std::cerr) << result.output;
        return result.status;
    } catch (const std::exception& e) {
        std::cerr << "starlingctl: " << name << ": " << e.what() << "\n";
        return exit_status::failed;
    }
}
