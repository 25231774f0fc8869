#pragma once
// The command line of xmpp-bench as parsed by main.cpp (see `xmpp-bench --help`).

#include <sys/types.h>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

enum class tls_mode { none, starttls, direct };
enum class mechanism { scram_sha256, scram_sha1, plain };

struct options {
    std::string scenario;
    std::string host = "127.0.0.1";
    std::uint16_t port = 5222;
    std::string domain = "example.test";
    std::uint32_t users = 1;
    std::string user_prefix = "bench";
    std::uint32_t first = 1;
    std::string password = "bench";
    tls_mode tls = tls_mode::starttls;
    std::string websocket;  ///< non-empty: RFC 7395 over a WebSocket at this path of `port`
    mechanism sasl = mechanism::scram_sha256;
    std::vector<std::string> sources{"127.0.0.1"};
    std::vector<pid_t> server_pids;
    std::uint32_t concurrency = 100;
    bool roster_get = false;
    unsigned threads = 1;
    double hold_seconds = 10;
    double rate = 0;
    std::uint32_t window = 4;
    double duration_seconds = 10;
    double grace_seconds = 2;
    std::uint32_t messages = 1000;
    // muc: rooms, their sizes and the traffic into them (see bench/README.md).
    std::uint32_t rooms = 10;
    std::uint32_t occupants = 20;
    std::uint32_t big_room = 0;    ///< 0: every room has `occupants`; else room 1 has this many
    double big_room_rate = -1;     ///< < 0: the big room takes its share of `rate`
    double chat_rate = 0;          ///< 1:1 chat messages/s sent beside the room traffic
    std::uint32_t join_window = 50;  ///< room entries unanswered at once; 0: all at once
    std::string muc_domain;        ///< empty: conference.<domain>
    // chat across two servers: the receivers are accounts of a peer server, so every message
    // crosses the s2s stream from `domain` to `peer_domain` (see bench/README.md).
    std::string peer_domain;       ///< empty: chat on one server
    std::string peer_host;         ///< empty: `host`
    std::uint16_t peer_port = 0;
    std::string peer_user_prefix;  ///< empty: `user_prefix`
    bool json = false;

    /// The name of account `i` (first <= i < first + users), without the domain.
    std::string username(std::uint32_t i) const { return user_prefix + std::to_string(i); }
    std::string jid(std::uint32_t i) const { return username(i) + "@" + domain; }
    /// chat: whether the receivers are on a peer server (--peer-domain).
    bool s2s() const { return !peer_domain.empty(); }
    /// The options the peer server's clients log in with: the same account numbers and
    /// password, the peer's address, domain and prefix; nothing of chat across servers left.
    options peer_side() const {
        options peer = *this;
        peer.host = peer_host.empty() ? host : peer_host;
        peer.port = peer_port;
        peer.domain = peer_domain;
        peer.user_prefix = peer_user_prefix.empty() ? user_prefix : peer_user_prefix;
        peer.peer_domain.clear();
        peer.peer_host.clear();
        peer.peer_port = 0;
        peer.peer_user_prefix.clear();
        return peer;
    }
    /// muc: the size of room `r` (0-based); room 0 is the big one if there is one.
    std::uint32_t room_size(std::uint32_t r) const {
        return r == 0 && big_room > 0 ? big_room : occupants;
    }
    /// muc: accounts needed for every room's occupants (each account is in one room).
    std::uint64_t muc_accounts() const {
        std::uint64_t n = 0;
        for (std::uint32_t r = 0; r < rooms; ++r) n += room_size(r);
        return n;
    }
};

/// The SASL mechanism name as the server advertises it.
const char* mechanism_name(mechanism m);

}  // namespace bench
