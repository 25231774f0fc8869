#pragma once
// The BOSH endpoint (XEP-0124/XEP-0206, at http.bosh_path): the HTTP handler that creates
// sessions and hands each later request to its session, found by its sid, on the session's
// thread. A session is worth a client connection: it takes a slot of the connection limits for
// as long as it lives, whatever number of HTTP connections carry it.
//
// Anyone can post here. A sid is 128 random bits, so a request can only reach a session whose
// sid it was told; within the session the rid window (BoshStream) bounds what one client has
// outstanding, and the body limit of the HTTP server bounds each request.

#include "core/http_routes.hpp"
#include "net/asio.hpp"
#include "stream/bosh_stream.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace starling {

class BoshEndpoint : public std::enable_shared_from_this<BoshEndpoint> {
public:
    struct Limits {
        unsigned max_wait = 60;    // the longest 'wait' granted
        unsigned inactivity = 60;  // seconds a client may go without a request
    };
    /// What the endpoint needs of the server.
    struct Hooks {
        std::function<Limits()> limits;
        /// True when `domain` is a host served here.
        std::function<bool(std::string_view domain)> serves;
        /// A connection slot for a session from `address`, or null with `refused` saying why.
        std::function<std::shared_ptr<void>(const std::string& address, std::string& refused)>
            admit;
        /// The thread a new session lives on.
        std::function<asio::any_io_executor()> executor;
        /// Starts the client stream over a new session, on its thread.
        std::function<void(std::shared_ptr<BoshStream> stream, std::shared_ptr<void> slot)> start;
    };

    explicit BoshEndpoint(Hooks hooks) : hooks_(std::move(hooks)) {}

    /// The HTTP handler of the endpoint's path.
    void handle(HttpRequest& request, HttpRespond respond);

private:
    void create(bosh::Request body, const HttpRequest& request, HttpRespond respond);

    Hooks hooks_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::weak_ptr<BoshStream>> streams_;  // by sid
};

}  // namespace starling
