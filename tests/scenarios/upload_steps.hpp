#pragma once
// Steps for the HTTP File Upload scenarios: a server with mod_http_upload behind an https
// listener, slot requests over XMPP, and PUT/GET of the slot's URLs over TLS.

#include "free_port.hpp"
#include "http_client.hpp"
#include "server_fixture.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"

#include <string>

namespace starling::scenarios {

inline constexpr const char* ns_upload = "urn:xmpp:http:upload:0";
inline constexpr const char* upload_service = "upload.example.test";

/// Starts `server` (alice and bob) with http_upload and these module options (YAML flow map
/// entries, e.g. "quota: 1000"), served on an https listener; returns its port.
inline std::uint16_t start_upload_server(server_fixture& server, const std::string& options = "",
                                         const std::string& other_modules = "") {
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.modules = "[disco, ping, " + other_modules + "{http_upload: {" + options + "}}]";
    server.write_config();
    start_with_accounts(server);
    return port;
}

struct upload_slot {
    std::string put_url, get_url, authorization;
    std::string path;  // of the URL, on this server
};

/// Asks for a slot; the reply must be a result with a put URL, its Authorization header, and
/// the same URL to get.
inline upload_slot request_slot(strophe_client& client, const std::string& filename,
                                std::size_t size, const std::string& content_type,
                                std::uint16_t port) {
    static int counter = 0;
    const std::string id = "slot" + std::to_string(++counter);
    auto reply = client.request("<iq type='get' to='" + std::string(upload_service) + "' id='" + id +
                                    "'><request xmlns='" + ns_upload + "' filename='" + filename +
                                    "' size='" + std::to_string(size) + "' content-type='" +
                                    content_type + "'/></iq>",
                                id);
    require(stanza_attribute(reply.get(), "type") == "result",
            "the slot request failed: " + stanza_text(reply.get()));
    auto* slot = stanza_child(reply.get(), "slot", ns_upload);
    auto* put = stanza_child(slot, "put", nullptr);
    auto* header = stanza_child(put, "header", nullptr);
    upload_slot out{stanza_attribute(put, "url"), stanza_attribute(stanza_child(slot, "get", nullptr), "url"),
                    stanza_content(header), {}};
    require(stanza_attribute(header, "name") == "Authorization" &&
                out.authorization.rfind("Bearer ", 0) == 0 && out.authorization.size() > 40,
            "the slot has no Authorization header with a bearer token: " + stanza_text(reply.get()));
    const std::string origin = "https://example.test:" + std::to_string(port);
    require(out.put_url == out.get_url && out.put_url.rfind(origin + "/upload/upload.example.test/", 0) == 0,
            "unexpected slot URLs: " + stanza_text(reply.get()));
    out.path = out.put_url.substr(origin.size());
    return out;
}

/// Every byte value, then a pattern: binary content no text handling would leave intact.
inline std::string binary_content(std::size_t size) {
    std::string content(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        content[i] = static_cast<char>(i < 256 ? i : (i * 7919 + i / 251) & 0xff);
    return content;
}

}  // namespace starling::scenarios
