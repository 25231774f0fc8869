#pragma once
// The <body/> wrapper of BOSH (XEP-0124, XEP-0206 for XMPP): a request's is read here, with
// expat, into what the session needs (its ids, its attributes and its payloads as sent); a
// response's is written here. The payloads are not read apart: they go to the client stream's
// parser as they are, which judges them as it judges a TCP client's stanzas.

#include "core/http_routes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace starling::bosh {

constexpr std::string_view ns_httpbind = "http://jabber.org/protocol/httpbind";
constexpr std::string_view ns_xbosh = "urn:xmpp:xbosh";

/// What a request's <body/> says.
struct Request {
    std::uint64_t rid = 0;
    std::string sid;  ///< empty: a session creation request
    std::string to;
    std::string lang;  ///< xml:lang
    std::optional<unsigned> wait;
    std::optional<unsigned> hold;
    std::string ver;
    bool restart = false;    ///< xmpp:restart='true' (XEP-0206 §5)
    bool terminate = false;  ///< type='terminate'
    std::string payload;     ///< the child elements, as sent
};

/// `text` read as a request's <body/>, or nullopt with `error` saying what is wrong with it: not
/// well-formed, not a <body/> of the httpbind namespace, character data, a comment, a processing
/// instruction or a DOCTYPE in it, or no valid 'rid'.
std::optional<Request> parse_request(std::string_view text, std::string& error);

/// A response's <body/> holding `payload`; `attributes` (" name='value'...", escaped) go on it.
std::string response(std::string_view attributes, std::string_view payload);

/// The HTTP response carrying a <body/>: 200 (XEP-0124 §17: errors are in the body too),
/// text/xml, readable from any origin (CORS), never cached.
HttpResponse http_response(std::string body);

/// A terminal binding error (XEP-0124 §17.2): <body type='terminate' condition='...'/>.
std::string terminate(std::string_view condition);

}  // namespace starling::bosh
