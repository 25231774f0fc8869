// The embedded HTTP server (http, https and metrics listeners): unknown paths, keep-alive,
// pipelining, SNI, and every limit a client can run into, each with the status it must get.
#include "free_port.hpp"
#include "http_client.hpp"
#include "server_fixture.hpp"
#include "test_accounts.hpp"

#include <openssl/x509v3.h>

namespace starling::scenarios {
namespace {

void require_status(const http_reply& reply, int status, const std::string& body_part,
                    const std::string& what) {
    require(reply.status == status && reply.body.find(body_part) != std::string::npos,
            what + ": expected " + std::to_string(status) + " with \"" + body_part +
                "\", got " + reply.to_string());
}

// Sends `request` on a new connection; it must get `status` with `body_part`, then the close.
void require_refused(std::uint16_t port, const std::string& request, int status,
                     const std::string& body_part, const std::string& what) {
    http_client client(port);
    client.send(request);
    auto reply = client.next_reply(std::chrono::seconds(5));
    require(reply.has_value(), what + ": no answer");
    require_status(*reply, status, body_part, what);
    require(client.wait_closed(std::chrono::seconds(5)),
            what + ": the connection stayed open after " + std::to_string(status));
}

}  // namespace

STARLING_SCENARIO(http_unknown_path_is_404_on_a_kept_alive_connection) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("http", port);
    server.write_config();
    server.start();

    http_client client(port);
    auto first = client.request("GET", "/nowhere");
    require_status(first, 404, "nothing is served at this path", "GET /nowhere");
    require(first.header("content-type") == "text/plain; charset=utf-8" && first.keep_alive,
            "a 404 should be text and keep the connection: " + first.to_string());
    // The same connection takes the next request.
    require_status(client.request("GET", "/also/nowhere?x=1"), 404, "nothing is served",
                   "a second request on the connection");
    auto head = client.request("HEAD", "/nowhere");
    require(head.status == 404 && head.body.empty() &&
                head.header("content-length") == std::to_string(first.body.size()),
            "HEAD should carry GET's Content-Length and no body: " + head.to_string());
    // HTTP/1.0 without keep-alive: answered, then closed.
    client.send("GET /old HTTP/1.0\r\n\r\n");
    auto old = client.next_reply(std::chrono::seconds(5));
    require(old && old->status == 404 && !old->keep_alive,
            "HTTP/1.0 request: " + (old ? old->to_string() : std::string("no response")));
    require(client.wait_closed(std::chrono::seconds(5)),
            "the connection stayed open after an HTTP/1.0 request without keep-alive");
}

STARLING_SCENARIO(https_listener_presents_each_host_its_certificate) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("https", port);
    server.write_config();
    server.start();

    for (const std::string host : {main_host, other_host}) {
        http_client client(port);
        client.start_tls(host);
        X509* certificate = client.stream().peer_certificate();
        require(certificate != nullptr &&
                    X509_check_host(certificate, host.c_str(), host.size(),
                                    X509_CHECK_FLAG_NO_WILDCARDS, nullptr) == 1,
                "the https listener did not present " + host + "'s certificate for SNI " + host);
        require_status(client.request("GET", "/nowhere"), 404, "nothing is served",
                       "GET over TLS with SNI " + host);
        require_status(client.request("GET", "/again"), 404, "nothing is served",
                       "a second request over the same TLS connection");
    }
}

