// XEP-0050 Ad-Hoc Commands serving the XEP-0133 Service Administration nodes to the configured
// admins. Every action runs the same registry command starlingctl runs, on the control thread,
// so an admin gets one behaviour whichever way it manages the server.

#include "core/config.hpp"
#include "core/disco.hpp"
#include "core/module.hpp"
#include "core/server.hpp"

#include <map>
#include <mutex>
#include <random>
#include <sstream>

namespace {

using namespace starling;
constexpr const char* ns_commands = "http://jabber.org/protocol/commands";
constexpr const char* ns_data = "jabber:x:data";
constexpr const char* ns_admin = "http://jabber.org/protocol/admin";

struct Field {
    std::string var;
    std::string type;
    std::string label;
    bool required;
};

struct Node {
    std::string name;  // the part after "admin#"
    std::string label;
    std::vector<Field> fields;  // empty: the command completes at once, without a form
};

const std::vector<Node>& nodes() {
    static const std::vector<Node> all = {
        {"add-user", "Add a User",
         {{"accountjid", "jid-single", "The Jabber ID for the account to be added", true},
          {"password", "text-private", "The password for this account", true},
          {"password-verify", "text-private", "Retype password", true}}},
        {"delete-user", "Delete a User",
         {{"accountjids", "jid-multi", "The Jabber ID(s) to be deleted", true}}},
        {"change-user-password", "Change User Password",
         {{"accountjid", "jid-single", "The Jabber ID for this account", true},
          {"password", "text-private", "The password for this account", true}}},
        {"get-registered-users-num", "Get Number of Registered Users", {}},
        {"get-online-users-list", "Get List of Online Users", {}},
        {"announce", "Send Announcement to Online Users",
         {{"subject", "text-single", "Subject", false},
          {"body", "text-multi", "Announcement", true}}},
    };
    return all;
}

const Node* find_node(std::string_view node) {
    const std::string prefix = std::string(ns_admin) + "#";
    if (!node.starts_with(prefix)) return nullptr;
    for (const auto& n : nodes())
        if (node.substr(prefix.size()) == n.name) return &n;
    return nullptr;
}

/// Forms handed out and not yet submitted, keyed by sessionid; a session belongs to the full JID
/// that started it (XEP-0050 §3.4) and to one node.
struct State {
    std::mutex mutex;
    std::map<std::string, std::pair<std::string, std::string>> sessions;  // id -> (jid, node)
    std::mt19937_64 random{std::random_device{}()};
};

/// Whether an admin asked: an account named in `admins`, from its own authenticated client
/// session (on any host: the list is the whole server's). A 'from' alone proves nothing: a
/// component writes its own.
bool is_admin(ModuleContext& ctx, const StanzaEvent& ev) {
    const auto client = ev.local_client();
    if (!client) return false;
    const auto config = ctx.server().config();
    const auto bare = client->str();
    return std::find(config->admins.begin(), config->admins.end(), bare) != config->admins.end();
}

xml::ElementPtr command_reply(std::string_view node, std::string_view sessionid,
                              std::string_view status) {
    auto command = xml::make_element("command", ns_commands);
    command->set_attr("node", node);
    command->set_attr("sessionid", sessionid);
    command->set_attr("status", status);
    return command;
}

xml::Element& add_form(xml::Element& parent, std::string_view type, std::string_view title) {
    auto& x = parent.add_child("x", ns_data);
    x.set_attr("type", type);
    if (!title.empty()) x.add_child("title").add_text(title);
    auto& form_type = x.add_child("field");
    form_type.set_attr("var", "FORM_TYPE");
    form_type.set_attr("type", "hidden");
    form_type.add_child("value").add_text(ns_admin);
    return x;
}

void add_field(xml::Element& x, std::string_view var, std::string_view type,
               const std::vector<std::string>& values) {
    auto& field = x.add_child("field");
    field.set_attr("var", var);
    field.set_attr("type", type);
    for (const auto& v : values) field.add_child("value").add_text(v);
}

/// An error reply carrying XEP-0050's application condition next to the stanza one.
void reply_command_error(ModuleContext& ctx, const StanzaEvent& ev, std::string_view condition,
                         std::string_view command_condition) {
    // Built by make_error_reply like every stanza error, so it carries the legacy code too.
    auto iq = make_error_reply(*ev.stanza, "modify", condition)->copy();
    iq->child("error")->add_child(std::string(command_condition), ns_commands);
    ctx.send(make_stanza(std::move(iq)));
}

/// The submitted values by field var; jid-multi and text-multi fields keep every value.
std::map<std::string, std::vector<std::string>> submitted(const xml::Element& command) {
    std::map<std::string, std::vector<std::string>> values;
    const auto* x = command.child("x", ns_data);
    if (!x) return values;
    for (const auto* field : x->child_elements()) {
        if (field->name() != "field") continue;
        auto& list = values[std::string(field->attr("var"))];
        for (const auto* value : field->child_elements())
            if (value->name() == "value") list.push_back(value->text());
    }
    return values;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
    return out;
}

std::vector<std::string> output_lines(const std::string& output) {
    std::vector<std::string> lines;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

/// Runs registry commands on the control thread (they may block on the database there), then
/// answers: a completed command with what `finish` adds, or the failing output as an error note.
using Steps = std::vector<std::pair<std::string, std::vector<std::string>>>;
using Finish = std::function<void(xml::Element& command, const std::vector<CommandResult>&)>;

void run_on_control(ModuleContext& ctx, const StanzaEvent& ev, std::string node,
                    std::string sessionid, Steps steps, Finish finish) {
    auto event = std::make_shared<StanzaEvent>(ev);
    auto& server = ctx.server();
    server.post([&ctx, &server, event, node, sessionid, steps = std::move(steps), finish] {
        const auto config = server.config();
        CommandContext command_ctx{*config, server.database(), &server};
        std::vector<CommandResult> results;
        bool failed = false;
        std::string error_text;
        for (const auto& [name, args] : steps) {
            results.push_back(server.commands().run(command_ctx, name, args));
            if (results.back().status != exit_status::ok) {
                failed = true;
                error_text = results.back().output;
            }
        }
        auto command = command_reply(node, sessionid, "completed");
        if (failed) {
            auto& note = command->add_child("note");
            note.set_attr("type", "error");
            note.add_text(joined(output_lines(error_text)));
        } else {
            finish(*command, results);
        }
        ctx.send(make_iq_result(*event->stanza, std::move(command)));
    });
}

/// A submitted form (or a formless command) becomes registry commands; false if a required
/// field is missing or inconsistent.
bool plan(ModuleContext& ctx, const Node& node, const std::map<std::string,
          std::vector<std::string>>& v, Steps& steps, Finish& finish) {
    auto one = [&v](const std::string& var) {
        auto it = v.find(var);
        return it == v.end() || it->second.empty() ? std::string() : it->second.front();
    };
    auto done_note = [](std::string text) {
        return [text](xml::Element& command, const std::vector<CommandResult>&) {
            auto& note = command.add_child("note");
            note.set_attr("type", "info");
            note.add_text(text);
        };
    };
    if (node.name == "add-user") {
        if (one("accountjid").empty() || one("password").empty() ||
            one("password") != one("password-verify"))
            return false;
        steps.push_back({"adduser", {one("accountjid"), one("password")}});
        finish = done_note("Added " + one("accountjid"));
    } else if (node.name == "delete-user") {
        auto it = v.find("accountjids");
        if (it == v.end() || it->second.empty()) return false;
        for (const auto& jid : it->second) steps.push_back({"deluser", {jid}});
        finish = done_note("Deleted " + joined(it->second));
    } else if (node.name == "change-user-password") {
        if (one("accountjid").empty() || one("password").empty()) return false;
        steps.push_back({"passwd", {one("accountjid"), one("password")}});
        finish = done_note("Changed the password of " + one("accountjid"));
    } else if (node.name == "announce") {
        if (one("body").empty()) return false;
        auto it = v.find("body");
        std::vector<std::string> args{joined(it->second)};
        if (!one("subject").empty()) args.push_back(one("subject"));
        steps.push_back({"announce", args});
        finish = done_note("Announcement sent.");
    } else if (node.name == "get-registered-users-num") {
        steps.push_back({"users", {ctx.domain()}});
        finish = [](xml::Element& command, const std::vector<CommandResult>& results) {
            auto& x = add_form(command, "result", "Number of Registered Users");
            add_field(x, "registeredusersnum", "text-single",
                      {std::to_string(output_lines(results.at(0).output).size())});
        };
    } else if (node.name == "get-online-users-list") {
        steps.push_back({"sessions", {}});
        const std::string suffix = "@" + ctx.domain();
        finish = [suffix](xml::Element& command, const std::vector<CommandResult>& results) {
            std::vector<std::string> jids;
            for (const auto& line : output_lines(results.at(0).output)) {
                auto jid = line.substr(0, line.find('\t'));
                if (jid.find(suffix + "/") != std::string::npos) jids.push_back(jid);
            }
            auto& x = add_form(command, "result", "Online Users");
            add_field(x, "onlineuserjids", "jid-multi", jids);
        };
    }
    return true;
}

void execute(ModuleContext& ctx, State& state, StanzaEvent& ev) {
    const auto& command = *ev.stanza->element().first_child_element();
    const Node* node = find_node(command.attr("node"));
    if (!node) return ctx.reply_error(ev, "cancel", "item-not-found");
    if (!is_admin(ctx, ev)) return ctx.reply_error(ev, "auth", "forbidden");
    const std::string node_name(command.attr("node"));
    const std::string action(command.attr("action"));
    const std::string sessionid(command.attr("sessionid"));
    const auto from = ev.stanza->from().str();

    if (sessionid.empty()) {
        if (action == "cancel") return ctx.reply_error(ev, "modify", "bad-request");
        std::string id;
        {
            std::lock_guard lock(state.mutex);
            id = std::to_string(state.random());
            if (!node->fields.empty()) state.sessions[id] = {from, node_name};
        }
        if (node->fields.empty()) {
            Steps steps;
            Finish finish;
            plan(ctx, *node, {}, steps, finish);
            return run_on_control(ctx, ev, node_name, id, std::move(steps), std::move(finish));
        }
        auto reply = command_reply(node_name, id, "executing");
        auto& actions = reply->add_child("actions");
        actions.set_attr("execute", "complete");
        actions.add_child("complete");
        auto& x = add_form(*reply, "form", node->label);
        for (const auto& f : node->fields) {
            auto& field = x.add_child("field");
            field.set_attr("var", f.var);
            field.set_attr("type", f.type);
            field.set_attr("label", f.label);
            if (f.required) field.add_child("required");
        }
        return ctx.send(make_iq_result(*ev.stanza, std::move(reply)));
    }

    {
        std::lock_guard lock(state.mutex);
        auto it = state.sessions.find(sessionid);
        if (it == state.sessions.end() || it->second != std::make_pair(from, node_name))
            return reply_command_error(ctx, ev, "bad-request", "bad-sessionid");
        state.sessions.erase(it);
    }
    if (action == "cancel")
        return ctx.send(make_iq_result(*ev.stanza, command_reply(node_name, sessionid, "canceled")));
    Steps steps;
    Finish finish;
    if (!plan(ctx, *node, submitted(command), steps, finish))
        return reply_command_error(ctx, ev, "bad-request", "bad-payload");
    run_on_control(ctx, ev, node_name, sessionid, std::move(steps), std::move(finish));
}

/// disco#items on the commands node (XEP-0050 §2.2): the list for admins, empty for others.
void items(ModuleContext& ctx, const DiscoReplyPtr& reply) {
    if (reply->node() != ns_commands) return;
    reply->claim_node();
    if (!is_admin(ctx, reply->request())) return;
    for (const auto& n : nodes())
        reply->add_item(ctx.domain(), std::string(ns_admin) + "#" + n.name, n.label);
}

void load(ModuleContext& ctx) {
    auto& state = ctx.own(std::make_shared<State>());
    ctx.add_feature(ns_commands);
    ctx.add_disco_contributor(IqTarget::host, DiscoKind::items,
                              [&ctx](const DiscoReplyPtr& reply) { items(ctx, reply); });
    ctx.iq_handler(IqTarget::host, "set", ns_commands,
                   [&ctx, &state](StanzaEvent& ev) { execute(ctx, state, ev); });
}

const char* const depends[] = {"disco", nullptr};

}  // namespace

STARLING_MODULE("admin_adhoc", "XEP-0050 Ad-Hoc Commands for XEP-0133 Service Administration",
                nullptr, depends, load)
