// XEP-0077 In-Band Registration: new accounts from an unauthenticated stream (when the operator
// allows it), password changes and account removal for a logged-in user.

#include "core/module.hpp"
#include "core/server.hpp"
#include "core/throttle.hpp"
#include "storage/account_store.hpp"
#include "stream/sasl.hpp"

namespace {

using namespace starling;
constexpr const char* ns_register = "jabber:iq:register";

std::vector<OptionSpec> options() {
    return {
        {"allow_registration", OptionType::boolean, "false", 0, 0,
         "let anyone create an account from an unauthenticated stream; off: <not-allowed/>"},
        {"registrations_per_ip", OptionType::integer, "3", 1, 1000000,
         "accounts one IP address may create per hour"},
        {"instructions", OptionType::string, "Choose a username and password.", 0, 0,
         "the text a client shows above the registration form"},
    };
}

/// The IP of "address:port" (an IPv6 address keeps its colons).
std::string ip_of(const std::string& peer) {
    const auto colon = peer.rfind(':');
    return colon == std::string::npos ? peer : peer.substr(0, colon);
}

struct State {
    Throttle per_ip;
};

void reply(const StanzaEvent& ev, xml::ElementPtr payload = nullptr) {
    auto result = make_iq_result(*ev.stanza, std::move(payload));
    if (ev.origin) ev.origin->deliver(std::move(result));
    else ev.host.server().router().route(nullptr, std::move(result));
}

/// Username and password from a registration query; false (and an error sent) when missing.
bool read_fields(ModuleContext& ctx, const StanzaEvent& ev, std::string& user, std::string& password) {
    const auto* query = ev.stanza->element().first_child_element();
    auto prepared_user = nodeprep(query->child_text("username"));
    auto prepared_password = sasl::saslprep(query->child_text("password"));
    if (!prepared_user || prepared_user->empty() || !prepared_password || prepared_password->empty()) {
        ctx.reply_error(ev, "modify", "not-acceptable", "a username and a password are required");
        return false;
    }
    user = *prepared_user;
    password = *prepared_password;
    return true;
}

void register_account(ModuleContext& ctx, State& state, StanzaEvent& ev) {
    if (!ctx.options().get_bool("allow_registration"))
        return ctx.reply_error(ev, "cancel", "not-allowed", "registration is closed on this server");
    const auto ip = ip_of(ev.origin ? ev.origin->peer() : "");
    if (state.per_ip.blocked(ip))
        return ctx.reply_error(ev, "wait", "resource-constraint", "too many registrations; try later");
    std::string user, password;
    if (!read_fields(ctx, ev, user, password)) return;
    auto event = std::make_shared<StanzaEvent>(ev);
    ctx.accounts().create(ctx.domain(), user, sasl::make_all_secrets(password),
                          [&ctx, &state, event, ip, user](storage::Result r) {
                              if (!r.ok && r.error == "exists")
                                  return ctx.reply_error(*event, "cancel", "conflict", "the username is taken");
                              if (!r.ok)
                                  return ctx.reply_error(*event, "wait", "internal-server-error");
                              // Counted on success: the limit is on accounts made, not on tries.
                              state.per_ip.record_failure(ip);
                              ctx.log().info("registered {}@{} from {}", user, ctx.domain(), ip);
                              reply(*event);
                          });
}

void form(ModuleContext& ctx, StanzaEvent& ev) {
    auto query = xml::make_element("query", ns_register);
    const auto& from = ev.stanza->from();
    if (!from.local().empty()) {
        query->add_child("registered");
        query->add_child("username").add_text(from.local());
    } else {
        query->add_child("instructions").add_text(ctx.options().get_string("instructions"));
        query->add_child("username");
        query->add_child("password");
    }
    reply(ev, std::move(query));
}

/// A logged-in user changing its password or removing its account (XEP-0077 §3.2, §3.3).
void change(ModuleContext& ctx, StanzaEvent& ev) {
    const auto& from = ev.stanza->from();
    const auto& to = ev.stanza->to();
    if (!(to.empty() || to == from.bare() || to.is_domain()))
        return ctx.reply_error(ev, "auth", "forbidden");
    const auto* query = ev.stanza->element().first_child_element();
    auto event = std::make_shared<StanzaEvent>(ev);
    if (query->child("remove")) {
        return ctx.accounts().remove(ctx.domain(), from.local(), [&ctx, event, from](storage::Result r) {
            if (!r.ok) return ctx.reply_error(*event, "wait", "internal-server-error");
            ctx.log().info("{} removed its account", from.bare_str());
            reply(*event);
            for (const auto& s : ctx.server().sessions().resources(from.bare()))
                s->close("not-authorized", "the account was removed");
        });
    }
    std::string user, password;
    if (!read_fields(ctx, ev, user, password)) return;
    if (user != from.local()) return ctx.reply_error(ev, "modify", "bad-request", "not your username");
    ctx.accounts().set_secrets(ctx.domain(), user, sasl::make_all_secrets(password),
                               [&ctx, event](storage::Result r) {
                                   if (!r.ok) return ctx.reply_error(*event, "wait", "internal-server-error");
                                   reply(*event);
                               });
}

void load(ModuleContext& ctx) {
    auto& state = ctx.own(std::make_shared<State>());
    state.per_ip.set_limit(static_cast<int>(ctx.options().get_int("registrations_per_ip")),
                           std::chrono::hours(1));
    ctx.add_feature(ns_register);
    ctx.iq_handler(IqTarget::unauthenticated, "get", ns_register, [&ctx](StanzaEvent& ev) { form(ctx, ev); });
    ctx.iq_handler(IqTarget::unauthenticated, "set", ns_register,
                   [&ctx, &state](StanzaEvent& ev) { register_account(ctx, state, ev); });
    for (auto target : {IqTarget::account, IqTarget::host}) {
        ctx.iq_handler(target, "get", ns_register, [&ctx](StanzaEvent& ev) { form(ctx, ev); });
        ctx.iq_handler(target, "set", ns_register, [&ctx](StanzaEvent& ev) { change(ctx, ev); });
    }
}

}  // namespace

STARLING_MODULE("register", "XEP-0077 In-Band Registration", options, nullptr, load)
