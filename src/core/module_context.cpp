#include "core/module.hpp"

#include "core/server.hpp"
#include "storage/account_store.hpp"
#include "xml/serializer.hpp"

#include <spdlog/spdlog.h>

namespace starling {

namespace {

// An iq get/set from the host, tracked until its reply or `timeout`.
void send_iq_from(Host& host, xml::ElementPtr iq, std::chrono::milliseconds timeout,
                  std::function<void(StanzaPtr)> done) {
    auto to = Jid::parse(iq->attr("to"));
    if (!to) {
        done(nullptr);
        return;
    }
    const auto id = host.server().iq_tracker().track(
        *to, std::chrono::steady_clock::now() + timeout, std::move(done));
    iq->set_attr("id", id);
    if (!iq->has_attr("from")) iq->set_attr("from", host.domain());
    host.server().router().route(nullptr, make_stanza(std::move(iq)));
}

}  // namespace

ModuleContext::ModuleContext(Host& host, std::string name, ModuleOptions options)
    : host_(host), name_(std::move(name)), options_(std::move(options)) {
    // One logger per module instance, sharing the default logger's sinks and level.
    auto base = spdlog::default_logger();
    logger_ = std::make_shared<spdlog::logger>("mod_" + name_ + "@" + host.domain(),
                                               base->sinks().begin(), base->sinks().end());
    logger_->set_level(base->level());
    // And its flush level: the sinks are shared, so a module's line would otherwise wait in the
    // file's buffer until the core logged something.
    logger_->flush_on(base->flush_level());
}

ModuleContext::~ModuleContext() {
    // Undo declarations newest first, before the state they may reference goes.
    while (!registrations_.empty()) registrations_.pop_back();
}

Server& ModuleContext::server() { return host_.server(); }

void ModuleContext::hook(const EventKey& event, HookTable<StanzaEvent>::Handler handler, int priority) {
    registrations_.push_back(host_.stanza_hooks().add(event, std::move(handler), priority));
}

void ModuleContext::hook_session(const EventKey& event, HookTable<SessionEvent>::Handler handler,
                                 int priority) {
    registrations_.push_back(host_.session_hooks().add(event, std::move(handler), priority));
}

void ModuleContext::iq_handler(IqTarget target, std::string_view type, std::string xmlns,
                               Host::IqHandler handler) {
    registrations_.push_back(host_.add_iq_handler(target, type, std::move(xmlns), std::move(handler)));
}

void ModuleContext::add_feature(std::string ns, IqTarget target) {
    registrations_.push_back(host_.add_feature(target, std::move(ns)));
}

void ModuleContext::add_identity(Identity identity, IqTarget target) {
    registrations_.push_back(host_.add_identity(target, std::move(identity)));
}

void ModuleContext::add_disco_contributor(IqTarget target, DiscoKind kind,
                                          Host::DiscoContributor fn) {
    registrations_.push_back(host_.add_disco_contributor(target, kind, std::move(fn)));
}

void ModuleContext::add_service(const std::string& domain, ServiceRegistry::Handler handler) {
    if (server().host(domain))
        throw std::runtime_error("the service domain " + domain + " is one of hosts");
    if (server().components().serves(domain))
        throw std::runtime_error("the service domain " + domain + " is one of components");
    auto registration =
        server().services().add({domain, host_.domain(), name_, std::move(handler)});
    if (!registration)
        throw std::runtime_error("the service domain " + domain +
                                 " is already served by another module");
    registrations_.push_back(std::move(*registration));
}

void ModuleContext::add_stream_feature(const xml::Element& feature) {
    registrations_.push_back(host_.add_stream_feature(xml::to_string(feature, ns_client)));
}

void ModuleContext::add_stream_extension(std::string xmlns, int order,
                                         StreamExtensionFactory factory) {
    registrations_.push_back(
        host_.add_stream_extension({std::move(xmlns), order, std::move(factory)}));
}

void ModuleContext::add_http_route(std::string path, HttpRoute route) {
    registrations_.push_back(server().http_routes().add_route(std::move(path), std::move(route)));
}

void ModuleContext::add_timer(std::chrono::milliseconds interval, std::function<void()> fn) {
    registrations_.push_back(server().add_timer(interval, std::move(fn)));
}

void ModuleContext::add_command(CommandSpec spec) {
    registrations_.push_back(server().commands().add(std::move(spec)));
}

void ModuleContext::send(StanzaPtr stanza) { server().router().route(nullptr, std::move(stanza)); }

void ModuleContext::reply_error(const StanzaEvent& event, std::string_view type,
                                std::string_view condition, std::string_view text) {
    server().router().bounce(event.origin, *event.stanza, type, condition, text);
}

void ModuleContext::send_iq(xml::ElementPtr iq, std::chrono::milliseconds timeout,
                            std::function<void(StanzaPtr)> done) {
    send_iq_from(host_, std::move(iq), timeout, std::move(done));
}

storage::Database& ModuleContext::database() { return server().database(); }
storage::AccountStore& ModuleContext::accounts() { return server().accounts(); }

Counter& ModuleContext::metric(const std::string& name, const std::string& help) {
    return server().metrics().counter(name_ + "." + name, {}, help);
}

void ModuleContext::gauge(const std::string& name, std::function<double()> read,
                          const std::string& help) {
    registrations_.push_back(server().metrics().gauge_callback(
        name_ + "." + name,
        [read = std::move(read), host = domain()] {
            return std::vector<Sample>{{{{"host", host}}, read()}};
        },
        help));
}

ModuleLink::ModuleLink(ModuleContext& context)
    : host_(&context.host()), logger_(std::make_shared<spdlog::logger>(context.log())) {}

Server& ModuleLink::server() const {
    return host_->server();
}

void ModuleLink::send(StanzaPtr stanza) const {
    server().router().route(nullptr, std::move(stanza));
}

void ModuleLink::reply_error(const StanzaEvent& event, std::string_view type,
                             std::string_view condition, std::string_view text) const {
    server().router().bounce(event.origin, *event.stanza, type, condition, text);
}

void ModuleLink::send_iq(xml::ElementPtr iq, std::chrono::milliseconds timeout,
                         std::function<void(StanzaPtr)> done) const {
    send_iq_from(*host_, std::move(iq), timeout, std::move(done));
}

}  // namespace starling
