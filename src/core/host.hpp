#pragma once
// One virtual domain: its hooks, iq handlers, disco data and loaded modules.

#include "core/client_stream.hpp"
#include "core/events.hpp"
#include "core/options.hpp"
#include "core/registration.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace starling {

class Server;
class LoadedModule;
class DiscoReply;

/// Whom an iq handler answers for: the host itself (to="example.test"), any local account
/// (to="user@example.test", handled by the server on the user's behalf), or a client stream that
/// has not authenticated yet (XEP-0077 registration; the handler replies to event.origin).
enum class IqTarget { host, account, unauthenticated };

/// The two XEP-0030 requests.
enum class DiscoKind { info, items };

struct Identity {
    std::string category;
    std::string type;
    std::string name;
    friend auto operator<=>(const Identity&, const Identity&) = default;
};

class Host {
public:
    Host(Server& server, std::string domain);
    ~Host();

    Server& server() { return server_; }
    const std::string& domain() const { return domain_; }

    HookTable<StanzaEvent>& stanza_hooks() { return stanza_hooks_; }
    HookTable<SessionEvent>& session_hooks() { return session_hooks_; }

    using IqHandler = std::function<void(StanzaEvent&)>;
    Registration add_iq_handler(IqTarget target, std::string_view type, std::string xmlns,
                                IqHandler handler);
    /// The handler for an iq get/set by the namespace of its payload, or null.
    IqHandler find_iq_handler(IqTarget target, std::string_view type, std::string_view xmlns) const;

    Registration add_feature(IqTarget target, std::string ns);
    Registration add_identity(IqTarget target, Identity identity);
    std::vector<std::string> features(IqTarget target) const;
    std::vector<Identity> identities(IqTarget target) const;

    /// Takes part in every disco#info or #items answer for `target` (core/disco.hpp).
    using DiscoContributor = std::function<void(const std::shared_ptr<DiscoReply>&)>;
    Registration add_disco_contributor(IqTarget target, DiscoKind kind,
                                       DiscoContributor contributor);
    std::vector<DiscoContributor> disco_contributors(IqTarget target, DiscoKind kind) const;

    /// A stream feature (RFC 6120 §4.3.2) offered with resource binding, as serialized XML
    /// (`<ver xmlns='urn:xmpp:features:rosterver'/>`); offered in registration order.
    Registration add_stream_feature(std::string xml);
    std::vector<std::string> stream_features() const;

    /// A client-stream extension (core/client_stream.hpp) for nonzas in `xmlns`; `order` places
    /// it among the stream's other extensions (lower sees outbound stanzas first).
    struct StreamExtensionSpec {
        std::string xmlns;
        int order = 0;
        StreamExtensionFactory factory;
    };
    Registration add_stream_extension(StreamExtensionSpec spec);
    /// The extension registered for `xmlns`, or null.
    std::shared_ptr<const StreamExtensionSpec> find_stream_extension(std::string_view xmlns) const;

    /// The options a module loaded on this host was given, or nullopt when it is not loaded:
    /// for a module that enforces another's limit (mod_presence and roster max_items).
    std::optional<ModuleOptions> module_options(const std::string& name) const;

    /// Modules loaded for this host, in load order; replaced whole on reload.
    void set_modules(std::vector<std::shared_ptr<LoadedModule>> modules);
    std::vector<std::string> module_names() const;
    bool has_module(const std::string& name) const;

private:
    Server& server_;
    std::string domain_;
    HookTable<StanzaEvent> stanza_hooks_;
    HookTable<SessionEvent> session_hooks_;

    mutable std::mutex mutex_;  // iq handlers, disco data and modules change only on (re)load
    // Per key, the handlers of the instances loaded, newest last (see add_iq_handler).
    std::map<std::tuple<IqTarget, std::string, std::string>,
             std::vector<std::pair<std::uint64_t, IqHandler>>>
        iq_handlers_;
    std::uint64_t next_iq_id_ = 0;
    std::multiset<std::pair<IqTarget, std::string>> features_;
    std::multiset<std::pair<IqTarget, Identity>> identities_;
    std::map<std::uint64_t, std::tuple<IqTarget, DiscoKind, DiscoContributor>> disco_contributors_;
    std::uint64_t next_disco_contributor_ = 0;
    std::map<std::uint64_t, std::string> stream_features_;
    std::uint64_t next_stream_feature_ = 0;
    std::vector<std::shared_ptr<LoadedModule>> modules_;
    std::map<std::uint64_t, std::shared_ptr<const StreamExtensionSpec>> stream_extensions_;
    std::uint64_t next_stream_extension_ = 0;
};

}  // namespace starling
