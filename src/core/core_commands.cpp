// The commands the core declares: one table, served by starlingctl and the control socket.

#include "core/command_registry.hpp"
#include "core/config.hpp"
#include "core/server.hpp"
#include "core/stanza.hpp"
#include "jid/jid.hpp"
#include "storage/account_store.hpp"
#include "storage/await_values.hpp"
#include "stream/sasl.hpp"

#include <fmt/format.h>


namespace starling {
namespace {

CommandResult fail(std::string text) {
    return {exit_status::failed, text + "\n"};
}
CommandResult ok(std::string text) {
    return {exit_status::ok, text.empty() ? text : text + "\n"};
}

/// A local account JID named on the command line, checked against the configured hosts.
std::optional<Jid> account_jid(const CommandContext& ctx, const std::string& text,
                               std::string& error) {
    auto jid = Jid::parse(text);
    if (!jid || jid->local().empty() || !jid->resource().empty()) {
        error = "'" + text + "' is not an account JID (expected user@host)";
        return std::nullopt;
    }
    if (!ctx.config.has_host(jid->domain())) {
        error = "'" + jid->domain() + "' is not a host of this server (see hosts in " +
                ctx.config.path + ")";
        return std::nullopt;
    }
    return jid;
}

std::optional<std::vector<sasl::ScramSecret>> secrets_for(const std::string& password,
                                                          std::string& error) {
    auto prepared = sasl::saslprep(password);
    if (!prepared || prepared->empty()) {
        error = "the password is empty or contains characters SASLprep forbids";
        return std::nullopt;
    }
    return sasl::make_all_secrets(*prepared);
}

CommandResult adduser(CommandContext& ctx, const std::vector<std::string>& args) {
    std::string error;
    auto jid = account_jid(ctx, args[0], error);
    if (!jid) return {exit_status::usage, "adduser: " + error + "\n"};
    auto secrets = secrets_for(args.at(1), error);
    if (!secrets) return {exit_status::usage, "adduser: " + error + "\n"};
    storage::AccountStore accounts(ctx.database);
    auto r = storage::await_values<storage::Result>(
        [&](storage::Callback cb) { accounts.create(jid->domain(), jid->local(), *secrets, cb); });
    if (!r.ok)
        return fail(r.error == "exists" ? "adduser: " + jid->str() + " exists"
                                        : "adduser: " + r.error);
    return ok("added " + jid->str());
}

CommandResult passwd(CommandContext& ctx, const std::vector<std::string>& args) {
    std::string error;
    auto jid = account_jid(ctx, args[0], error);
    if (!jid) return {exit_status::usage, "passwd: " + error + "\n"};
    auto secrets = secrets_for(args.at(1), error);
    if (!secrets) return {exit_status::usage, "passwd: " + error + "\n"};
    storage::AccountStore accounts(ctx.database);
    auto r = storage::await_values<storage::Result>([&](storage::Callback cb) {
        accounts.set_secrets(jid->domain(), jid->local(), *secrets, cb);
    });
    if (!r.ok)
        return fail(r.error == "not-found" ? "passwd: no such account " + jid->str()
                                           : "passwd: " + r.error);
    return ok("password changed for " + jid->str());
}

CommandResult deluser(CommandContext& ctx, const std::vector<std::string>& args) {
    std::string error;
    auto jid = account_jid(ctx, args[0], error);
    if (!jid) return {exit_status::usage, "deluser: " + error + "\n"};
    storage::AccountStore accounts(ctx.database);
    auto r = storage::await_values<storage::Result>([&](storage::Callback cb) { accounts.remove(jid->domain(), jid->local(), cb); });
    if (!r.ok)
        return fail(r.error == "not-found" ? "deluser: no such account " + jid->str()
                                           : "deluser: " + r.error);
    // A deleted account must not stay logged in.
    if (ctx.server)
        for (const auto& s : ctx.server->sessions().resources(*jid))
            s->close("not-authorized", "account deleted");
    return ok("deleted " + jid->str());
}

CommandResult users(CommandContext& ctx, const std::vector<std::string>& args) {
    const auto host = args[0];
    if (!ctx.config.has_host(host))
        return {exit_status::usage, "users: '" + host + "' is not a host of this server\n"};
    storage::AccountStore accounts(ctx.database);
    auto [success, names] = storage::await_values<std::pair<bool, std::vector<std::string>>>(
        [&](auto done) { accounts.list(host, done); });
    if (!success) return fail("users: storage error");
    std::string out;
    for (const auto& n : names) out += n + "@" + host + "\n";
    return {exit_status::ok, out};
}

CommandResult sessions(CommandContext& ctx, const std::vector<std::string>&) {
    std::string out;
    auto all = ctx.server->sessions().all();
    std::sort(all.begin(), all.end(),
              [](auto& a, auto& b) { return a->jid().str() < b->jid().str(); });
    for (const auto& s : all)
        out += fmt::format("{}\t{}\t{}\n", s->jid().str(), s->peer(), s->security());
    return {exit_status::ok, out};
}

CommandResult kick(CommandContext& ctx, const std::vector<std::string>& args) {
    auto jid = Jid::parse(args[0]);
    if (!jid) return {exit_status::usage, "kick: '" + args[0] + "' is not a JID\n"};
    std::vector<SessionPtr> targets;
    if (jid->is_bare())
        targets = ctx.server->sessions().resources(*jid);
    else if (auto s = ctx.server->sessions().find(*jid))
        targets.push_back(s);
    if (targets.empty()) return fail("kick: " + jid->str() + " has no session");
    for (const auto& s : targets) s->close("policy-violation", "disconnected by an administrator");
    return ok(fmt::format("kicked {} session(s)", targets.size()));
}

CommandResult s2s(CommandContext& ctx, const std::vector<std::string>&) {
    std::string out;
    for (const auto& line : ctx.server->s2s_streams()) out += line;
    return {exit_status::ok, out};
}

CommandResult s2s_close(CommandContext& ctx, const std::vector<std::string>& args) {
    const auto domain = Jid::parse(args[0]);
    if (!domain || !domain->is_domain())
        return {exit_status::usage, "s2s close: '" + args[0] + "' is not a domain\n"};
    const auto closed = ctx.server->close_s2s(domain->domain());
    if (closed == 0) return fail("s2s close: no stream with " + domain->domain());
    return ok(fmt::format("closed {} stream(s) with {}", closed, domain->domain()));
}

CommandResult status(CommandContext& ctx, const std::vector<std::string>&) {
    auto& server = *ctx.server;
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - server.started_at());
    std::string out = fmt::format("running\nversion {}\nuptime {}s\nsessions {}\n", PACKAGE_VERSION,
                                  uptime.count(), server.sessions().size());
    const auto ports = server.bound_ports();
    for (std::size_t i = 0; i < ports.size(); ++i)
        out += fmt::format("listen {} {}:{}\n", ctx.config.listen[i].type,
                           ctx.config.listen[i].address, ports[i]);
    for (const auto& host : server.host_names()) {
        out += "host " + host;
        for (const auto& m : server.host(host)->module_names()) out += " " + m;
        out += "\n";
    }
    for (const auto& [name, value] : server.metrics().snapshot())
        out += fmt::format("{} {}\n", name, value);
    return {exit_status::ok, out};
}

CommandResult reload(CommandContext& ctx, const std::vector<std::string>&) {
    if (auto error = ctx.server->reload(); !error.empty())
        return {exit_status::config_error,
                "reload rejected, the running configuration stays: " + error + "\n"};
    return ok("reloaded");
}

CommandResult announce(CommandContext& ctx, const std::vector<std::string>& args) {
    const auto all = ctx.server->sessions().all();
    for (const auto& s : all) {
        auto message = xml::make_element("message", std::string(ns_client));
        message->set_attr("type", "headline");
        message->set_attr("from", s->jid().domain());
        message->set_attr("to", s->jid().str());
        if (args.size() > 1 && !args[1].empty()) message->add_child("subject").add_text(args[1]);
        message->add_child("body").add_text(args[0]);
        s->deliver(make_stanza(std::move(message)));
    }
    return ok(fmt::format("announced to {} session(s)", all.size()));
}

CommandResult check_config(CommandContext& ctx, const std::vector<std::string>&) {
    return ok(ctx.config.path + ": OK");
}

CommandResult db_migrate(CommandContext& ctx, const std::vector<std::string>&) {
    const int applied = storage::migrate(ctx.database, ctx.config.schema_path);
    return ok(fmt::format("applied {} migration(s)", applied));
}

}  // namespace