STARLING_SCENARIO(http_limits_answer_431_413_400_and_408) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("http", port);
    server.extra_config +=
        "http: {header_bytes: 1024, body_bytes: 2048, request_timeout: 1, idle_timeout: 2}\n";
    server.write_config();
    server.start();

    require_refused(port,
                    "GET / HTTP/1.1\r\nHost: example.test\r\nX-Padding: " +
                        std::string(2000, 'p') + "\r\n\r\n",
                    431, "exceed http.header_bytes (1024 bytes)", "a 2,000-byte header");
    // Refused from its Content-Length, before the body is sent.
    require_refused(port, "POST /x HTTP/1.1\r\nHost: example.test\r\nContent-Length: 4096\r\n\r\n",
                    413, "exceeds http.body_bytes (2048 bytes)", "a 4,096-byte body");
    require_refused(port, "NOT HTTP AT ALL\r\n\r\n", 400, "malformed request",
                    "a malformed request line");
    {
        // A request that stops half-way: 408 after http.request_timeout, then the close.
        http_client client(port);
        const auto sent = std::chrono::steady_clock::now();
        client.send("GET /slow HTTP/1.1\r\nHost: example.test\r\n");
        auto reply = client.next_reply(std::chrono::seconds(5));
        const auto waited = std::chrono::steady_clock::now() - sent;
        require(reply.has_value(), "no answer to a request that never finished");
        require_status(*reply, 408, "within http.request_timeout (1 s)", "a stalled request");
        require(waited >= std::chrono::milliseconds(900),
                "408 came before the request timeout of 1 s");
        require(client.wait_closed(std::chrono::seconds(5)), "open after 408");
    }
    {
        // A kept-alive connection that sends nothing more is closed after http.idle_timeout,
        // and so is one that never sends anything.
        http_client used(port);
        http_client silent(port);
        require_status(used.request("GET", "/"), 404, "nothing is served", "GET /");
        require(used.wait_closed(std::chrono::seconds(5)) &&
                    silent.wait_closed(std::chrono::seconds(5)),
                "idle connections were not closed after http.idle_timeout (2 s)");
    }
    // The server is still fine for a well-behaved client.
    http_client client(port);
    require_status(client.request("GET", "/"), 404, "nothing is served", "GET / at the end");
}

STARLING_SCENARIO(http_pipelined_requests_are_answered_in_order) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("metrics", port);
    server.write_config();
    server.start();

    // 300 requests in one write, alternating a served and an unknown path.
    constexpr int requests = 300;
    std::string burst;
    for (int i = 0; i < requests; ++i)
        burst += std::string(i % 2 == 0 ? "GET /metrics" : "GET /other") +
                 " HTTP/1.1\r\nHost: example.test\r\n\r\n";
    http_client client(port);
    client.send(burst);
    for (int i = 0; i < requests; ++i) {
        auto reply = client.next_reply(std::chrono::seconds(10));
        require(reply.has_value(), "response " + std::to_string(i) + " of " +
                                       std::to_string(requests) + " did not come");
        const int expected = i % 2 == 0 ? 200 : 404;
        require(reply->status == expected, "response " + std::to_string(i) + ": expected " +
                                               std::to_string(expected) + ", got " +
                                               reply->to_string());
    }
}

// HTTP connections count against limits.connections_per_ip like client streams, and the one
// past it is told so in HTTP.
STARLING_SCENARIO(http_connection_past_the_per_ip_limit_gets_503) {
    server_fixture server(options);
    const auto port = free_loopback_port();
    server.extra_listen += listen_entry("http", port);
    server.extra_config = "limits: {connections_per_ip: 2}\n";
    server.write_config();
    server.start();

    http_client first(port);
    http_client second(port);
    require_status(first.request("GET", "/"), 404, "nothing is served", "the first connection");
    require_status(second.request("GET", "/"), 404, "nothing is served", "the second connection");
    http_client third(port);
    auto refused = third.next_reply(std::chrono::seconds(5));
    require(refused.has_value(), "the third connection got no answer");
    require_status(*refused, 503,
                   "too many connections: 2 connections from this address "
                   "(limits.connections_per_ip)",
                   "the third connection");
    require(third.wait_closed(std::chrono::seconds(5)), "the refused connection stayed open");
    // The first two still work.
    require_status(first.request("GET", "/a"), 404, "nothing is served", "the first again");
}

}  // namespace starling::scenarios
