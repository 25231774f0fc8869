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

// Database callbacks hold the State by shared_ptr and may run after a reload unloaded the
// instance that asked, so it keeps a ModuleLink and its options, never the ModuleContext.
struct State {
    explicit State(ModuleContext& context)
        : ctx(context),
          allow_registration(context.options().get_bool("allow_registration")),
          instructions(context.options().get_string("instructions")),
          per_ip(std::make_shared<Throttle>()) {
        per_ip->set_limit(static_cast<int>(context.options().get_int("registrations_per_ip")),
                          std::chrono::hours(1));
    }

    ModuleLink ctx;
    bool allow_registration;
    std::string instructions;
    std::shared_ptr<Throttle> per_ip;
};
using StatePtr = std::shared_ptr<State>;

void reply(const StanzaEvent& ev, xml::ElementPtr payload = nullptr) {
    auto result = make_iq_result(*ev.stanza, std::move(payload));
    if (ev.origin) ev.origin->deliver(std::move(result));
    else ev.host.server().router().route(nullptr, std::move(result));
}

/// Username and password from a registration query; false (and an error sent) when missing.
bool read_fields(const State& state, const StanzaEvent& ev, std::string& user,
                 std::string& password) {
    const auto* query = ev.stanza->element().first_child_element();
    auto prepared_user = nodeprep(query->child_text("username"));
    auto prepared_password = sasl::saslprep(query->child_text("password"));
    if (!prepared_user || prepared_user->empty() || !prepared_password ||
        prepared_password->empty()) {
        state.ctx.reply_error(ev, "modify", "not-acceptable",
                              "a username and a password are required");
        return false;
    }
    user = *prepared_user;
    password = *prepared_password;
    return true;
}

void register_account(const StatePtr& state, StanzaEvent& ev) {
    const auto& ctx = state->ctx;
    if (!state->allow_registration)
        return ctx.reply_error(ev, "cancel", "not-allowed", "registration is closed on this server");
    std::string user, password;
    if (!read_fields(*state, ev, user, password)) return;
    // The IP's registration is taken now, before the account is written: requests pipelined
    // on one stream, or sent at once on many connections from one address, all count, and the
    // ones past the limit are refused here, with RFC 6120 §8.3.3.18 <resource-constraint/> and
    // type wait: the address may register again once the hour has moved on.
    const auto ip = ip_of(ev.origin ? ev.origin->peer() : "");
    auto reservation = ThrottleReservation::take(state->per_ip, ip);
    if (!reservation)
        return ctx.reply_error(ev, "wait", "resource-constraint",
                               "too many registrations; try later");
    auto event = std::make_shared<StanzaEvent>(ev);
    ctx.server().accounts().create(
        ctx.domain(), user, sasl::make_all_secrets(password),
        [state, event, ip, user, reservation](storage::Result r) {
            const auto& ctx = state->ctx;
            if (!r.ok && r.error == "exists")
                return ctx.reply_error(*event, "cancel", "conflict", "the username is taken");
            if (!r.ok) return ctx.reply_error(*event, "wait", "internal-server-error");
            // Counted on success: the limit is on accounts made, not on tries.
            reservation->commit();
            ctx.log().info("registered {}@{} from {}", user, ctx.domain(), ip);
            reply(*event);
        });
}

void form(const State& state, StanzaEvent& ev) {
    auto query = xml::make_element("query", ns_register);
    if (const auto account = ev.requester()) {
        query->add_child("registered");
        query->add_child("username").add_text(account->local());
    } else {
        query->add_child("instructions").add_text(state.instructions);
        query->add_child("username");
        query->add_child("password");
    }
    reply(ev, std::move(query));
}

/// A logged-in user changing its password or removing its account (XEP-0077 §3.2, §3.3). Only
/// the account of the authenticated session that asks, on this host, addressed to itself or
/// its server: never for a user of another host, a component or (later) a remote server.
void change(const StatePtr& state, StanzaEvent& ev) {
    const auto& ctx = state->ctx;
    const auto* query = ev.stanza->element().first_child_element();
    const bool remove = query->child("remove") != nullptr;
    const auto account = ev.own_account();
    if (!account) {
        // §3.2: a sender without the permission to cancel this registration gets <forbidden/>;
        // §3.3 names <not-authorized/> for a password change the server does not take from
        // where it came.
        if (remove)
            return ctx.reply_error(ev, "cancel", "forbidden",
                                   "only the account's own session may remove it");
        return ctx.reply_error(ev, "modify", "not-authorized",
                               "only the account's own session may change its password");
    }
    auto event = std::make_shared<StanzaEvent>(ev);
    if (remove) {
        // §3.2: <remove/> must be the query's only child.
        if (query->child_elements().size() != 1)
            return ctx.reply_error(ev, "modify", "bad-request", "<remove/> comes alone");
        return ctx.server().accounts().remove(
            account->domain(), account->local(), [state, event, account](storage::Result r) {
                const auto& ctx = state->ctx;
                if (!r.ok) return ctx.reply_error(*event, "wait", "internal-server-error");
                ctx.log().info("{} removed its account", account->str());
                reply(*event);
                for (const auto& s : ctx.server().sessions().resources(*account))
                    s->close("not-authorized", "the account was removed");
            });
    }
    std::string user, password;
    if (!read_fields(*state, ev, user, password)) return;
    // §3.3: the request names the account; it must be the one that asks.
    if (user != account->local())
        return ctx.reply_error(ev, "modify", "bad-request", "not your username");
    ctx.server().accounts().set_secrets(account->domain(), user, sasl::make_all_secrets(password),
                                        [state, event](storage::Result r) {
                                            if (!r.ok)
                                                return state->ctx.reply_error(
                                                    *event, "wait", "internal-server-error");
                                            reply(*event);
                                        });
}

void load(ModuleContext& ctx) {
    auto state = std::make_shared<State>(ctx);
    ctx.own(state);
    ctx.add_feature(ns_register);
    ctx.iq_handler(IqTarget::unauthenticated, "get", ns_register,
                   [state](StanzaEvent& ev) { form(*state, ev); });
    ctx.iq_handler(IqTarget::unauthenticated, "set", ns_register,
                   [state](StanzaEvent& ev) { register_account(state, ev); });
    for (auto target : {IqTarget::account, IqTarget::host}) {
        ctx.iq_handler(target, "get", ns_register, [state](StanzaEvent& ev) { form(*state, ev); });
        ctx.iq_handler(target, "set", ns_register, [state](StanzaEvent& ev) { change(state, ev); });
    }
}

}  // namespace

STARLING_MODULE("register", "XEP-0077 In-Band Registration", options, nullptr, load)
