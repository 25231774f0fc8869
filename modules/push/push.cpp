// XEP-0357 push notifications. A client enables an app server (its JID and a node, with optional
// publish options) for its account; while the user has no online resource, or while a session
// waits to be resumed (XEP-0198 hibernation), each new message that would wake a device makes
// the server publish a summary to every enabled app server: how many messages came and who sent
// the last one, never what they say. The message itself goes on as before (offline storage or
// the hibernated session's queue): this module only watches, and every hook passes.
//
// message/offline fires on the database thread: the handler only starts the registrations'
// lookup, whose callback publishes. The publishes are iqs through ModuleContext::send_iq, so the
// app server's reply (or its absence) comes back to this module; an error that says the app
// server refuses the node disables that registration.

#include "away_users.hpp"
#include "core/module.hpp"
#include "core/server.hpp"
#include "notification.hpp"
#include "storage/push_store.hpp"
#include "storage/quota_guard.hpp"
#include "storage/stored_xml.hpp"
#include "xml/serializer.hpp"

#include <chrono>
#include <optional>

namespace {

using namespace starling;
using namespace starling::push;
using storage::PushRegistration;
using storage::PushStore;

std::vector<OptionSpec> options() {
    return {
        {"max_registrations", OptionType::integer, "10", 1, 1000,
         "app server registrations (JID and node) one user may enable; another <enable/> past "
         "it is refused with <resource-constraint/>"},
        {"publish_timeout", OptionType::duration, "30s", 1, 3600,
         "how long to wait for an app server's answer to a publish; no answer keeps the "
         "registration"},
    };
}

// A user away without registrations, whom no message concerned this long, leaves memory.
constexpr auto idle_away = std::chrono::minutes(5);

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Database callbacks and app servers' replies hold the Push by shared_ptr, so that one that
// comes after the module was unloaded (a reload meanwhile) still answers the client and still
// disables a refused registration; the Push keeps a ModuleLink, never the ModuleContext.
class Push : public std::enable_shared_from_this<Push> {
public:
    Push(ModuleContext& ctx, std::int64_t max_registrations, std::int64_t publish_timeout)
        : ctx_(ctx),
          store_(ctx.database()),
          max_registrations_(max_registrations),
          publish_timeout_(std::chrono::seconds(publish_timeout)) {}

    void set(StanzaEvent& ev) {
        // Only the account itself, from one of its own sessions, decides where its pushes go.
        const auto user = ev.own_account();
        if (!user)
            return ctx_.reply_error(ev, "auth", "forbidden", "push settings are the owner's only");
        const auto& command = *ev.stanza->element().first_child_element();
        if (command.name() == "enable") return enable(ev, *user, command);
        if (command.name() == "disable") return disable(ev, *user, command);
        ctx_.reply_error(ev, "modify", "bad-request", "expected enable or disable");
    }

    // A message the user has no online resource for (before mod_offline stores it).
    Verdict offline(StanzaEvent& ev) {
        if (wakes_device(*ev.stanza)) notify(*ev.stanza);
        return Verdict::pass;
    }

    // A message queued for a session that waits to be resumed: its device is asleep.
    Verdict hibernated(StanzaEvent& ev) {
        if (wakes_device(*ev.stanza)) notify(*ev.stanza);
        return Verdict::pass;
    }

    // The user is back (a first presence, or a resumed session): the next push counts from one.
    void online(const SessionEvent& ev) { away_.back(ev.session->jid().bare_str()); }

    void sweep() { away_.sweep(AwayUsers::Clock::now() - idle_away); }

private:
    void enable(StanzaEvent& ev, const Jid& user, const xml::Element& command) {
        const auto service = Jid::parse(command.attr("jid"));
        if (command.attr("jid").empty())
            return ctx_.reply_error(ev, "modify", "bad-request", "missing 'jid'");
        if (!service) return ctx_.reply_error(ev, "modify", "jid-malformed");
        const std::string node(command.attr("node"));
        if (node.empty()) return ctx_.reply_error(ev, "modify", "bad-request", "missing 'node'");
        // Publish options (XEP-0357 §5): a form of that FORM_TYPE, kept as the client wrote it.
        std::string form_text;
        if (const auto* form = command.child("x", ns_data)) {
            if (form_type(*form) != form_publish_options)
                return ctx_.reply_error(
                    ev, "modify", "bad-request",
                    std::string("the form's FORM_TYPE must be ") + form_publish_options);
            form_text = xml::to_string(*form, "");
        }
        PushRegistration registration{service->str(), node, form_text, now_seconds()};
        // The count is checked inside the write, so that enables pipelined before the first
        // is stored cannot all find room.
        store_.enable(user.domain(), user.local(), registration, max_registrations_,
                      [self = shared_from_this(), ev, user, registration](storage::Result r) {
                          if (storage::refused(r))
                              return self->ctx_.reply_error(ev, "wait", "resource-constraint",
                                                            "too many push registrations");
                          if (!r.ok)
                              return self->ctx_.reply_error(ev, "wait", "internal-server-error");
                          self->changed(user);
                          self->ctx_.log().info("{} enabled push to {} node {}", user.str(),
                                                registration.service, registration.node);
                          self->ctx_.send(make_iq_result(*ev.stanza));
                      });
    }