void add_core_commands(CommandRegistry& registry, std::vector<Registration>& keep) {
    const std::vector<CommandSpec> specs = {
        {"adduser",
         {{"JID"}, {"PASSWORD", true, true, "prompted for when omitted"}},
         "create an account",
         false,
         adduser},
        {"deluser", {{"JID"}}, "delete an account and everything stored for it", false, deluser},
        {"passwd",
         {{"JID"}, {"PASSWORD", true, true, "prompted for when omitted"}},
         "set an account's password",
         false,
         passwd},
        {"users", {{"HOST"}}, "list the accounts of a host", false, users},
        {"sessions", {}, "list the bound sessions", true, sessions},
        {"kick", {{"JID"}}, "disconnect a session (full JID) or all of an account's", true, kick},
        {"status", {}, "show uptime, listeners, hosts, modules and counters", true, status},
        {"s2s",
         {},
         "list the server-to-server streams (direction, domains, peer, state, "
         "authentication, TLS, queued stanzas, stream management)",
         true,
         s2s},
        {"s2s close",
         {{"DOMAIN"}},
         "close every server-to-server stream with a domain",
         true,
         s2s_close},
        {"reload", {}, "reload the configuration and certificates (as SIGHUP does)", true, reload},
        {"announce",
         {{"TEXT"}, {"SUBJECT", false}},
         "send a headline message to every session",
         true,
         announce},
        {"check-config", {}, "validate the configuration file", false, check_config},
        {"db migrate", {}, "apply pending database migrations", false, db_migrate},
    };
    for (const auto& spec : specs) keep.push_back(registry.add(spec));
}

}  // namespace starling
