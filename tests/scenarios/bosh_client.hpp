#pragma once
// A BOSH client (XEP-0124/0206) to 127.0.0.1 for the BOSH scenarios: it posts <body/> wrappers
// with increasing rids over as many HTTP connections as it has requests outstanding (a browser's
// way), keeps one request waiting at the server while it expects something, as real clients do,
// and hands back each payload the server sends, parsed, so scenarios assert on structure. It
// also sends what no library would (rids out of order, repeats, foreign sids).

#include "http_client.hpp"
#include "xml_element.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace starling::scenarios {

/// One answer of the server: the HTTP response and its <body/>.
struct bosh_reply {
    http_reply http;
    xml_element body;                 ///< the <body/> itself, without its children
    std::vector<xml_element> payloads;  ///< its children

    bool terminated() const { return body.attribute("type") == "terminate"; }
};

class bosh_client {
public:
    struct settings {
        bool tls = true;
        std::string path = "/http-bind";
        std::string to = "example.test";
        unsigned wait = 10;  ///< asked for; the server may grant less
        unsigned hold = 1;
    };

    bosh_client(std::uint16_t port, settings how);
    ~bosh_client();
    bosh_client(const bosh_client&) = delete;
    bosh_client& operator=(const bosh_client&) = delete;

    /// Opens a session: its creation answer, whose attributes the session keeps (sid).
    bosh_reply create();
    /// The answer create() got.
    const bosh_reply& creation() const { return creation_; }
    const std::string& sid() const { return sid_; }
    /// The rid the next request gets.
    std::uint64_t next_rid() const { return rid_; }
    /// Takes the next rid for a request sent later with send_rid (out of order).
    std::uint64_t take_rid() { return rid_++; }

    /// Posts a body of `payload` with the next rid (and `attributes`, " name='value'...")
    /// without waiting for its answer; returns its rid.
    std::uint64_t send(const std::string& payload, const std::string& attributes = "");
    /// Posts a body with exactly this rid (and sid, unless `attributes` names its own), as a
    /// repeat or out of order; not counted as the next rid.
    std::uint64_t send_rid(std::uint64_t rid, const std::string& payload,
                           const std::string& attributes = "");
    /// The answer to `rid` (sent by this client and not yet answered).
    bosh_reply answer(std::uint64_t rid,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));
    /// Drops the HTTP connection carrying `rid`'s request, as a broken network would.
    void drop(std::uint64_t rid);
    /// Requests outstanding (sent, not yet answered).
    std::size_t outstanding() const;

    /// The next payload from the server, keeping one request waiting there for it.
    xml_element next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// The next payload must be `name` in `ns`.
    xml_element expect(const std::string& name, const std::string& ns,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// The last answer that came in through next(): a terminating one ends the session.
    const bosh_reply& last() const { return last_; }

    /// XEP-0206 up to a bound resource: creation, SASL PLAIN, restart, bind. Returns the JID.
    std::string login(const std::string& jid, const std::string& password,
                      const std::string& resource = "bosh");
    /// The same steps without binding (for stream management's resumption instead).
    void authenticate(const std::string& jid, const std::string& password);

private:
    struct connection;
    struct request {
        std::uint64_t rid;
        connection* via;
    };
    connection& free_connection();
    std::uint64_t post(std::uint64_t rid, const std::string& payload,
                       const std::string& attributes);

    std::uint16_t port_;
    settings how_;
    std::vector<std::unique_ptr<connection>> connections_;
    std::deque<request> outstanding_;  // in rid order of sending
    std::deque<xml_element> payloads_;
    bosh_reply last_;
    bosh_reply creation_;
    std::string sid_;
    std::uint64_t rid_;
};

/// `http` parsed as a BOSH answer; fails the scenario unless it is a <body/> of httpbind.
bosh_reply parse_bosh_reply(const http_reply& http);

}  // namespace starling::scenarios