    void disable(StanzaEvent& ev, const Jid& user, const xml::Element& command) {
        if (command.attr("jid").empty())
            return ctx_.reply_error(ev, "modify", "bad-request", "missing 'jid'");
        const auto service = Jid::parse(command.attr("jid"));
        if (!service) return ctx_.reply_error(ev, "modify", "jid-malformed");
        // §6: with a node, that one registration; without, every node of the service.
        std::optional<std::string> node;
        if (command.has_attr("node")) node = std::string(command.attr("node"));
        store_.disable(user.domain(), user.local(), service->str(), node,
                       [self = shared_from_this(), ev, user,
                        service = service->str()](storage::Result r) {
                           if (!r.ok)
                               return self->ctx_.reply_error(ev, "wait", "internal-server-error");
                           self->changed(user);
                           self->ctx_.log().info("{} disabled push to {} ({} registration(s))",
                                                 user.str(), service, r.affected);
                           self->ctx_.send(make_iq_result(*ev.stanza));
                       });
    }

    void notify(const Stanza& message) {
        const Jid user = message.to().bare();
        Summary summary;
        summary.last_sender = message.from().str();
        auto noted = away_.note_message(user.str());
        summary.message_count = noted.count;
        const auto generation = noted.generation;
        if (noted.registrations) {
            for (const auto& registration : *noted.registrations)
                publish(user, registration, summary);
            return;
        }
        store_.list(user.domain(), user.local(),
                    [self = shared_from_this(), user, summary, generation](
                        bool ok, std::vector<PushRegistration> registrations) {
                        if (!ok) return;
                        self->away_.remember(user.str(), generation, registrations);
                        for (const auto& registration : registrations)
                            self->publish(user, registration, summary);
                    });
    }

    // Called once a change to the user's registrations is committed.
    void changed(const Jid& user) { away_.changed(user.str()); }

    void publish(const Jid& user, const PushRegistration& registration, const Summary& summary) {
        xml::ElementPtr options;
        if (!registration.options.empty())
            options = storage::parse_stored_xml(registration.options, "");
        auto iq = make_publish(user.str(), registration.service, registration.node, summary,
                               options.get());
        ctx_.send_iq(std::move(iq), publish_timeout_,
                     [self = shared_from_this(), user, registration](StanzaPtr reply) {
                         if (!reply) {
                             self->ctx_.log().info("push to {} node {} for {}: no answer",
                                                   registration.service, registration.node,
                                                   user.str());
                             return;
                         }
                         if (reply->type() != "error") return;
                         self->on_error(user, registration, *reply);
                     });
    }

    void on_error(const Jid& user, const PushRegistration& registration, const Stanza& reply) {
        std::string condition;
        if (judge_error(reply, condition) == ErrorVerdict::keep) {
            ctx_.log().info("push to {} node {} for {} failed with <{}/>; kept, the error may pass",
                            registration.service, registration.node, user.str(), condition);
            return;
        }
        ctx_.log().warn("push to {} node {} for {} refused with <{}/>: registration disabled",
                        registration.service, registration.node, user.str(), condition);
        // Forgotten at once, so the next message reads the registrations again (after the
        // delete, on the one database connection), and again once the delete is committed.
        changed(user);
        store_.disable(user.domain(), user.local(), registration.service, registration.node,
                       [self = shared_from_this(), user](storage::Result) { self->changed(user); });
    }

    ModuleLink ctx_;
    PushStore store_;
    std::int64_t max_registrations_;
    std::chrono::milliseconds publish_timeout_;
    AwayUsers away_;
};

void load(ModuleContext& ctx) {
    const auto& opts = ctx.options();
    auto push = std::make_shared<Push>(ctx, opts.get_int("max_registrations"),
                                       opts.get_int("publish_timeout"));
    ctx.own(push);
    ctx.add_feature(ns_push, IqTarget::account);
    ctx.iq_handler(IqTarget::account, "set", ns_push, [push](StanzaEvent& ev) { push->set(ev); });
    // Above mod_offline (priority 0), which takes the message; this one only looks and passes.
    ctx.hook(
        events::message_offline, [push](StanzaEvent& ev) { return push->offline(ev); }, 10);
    // Fired by stream management for a message queued to a hibernated session.
    ctx.hook(
        events::message_hibernated, [push](StanzaEvent& ev) { return push->hibernated(ev); }, 10);
    for (const auto* event : {&events::session_available, &events::session_resumed})
        ctx.hook_session(*event, [push](SessionEvent& ev) {
            push->online(ev);
            return Verdict::pass;
        });
    ctx.add_timer(std::chrono::minutes(1), [push] { push->sweep(); });
}

}  // namespace

STARLING_MODULE("push", "XEP-0357 push notifications to app servers, without message content",
                options, nullptr, load)
