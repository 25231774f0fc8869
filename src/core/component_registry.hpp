#pragma once
// External components (XEP-0114): the domains the configuration gives them, fixed for the life of
// the process like the hosts, and the one stream connected for each. The router asks here for
// every stanza to a domain that is not a host; the component stream attaches itself once its
// handshake succeeds and detaches when it closes.
//
// The domains are fixed before any thread routes, so looking one up takes no lock, and each
// domain's stream is an atomic shared_ptr: a stanza to a component never waits on a mutex that
// every other component's traffic takes too (DESIGN.md: no global mutex on a message's path).

#include "core/session.hpp"

#include <atomic>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace starling {

class ComponentRegistry {
public:
    /// Declares the configured component domains (lowercase); called once, before any stream.
    void configure(std::vector<std::string> domains);

    /// The configured component domains, sorted.
    std::vector<std::string> domains() const;
    /// True when `domain` is a configured component, connected or not.
    bool serves(std::string_view domain) const;
    /// The connected stream of `domain`, or null.
    SessionPtr find(std::string_view domain) const;
    /// Makes `session` the stream of `domain`; false (and nothing changed) when another stream
    /// is already connected for it: the first one keeps the domain (see docs/routing.md).
    bool attach(const std::string& domain, const SessionPtr& session);
    /// Forgets the stream of `domain` if it is still `session`.
    void detach(const std::string& domain, const Session& session);

private:
    // A key per configured domain, added by configure() only.
    std::map<std::string, std::atomic<SessionPtr>, std::less<>> connected_;
};

}  // namespace starling
