#include "core/host_meta.hpp"

#include "xml/serializer.hpp"

#include <cctype>
#include <cstdio>

namespace starling::host_meta {
namespace {

constexpr std::string_view rel_websocket = "urn:xmpp:alt-connections:websocket";
constexpr std::string_view rel_bosh = "urn:xmpp:alt-connections:xbosh";

// A Host header is only ever a name or address and a port: anything else (a path, a quote, a
// space) would be written into the document as it is and is refused instead.
bool plain_authority(std::string_view host) {
    if (host.empty() || host.size() > 255) return false;
    for (const char c : host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
            c != '[' && c != ']')
            return false;
    }
    return true;
}

void json_string(std::string_view text, std::string& out) {
    out += '"';
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
            out += escaped;
        } else {
            out += c;
        }
    }
    out += '"';
}

}  // namespace

std::vector<Link> links_for(const HttpRequest& request, const config::HttpConfig& http) {
    std::string base;
    bool secure = request.secure;
    if (!http.external_url.empty()) {
        base = http.external_url;
        secure = base.rfind("https://", 0) == 0;
        base = base.substr(base.find("://") + 3);
    } else {
        const auto host = request.header("host");
        if (!plain_authority(host)) return {};
        base = std::string(host);
    }
    std::vector<Link> links;
    if (!http.websocket_path.empty())
        links.push_back({std::string(rel_websocket),
                         (secure ? "wss://" : "ws://") + base + http.websocket_path});
    if (!http.bosh_path.empty())
        links.push_back(
            {std::string(rel_bosh), (secure ? "https://" : "http://") + base + http.bosh_path});
    return links;
}

std::string xrd(const std::vector<Link>& links) {
    std::string out =
        "<?xml version='1.0' encoding='utf-8'?>\n"
        "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n";
    for (const auto& link : links) {
        out += "  <Link rel='";
        xml::escape(link.rel, out);
        out += "' href='";
        xml::escape(link.href, out);
        out += "'/>\n";
    }
    return out + "</XRD>\n";
}

std::string jrd(const std::vector<Link>& links) {
    std::string out = "{\"links\":[";
    for (std::size_t i = 0; i < links.size(); ++i) {
        if (i > 0) out += ',';
        out += "{\"rel\":";
        json_string(links[i].rel, out);
        out += ",\"href\":";
        json_string(links[i].href, out);
        out += '}';
    }
    return out + "]}\n";
}

void answer(HttpRequest& request, HttpRespond respond, const config::HttpConfig& http, bool json) {
    // Web clients fetch it from their own origin, so any origin may read it (XEP-0156 §3.2).
    const auto readable_anywhere = [](HttpResponse response) {
        response.headers.emplace_back("Access-Control-Allow-Origin", "*");
        return response;
    };
    if (request.method == "OPTIONS") {
        auto preflight = readable_anywhere(HttpResponse{204, {}, "", nullptr});
        preflight.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        return respond(std::move(preflight));
    }
    if (request.method != "GET" && request.method != "HEAD") {
        auto refused = readable_anywhere(HttpResponse::text(405, "only GET and HEAD are served here"));
        refused.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
        return respond(std::move(refused));
    }
    const auto links = links_for(request, http);
    if (links.empty() && http.external_url.empty() &&
        (!http.websocket_path.empty() || !http.bosh_path.empty()))
        return respond(readable_anywhere(
            HttpResponse::text(400, "the Host header must be a host name or address and a port")));
    HttpResponse response;
    response.headers.emplace_back("Content-Type", json ? "application/json"
                                                       : "application/xrd+xml; charset=utf-8");
    response.body = json ? jrd(links) : xrd(links);
    respond(readable_anywhere(std::move(response)));
}

}  // namespace starling::host_meta
