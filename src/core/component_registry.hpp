#pragma once
// External components (XEP-0114): the domains the configuration gives them, fixed for the life of
// the process like the hosts, and the one stream connected for each. The router asks here for
// every stanza to a domain that is not a host; the component stream attaches itself once its
// handshake succeeds and detaches when it closes.

#include "core/session.hpp"

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace starling {

class ComponentRegistry {
public:
    /// Declares the configured component domains (lowercase); called once, before any stream.
    void configure(std::vector<std::string> domains);

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
    mutable std::mutex mutex_;
    std::map<std::string, SessionPtr, std::less<>> connected_;  // a key per configured domain
};

}  // namespace starling
