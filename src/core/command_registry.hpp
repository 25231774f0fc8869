#pragma once
// Admin commands, declared once as data and served from one registry: by `starlingctl` (in the
// running server over the control socket, or in-process when the server is stopped) and, later,
// as XEP-0050/XEP-0133 ad-hoc commands.

#include "core/registration.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace starling {

class Server;
namespace config {
struct Config;
}
namespace storage {
class Database;
}

/// Exit statuses a script can rely on; starlingctl.8 documents them.
namespace exit_status {
inline constexpr int ok = 0;
inline constexpr int failed = 1;        // the command ran and failed (no such account, exists…)
inline constexpr int usage = 2;         // wrong arguments
inline constexpr int not_running = 3;   // the command needs the server and it is not reachable
inline constexpr int config_error = 4;  // the configuration is invalid
}  // namespace exit_status

struct CommandArg {
    // A constructor, so that a table row may give only the name (aggregate rows that leave
    // members out draw -Wmissing-field-initializers).
    CommandArg(std::string name_, bool required_ = true, bool secret_ = false,
               std::string doc_ = {})
        : name(std::move(name_)), required(required_), secret(secret_), doc(std::move(doc_)) {}

    std::string name;
    bool required = true;
    bool secret = false;  // prompted for (without echo) when omitted
    std::string doc;
};

struct CommandResult {
    int status = exit_status::ok;
    std::string output;  // printed as is; ends with a newline when not empty
};

/// Where a command runs and what it can reach there.
struct CommandContext {
    const config::Config& config;
    storage::Database& database;
    Server* server = nullptr;  // null when starlingctl runs the command with the server stopped
};

struct CommandSpec {
    std::string name;  // "adduser", "db migrate"
    std::vector<CommandArg> args;
    std::string description;
    bool needs_server = false;  // false: also runs in starlingctl when the server is stopped
    std::function<CommandResult(CommandContext&, const std::vector<std::string>& args)> run;
};

class CommandRegistry {
public:
    Registration add(CommandSpec spec);
    std::optional<CommandSpec> find(const std::string& name) const;
    std::vector<CommandSpec> all() const;
    /// Checks the argument count against the spec, then runs it.
    CommandResult run(CommandContext& context, const std::string& name,
                      const std::vector<std::string>& args) const;
    /// "usage: starlingctl NAME ARG [OPTIONAL]" for one command.
    static std::string usage(const CommandSpec& spec);

private:
    mutable std::mutex mutex_;
    // Per name, the registrations in force, newest last; the newest is the command. Each host
    // that loads a module registers its commands: dropping one leaves the others'.
    std::map<std::string, std::vector<std::pair<std::uint64_t, CommandSpec>>> commands_;
    std::uint64_t next_id_ = 0;
};

/// The commands the core declares: account management, sessions, status, reload, db migrate.
void add_core_commands(CommandRegistry& registry, std::vector<Registration>& keep);

}  // namespace starling
