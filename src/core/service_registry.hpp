#pragma once
// In-process services: a module that serves a whole domain of its own (the multi-user chat
// service at conference.example.org; upload and others later) registers it here, as a module
// registers anything else, and the registration's end removes it. The router asks here for a
// domain that is neither a host nor a component and hands every stanza to that domain, or to any
// JID at it, to the service's handler. Nothing in the core knows what a service does.
//
// The table is read on every stanza to a domain that is not a host and changes only when a
// module loads or unloads, so it is published whole (copy on write) and read with one atomic
// load: a stanza to a service never waits on a lock another service's traffic takes.

#include "core/registration.hpp"
#include "core/session.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace starling {

class ServiceRegistry {
public:
    /// Takes a stanza to the service's domain or a JID at it, on the routing thread. `origin` is
    /// the sending client's session, or null.
    using Handler = std::function<void(const SessionPtr& origin, StanzaPtr stanza)>;

    struct Service {
        std::string domain;
        std::string host;    // the host whose module serves it: it lists the service in disco#items
        std::string module;  // that module's name
        Handler handler;
    };

    /// Serves `service.domain` (lowercase) until the registration ends; nullopt (nothing
    /// registered) when another module, or the same module of another host, holds the domain.
    /// The same module of the same host takes it over: a reload loads the new instance before
    /// it unloads the old one, and when the reload fails and the new one goes, the old one
    /// serves the domain again.
    std::optional<Registration> add(Service service);
    /// The service of `domain`, or null.
    std::shared_ptr<const Service> find(std::string_view domain) const;
    /// The domains served on behalf of `host`, sorted.
    std::vector<std::string> of_host(std::string_view host) const;

private:
    // Per domain, the registrations of the instances loaded, newest last; the newest serves.
    using Table =
        std::map<std::string, std::vector<std::shared_ptr<const Service>>, std::less<>>;
    void remove(const std::string& domain, const Service* service);

    std::mutex write_mutex_;  // serialises writers only
    std::atomic<std::shared_ptr<const Table>> table_{std::make_shared<const Table>()};
};

}  // namespace starling
