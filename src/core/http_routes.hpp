#pragma once
// The embedded HTTP server's paths: modules register a handler for a path, as they register iq
// handlers, and the connections of the http and https listeners look requests up here. Free of
// Asio and Beast, so that modules including it compile quickly.

#include "core/registration.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace starling {

struct HttpRequest {
    std::string method;  ///< as sent, e.g. "GET"
    std::string target;  ///< as sent: path and query
    std::string path;    ///< the target up to '?'
    std::string query;   ///< after '?', without it
    /// Names lowercase, in the order received.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string peer;  ///< the client's address
    bool secure = false;

    /// The first value of header `name` (lowercase), "" when absent.
    std::string_view header(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// A plain-text response: `text` and a newline, Content-Type text/plain.
    static HttpResponse text(int status, std::string_view text);
};

/// Answers a request, once, from any thread. A connection that closed meanwhile drops it.
using HttpRespond = std::function<void(HttpResponse)>;
/// Handles one request. Runs on the connection's I/O thread: work that waits (storage) must
/// answer later through `respond`, not block.
using HttpHandler = std::function<void(HttpRequest& request, HttpRespond respond)>;

class HttpRoutes {
public:
    /// Serves `path` exactly, or every path under it when it ends with '/'; the longest
    /// registered match wins. Registering a path twice replaces the earlier handler until
    /// the later registration is dropped.
    Registration add(std::string path, HttpHandler handler);
    /// The handler for `path`, or null (a 404).
    std::shared_ptr<const HttpHandler> find(std::string_view path) const;

private:
    struct Entry {
        std::uint64_t id;
        std::shared_ptr<const HttpHandler> handler;
    };
    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 0;
    std::map<std::string, std::vector<Entry>, std::less<>> routes_;  // newest last
};

}  // namespace starling
