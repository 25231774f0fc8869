#include "core/command_registry.hpp"

namespace starling {

Registration CommandRegistry::add(CommandSpec spec) {
    std::lock_guard lock(mutex_);
    auto name = spec.name;
    const auto id = ++next_id_;
    // A reload registers the new module's command before the old one is removed: the old
    // registration must then leave the newer command in place.
    commands_[name].emplace_back(id, std::move(spec));
    return Registration([this, name, id] {
        std::lock_guard lock(mutex_);
        auto it = commands_.find(name);
        if (it == commands_.end()) return;
        std::erase_if(it->second, [id](const auto& entry) { return entry.first == id; });
        if (it->second.empty()) commands_.erase(it);
    });
}

std::optional<CommandSpec> CommandRegistry::find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = commands_.find(name);
    if (it == commands_.end()) return std::nullopt;
    return it->second.back().second;
}

std::vector<CommandSpec> CommandRegistry::all() const {
    std::lock_guard lock(mutex_);
    std::vector<CommandSpec> out;
    for (const auto& [name, entries] : commands_) out.push_back(entries.back().second);
    return out;
}

std::string CommandRegistry::usage(const CommandSpec& spec) {
    std::string out = "usage: starlingctl " + spec.name;
    for (const auto& arg : spec.args) out += arg.required ? " " + arg.name : " [" + arg.name + "]";
    return out;
}

CommandResult CommandRegistry::run(CommandContext& context, const std::string& name,
                                   const std::vector<std::string>& args) const {
    const auto spec = find(name);
    if (!spec) return {exit_status::usage, "unknown command '" + name + "'; see starlingctl --help\n"};
    std::size_t required = 0;
    for (const auto& arg : spec->args) required += arg.required ? 1 : 0;
    if (args.size() < required || args.size() > spec->args.size())
        return {exit_status::usage, usage(*spec) + "\n"};
    if (spec->needs_server && !context.server)
        return {exit_status::not_running, name + ": the server is not running\n"};
    return spec->run(context, args);
}

}  // namespace starling
