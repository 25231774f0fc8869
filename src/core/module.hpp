#pragma once
// The module API. A module is a shared object mod_<name>.so exporting one descriptor,
// `starling_module`, built with STARLING_MODULE(...). Its load() only declares: every declaration
// made through the ModuleContext is undone when the module is unloaded (or reloaded).
//
//     static void load(starling::ModuleContext& ctx) {
//         ctx.add_feature("urn:xmpp:ping");
//         ctx.iq_handler(starling::IqTarget::host, "get", "urn:xmpp:ping",
//                        [](starling::StanzaEvent& ev) { ev.host.server().router().route(
//                            nullptr, starling::make_iq_result(*ev.stanza)); });
//     }
//     STARLING_MODULE("ping", "XEP-0199 XMPP Ping", nullptr, nullptr, load)
//
// See docs/modules.md.

#include "core/command_registry.hpp"
#include "core/events.hpp"
#include "core/host.hpp"
#include "core/http_routes.hpp"
#include "core/metrics.hpp"
#include "core/options.hpp"
#include "core/registration.hpp"
#include "core/service_registry.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace starling {

/// Bumped whenever the descriptor, ModuleContext or any type they expose changes layout.
inline constexpr int module_abi_version = 9;

namespace storage {
class AccountStore;
class Database;
}  // namespace storage

class ModuleContext {
public:
    ModuleContext(Host& host, std::string name, ModuleOptions options);
    ~ModuleContext();

    Host& host() { return host_; }
    Server& server();
    const std::string& domain() const { return host_.domain(); }
    const std::string& name() const { return name_; }
    const ModuleOptions& options() const { return options_; }

    void hook(const EventKey& event, HookTable<StanzaEvent>::Handler handler, int priority = 0);
    void hook_session(const EventKey& event, HookTable<SessionEvent>::Handler handler,
                      int priority = 0);
    /// Answers iq get/set with a payload in `xmlns` addressed to the host or to an account.
    void iq_handler(IqTarget target, std::string_view type, std::string xmlns,
                    Host::IqHandler handler);
    void add_feature(std::string ns, IqTarget target = IqTarget::host);
    void add_identity(Identity identity, IqTarget target = IqTarget::host);
    /// Adds to every disco#info or #items answer of `target` (core/disco.hpp): for what is not
    /// a fixed feature (a node's items, a form, something read from the database).
    void add_disco_contributor(IqTarget target, DiscoKind kind, Host::DiscoContributor fn);
    /// Serves the whole of `domain` (and every JID at it) in-process, listed in this host's
    /// disco#items (core/service_registry.hpp). Throws when the domain is a host, a component or
    /// another module's service.
    void add_service(const std::string& domain, ServiceRegistry::Handler handler);
    /// Serves HTTP requests for `path` (exact, or everything under it when it ends in '/') on
    /// the http and https listeners (core/http_routes.hpp).
    void add_http_route(std::string path, HttpRoute route);
    /// Offers `feature` in the stream features that come with resource binding.
    void add_stream_feature(const xml::Element& feature);
    /// Takes part in client streams that send nonzas in `xmlns` (core/client_stream.hpp):
    /// `factory` makes the stream's extension at the first one; `order` ranks it among the
    /// stream's extensions (lower sees outbound stanzas first).
    void add_stream_extension(std::string xmlns, int order, StreamExtensionFactory factory);
    /// Calls `fn` every `interval` on the server's control thread until unloaded.
    void add_timer(std::chrono::milliseconds interval, std::function<void()> fn);
    void add_command(CommandSpec spec);

    /// Routes a stanza the module made (its `from` is trusted as is).
    void send(StanzaPtr stanza);
    /// Answers the event's stanza with a stanza error (RFC 6120 §8.3) back to its sender.
    void reply_error(const StanzaEvent& event, std::string_view type, std::string_view condition,
                     std::string_view text = {});
    /// Sends an iq get/set from the host and calls `done` with the reply, or null on timeout.
    void send_iq(xml::ElementPtr iq, std::chrono::milliseconds timeout,
                 std::function<void(StanzaPtr)> done);

    storage::Database& database();
    storage::AccountStore& accounts();
    /// A typed store (a class in src/storage/ built on the Database) for this module, kept while
    /// it is loaded: modules reach storage through these, never through raw SQL.
    template <typename Store>
    Store& open_store() {
        return own(std::make_shared<Store>(database()));
    }
    spdlog::logger& log() { return *logger_; }
    /// The counter "<module>.<name>", one for all the hosts that load the module; `help` is
    /// its Prometheus HELP text.
    Counter& metric(const std::string& name, const std::string& help = {});
    /// The gauge "<module>.<name>" for this host (label host="<domain>"), whose value `read`
    /// computes when the metrics are read, until the module unloads. `read` runs on the reading
    /// thread: it may read atomics or take a short lock (Metrics::SampleSource).
    void gauge(const std::string& name, std::function<double()> read, const std::string& help = {});

    /// Keeps module state alive as long as the module is loaded.
    template <typename T>
    T& own(std::shared_ptr<T> state) {
        auto& ref = *state;
        state_.push_back(std::move(state));
        return ref;
    }

private:
    Host& host_;
    std::string name_;
    ModuleOptions options_;
    std::shared_ptr<spdlog::logger> logger_;
    std::vector<std::shared_ptr<void>> state_;
    std::vector<Registration> registrations_;  // declared last: undone first, while state lives
};

/// What a module's deferred work (a database callback, an iq reply, a posted job) may use
/// instead of the ModuleContext: the context goes when the module is unloaded (at a reload),
/// but such work can still be in flight then. A link holds only what lives as long as the
/// server (the host, its server) and its own copy of the instance's logger, so module state
/// that keeps a link, held by a shared_ptr that the callbacks capture, outlives the unload
/// safely and still answers what it was asked.
class ModuleLink {
public:
    explicit ModuleLink(ModuleContext& context);

    Host& host() const { return *host_; }
    Server& server() const;
    const std::string& domain() const { return host_->domain(); }

    /// As ModuleContext::send, reply_error and send_iq.
    void send(StanzaPtr stanza) const;
    void reply_error(const StanzaEvent& event, std::string_view type, std::string_view condition,
                     std::string_view text = {}) const;
    void send_iq(xml::ElementPtr iq, std::chrono::milliseconds timeout,
                 std::function<void(StanzaPtr)> done) const;
    spdlog::logger& log() const { return *logger_; }

private:
    Host* host_;
    std::shared_ptr<spdlog::logger> logger_;
};

struct ModuleDescriptor {
    int abi_version;
    const char* name;
    const char* description;
    /// Options as data (null: none); they drive validation and `starlingctl` documentation.
    std::vector<OptionSpec> (*options)();
    /// Names of modules that must be loaded first on the same host (null-terminated, or null).
    const char* const* depends;
    void (*load)(ModuleContext& context);
};

}  // namespace starling

#define STARLING_MODULE(name, description, options, depends, load)               \
    extern "C" const starling::ModuleDescriptor starling_module = {               \
        starling::module_abi_version, name, description, options, depends, load};
