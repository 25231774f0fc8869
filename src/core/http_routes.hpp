#pragma once
// The embedded HTTP server's paths: modules register a handler for a path, as they register iq
// handlers, and the connections of the http and https listeners look requests up here. Free of
// Asio and Beast, so that modules including it compile quickly.

#include "core/registration.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace starling::net {
class WebSocketStream;
}

namespace starling {

class HttpBodySource;

struct HttpRequest {
    std::string method;  ///< as sent, e.g. "GET"
    std::string target;  ///< as sent: path and query
    std::string path;    ///< the target up to '?'
    std::string query;   ///< after '?', without it
    /// Names lowercase, in the order received.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  ///< empty for a streamed route (HttpRoutes::add_streamed)
    /// From Content-Length; nullopt when the request has none (chunked, or no body).
    std::optional<std::uint64_t> content_length;
    std::string peer;  ///< the client's address
    bool secure = false;

    /// The first value of header `name` (lowercase), "" when absent.
    std::string_view header(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// When set, the body is read from it instead, a chunk at a time (a file served without
    /// holding it in memory); `body` is ignored and Content-Length is the source's size.
    std::shared_ptr<HttpBodySource> source;

    /// A plain-text response: `text` and a newline, Content-Type text/plain.
    static HttpResponse text(int status, std::string_view text);
};

/// Answers a request, once, from any thread. A connection that closed meanwhile drops it.
using HttpRespond = std::function<void(HttpResponse)>;
/// Handles one request. Runs on the connection's I/O thread: work that waits (storage) must
/// answer later through `respond`, not block.
using HttpHandler = std::function<void(HttpRequest& request, HttpRespond respond)>;

/// A response body read a chunk at a time, for bodies too large to hold in memory.
class HttpBodySource {
public:
    virtual ~HttpBodySource() = default;
    /// The body's length in bytes: the response's Content-Length.
    virtual std::uint64_t size() const = 0;
    /// Reads the next bytes, at most `max` of them, and calls `done` with them (valid until the
    /// next read), from any thread; `ok` false ends the connection mid-body.
    virtual void read(std::size_t max, std::function<void(bool ok, std::string_view bytes)> done) = 0;
};

/// Where a streamed request body goes as it arrives (HttpRoutes::add_streamed). Called on the
/// connection's thread, one call at a time.
class HttpBodySink {
public:
    virtual ~HttpBodySink() = default;
    /// Takes the next bytes of the body, and calls `done` from any thread once it is ready
    /// for more: with nothing to go on reading, or with the response that ends the request
    /// (and the connection) there, e.g. a 507 when the disk is full; after a failure the sink
    /// is not called again.
    virtual void write(std::string_view bytes,
                       std::function<void(std::optional<HttpResponse> failure)> done) = 0;
    /// The whole body has been written: answers the request.
    virtual void finish(HttpRespond respond) = 0;
    /// The request ended before its body did (the client went, or was too slow).
    virtual void abort() = 0;
};

/// Hands a streamed request's body to `sink` (once, from any thread).
using HttpAccept = std::function<void(std::shared_ptr<HttpBodySink> sink)>;
/// Decides on a request of a streamed route from its line and headers alone: answers it
/// through `respond`, or takes its body by calling `accept`. Runs on the connection's thread.
using HttpStreamHandler =
    std::function<void(HttpRequest& request, HttpRespond respond, HttpAccept accept)>;

/// Takes over a connection that became a WebSocket (RFC 6455) with the route's subprotocol:
/// `stream` is open, and `slot` counts the connection against the connection limits until
/// released. Runs on the connection's thread.
using HttpWebSocketHandler = std::function<void(
    HttpRequest& request, std::shared_ptr<net::WebSocketStream> stream, std::shared_ptr<void> slot)>;

/// What serves a path: a handler of whole requests, or of streamed ones; or a WebSocket
/// endpoint, whose requests must ask to upgrade with `websocket_protocol` among their
/// subprotocols.
struct HttpRoute {
    HttpHandler handler;
    HttpStreamHandler streamed;
    HttpWebSocketHandler websocket;
    std::string websocket_protocol;
    /// How long `handler` may take to answer, once the request is read, when longer than
    /// http.request_timeout: a long-polling handler (BOSH) holds requests on purpose.
    std::chrono::seconds answer_within{0};
};

class HttpRoutes {
public:
    /// Serves `path` exactly, or every path under it when it ends with '/'; the longest
    /// registered match wins. Registering a path twice replaces the earlier handler until
    /// the later registration is dropped.
    Registration add(std::string path, HttpHandler handler);
    /// As add, for requests whose bodies are too large to hold (uploads): `handler` sees the
    /// headers first, and a body it accepts is handed over as it arrives, bounded by the
    /// handler's judgement (it sees Content-Length) instead of http.body_bytes.
    Registration add_streamed(std::string path, HttpStreamHandler handler);
    /// A WebSocket endpoint speaking `protocol` (RFC 6455 subprotocol); other requests to the
    /// path get 426.
    Registration add_websocket(std::string path, std::string protocol,
                               HttpWebSocketHandler handler);
    /// Any of the above, as `route` holds a handler, a streamed one or a WebSocket one.
    Registration add_route(std::string path, HttpRoute route);
    /// The route for `path`, or null (a 404).
    std::shared_ptr<const HttpRoute> find(std::string_view path) const;

private:
    struct Entry {
        std::uint64_t id;
        std::shared_ptr<const HttpRoute> route;
    };
    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 0;
    std::map<std::string, std::vector<Entry>, std::less<>> routes_;  // newest last
};

}  // namespace starling
