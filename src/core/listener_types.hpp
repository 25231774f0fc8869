#pragma once
// The kinds of listener `listen:` may name. The configuration checks a listener's type against
// this table and Server::start looks it up here: a new kind of stream (s2s, WebSocket) is one
// more entry and one more StreamKind, not another string comparison.

#include <string>
#include <string_view>
#include <vector>

namespace starling {

/// The stream protocol a listener's connections speak.
enum class StreamKind {
    c2s,        ///< RFC 6120 client streams (jabber:client)
    component,  ///< XEP-0114 external components (jabber:component:accept)
    s2s,        ///< RFC 6120 server-to-server streams from other domains (jabber:server)
    http,       ///< HTTP/1.1: the paths modules register (core/http_routes.hpp)
    metrics,    ///< HTTP/1.1 serving only /metrics (Prometheus), for a listener of its own
};

struct ListenerType {
    std::string_view name;
    StreamKind kind;
    /// TLS from the first byte (XEP-0368), rather than plain text with STARTTLS (or none).
    bool direct_tls;
    /// What it is, for the configuration's error messages.
    std::string_view doc;
};

/// Every listener type, in the order the configuration's errors list them.
const std::vector<ListenerType>& listener_types();
/// The type called `name` (lowercase), or null.
const ListenerType* find_listener_type(std::string_view name);
/// "c2s (STARTTLS), c2s_tls (direct TLS) or component (XEP-0114)": for error messages.
std::string listener_type_list();

}  // namespace starling
