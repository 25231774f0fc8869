#pragma once
// XEP-0156: how a web client learns where the server's WebSocket (and BOSH) endpoints are, from
// /.well-known/host-meta (XRD) or /.well-known/host-meta.json (JRD) of the domain.

#include "core/config.hpp"
#include "core/http_routes.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace starling::host_meta {

struct Link {
    std::string rel;   // urn:xmpp:alt-connections:websocket or ...:xbosh
    std::string href;  // wss://host:port/xmpp-websocket
};

/// The endpoints a request should be told about: under http.external_url when set, else under
/// the scheme and Host the request came with. Empty when the Host header is not a host[:port].
std::vector<Link> links_for(const HttpRequest& request, const config::HttpConfig& http);

/// The XRD document (XEP-0156 §3.2.1).
std::string xrd(const std::vector<Link>& links);
/// The JRD document (XEP-0156 §3.2.2).
std::string jrd(const std::vector<Link>& links);

/// Answers GET and HEAD of host-meta (`json` false) or host-meta.json, readable from any origin.
void answer(HttpRequest& request, HttpRespond respond, const config::HttpConfig& http, bool json);

}  // namespace starling::host_meta
