#pragma once
// The server configuration: loaded from YAML and validated before anything starts. Every error is
// a ConfigError whose message names the file, the line and the key, and says what to do.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace starling::config {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ListenConfig {
    std::string type;  // a name in listener_types() (core/listener_types.hpp)
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: the kernel picks one (tests read it from the log/status)
};

/// An external component (XEP-0114) allowed to connect to a `component` listener: the domain it
/// serves (every stanza to that domain or a JID at it goes to the component) and the shared
/// secret of its handshake.
struct ComponentConfig {
    std::string domain;
    std::string secret;
    int line = 0;
    friend bool operator==(const ComponentConfig& a, const ComponentConfig& b) {
        return a.domain == b.domain && a.secret == b.secret;
    }
};

struct CertKey {
    std::string certificate;
    std::string key;
    int certificate_line = 0;  // where they were written, for check_files' messages
    int key_line = 0;
};

struct TlsConfig {
    CertKey defaults;                      // tls.certificate / tls.key
    std::map<std::string, CertKey> hosts;  // tls.hosts.<domain>: per-host certificate for SNI
    bool required = true;                  // tls.required: STARTTLS before auth on c2s
};

/// Server-to-server settings (s2s listeners).
struct S2sConfig {
    /// PEM file of the certificates a peer server's chain is verified against; empty: the
    /// system's trust store.
    std::string ca_file;
    int ca_file_line = 0;  // where it was written, for check_files' message
    /// Where a remote domain's server is, instead of asking DNS: "address:port" (an IP
    /// literal, IPv6 in brackets), for private deployments and tests.
    std::map<std::string, std::pair<std::string, std::uint16_t>> hosts;
    /// Seconds a server-to-server stream may carry nothing before it is closed (either
    /// direction; the next stanza opens a new one).
    int idle_timeout = 600;
    /// Refuse Server Dialback (XEP-0220): a peer must prove its domain with a certificate, in
    /// both directions. Domains in `dialback_domains` may still use it.
    bool require_certificates = false;
    std::set<std::string> dialback_domains;
    /// DNS servers for finding other domains' servers, "address:port"; empty: resolv.conf's.
    std::vector<std::string> dns_servers;
    /// Remote domains federated with: when `allow` is not empty only those, never those in
    /// `deny`; a domain listed covers its subdomains.
    std::set<std::string> allow;
    std::set<std::string> deny;
    /// Stanzas per second one remote domain may send here, over all its streams; past it their
    /// reading pauses. 0: no limit.
    int stanza_rate = 10000;
    /// Outgoing streams at once; past it stanzas for a domain without one bounce.
    std::size_t max_outgoing_streams = 10000;
    /// The size of one stanza from another server.
    std::size_t stanza_bytes = 512 * 1024;
    /// Bidirectional streams (XEP-0288): offered to peers, and asked of peers that offer them,
    /// so that one TCP connection carries a pair of domains both ways.
    bool bidi = true;

    /// Whether `domain` may authenticate, or be trusted, by Server Dialback alone.
    bool dialback_allowed(const std::string& domain) const {
        return !require_certificates || dialback_domains.count(domain) != 0;
    }
    /// Whether this server federates with `domain` (s2s.allow and s2s.deny).
    bool federates_with(const std::string& domain) const;
};

struct StorageConfig {
    std::string driver = "sqlite";
    std::string path;      // sqlite
    std::string conninfo;  // postgres
};

struct LogConfig {
    std::string level = "info";  // trace, debug, info, warn, error
    std::string file;            // empty: standard error
};

struct Limits {
    std::size_t stanza_bytes_preauth = 16 * 1024;
    std::size_t stanza_bytes = 256 * 1024;
    std::size_t max_depth = 32;
    std::size_t max_attributes = 64;
    std::size_t stanza_elements_preauth = 128;
    std::size_t stanza_elements = 10000;
    std::size_t outbound_queue_bytes = 1024 * 1024;
    std::size_t sessions_per_user = 16;
    int preauth_timeout = 30;  // seconds to authenticate, and again to bind a resource
    int auth_failures = 5;     // failed SASL attempts per IP / account per minute
    std::size_t connections =
        0;  // client connections at once; 0: the open-file limit less a reserve
    std::size_t connections_per_ip = 100;  // from one IPv4 address or IPv6 /64; 0: no limit
};

/// How fast one stream may send (rate_limits.*): token buckets on bytes and on top-level
/// elements (stanzas and nonzas), per second; 0 turns a bucket off.
struct StreamRate {
    std::uint32_t bytes = 0;
    std::uint32_t stanzas = 0;
    bool limited() const { return bytes != 0 || stanzas != 0; }
};

/// Per-stream shaping (docs/rate-limits.md): over its rate a stream is not read until its
/// buckets refill; one that stays over for `hard_after` seconds is closed.
struct RateLimits {
    StreamRate c2s{256 * 1024, 200};    // a client stream, any transport, once authenticated
    StreamRate preauth{16 * 1024, 20};  // any stream before it authenticated (not s2s out)
    StreamRate component{64 * 1024 * 1024, 100000};
    StreamRate s2s{64 * 1024 * 1024, 0};  // s2s.stanza_rate bounds a domain's stanzas
    int burst = 2;                        // seconds of its rate a stream may send at once
    int hard_after = 60;  // seconds over its rate, never catching up, before <policy-violation/>
                          // (at once for a stream that sent that much more than its rate)
};

/// The embedded HTTP server's limits (http, https and metrics listeners). Anyone can connect, so
/// every request is bounded in size and in time before anything of it is trusted.
struct HttpConfig {
    std::size_t header_bytes = 8 * 1024;   // request line and headers
    std::size_t body_bytes = 1024 * 1024;  // a request body read whole (not a streamed upload)
    int request_timeout = 10;              // seconds from a request's first byte to its last
    int idle_timeout = 60;                 // seconds a kept-alive connection may wait for the next
                                           // request; a quiet WebSocket is pinged at half of it
    std::string websocket_path = "/xmpp-websocket";  // RFC 7395 endpoint; "" serves none
    std::string bosh_path = "/http-bind";            // XEP-0124/0206 endpoint; "" serves none
    int bosh_max_wait = 60;    // seconds a BOSH request is held at most (the client may ask less)
    int bosh_inactivity = 60;  // seconds a BOSH client may go without a request: then it has gone
    // Where clients reach the HTTP listeners, e.g. "https://chat.example.org" behind a proxy:
    // what XEP-0156 host-meta advertises. Empty: each request's own scheme and Host.
    std::string external_url;
};

/// A module named in `modules`, with its options (a null node when given as a bare name).
struct ModuleEntry {
    std::string name;
    YAML::Node options;
    int line = 0;
};

struct HostConfig {
    std::string domain;
    std::vector<ModuleEntry> modules;    // per-host overrides: added to / replacing the global list
    std::optional<StreamRate> c2s_rate;  // rate_limits.c2s for this host's users, when set
};

struct Config {
    std::string path;  // the file it came from
    std::vector<HostConfig> hosts;
    std::vector<ListenConfig> listen;
    std::vector<ComponentConfig> components;  // in the order written
    TlsConfig tls;
    S2sConfig s2s;
    StorageConfig storage;
    std::string module_path;
    std::string schema_path;
    std::vector<ModuleEntry> modules;
    std::vector<std::string> admins;  // bare JIDs allowed to run admin commands
    LogConfig log;
    Limits limits;
    RateLimits rate_limits;
    HttpConfig http;
    std::string control_socket;
    int threads = 0;  // I/O threads; 0: one per core

    /// The effective module list of a host: global entries, with the host's overrides applied.
    std::vector<ModuleEntry> modules_for(const std::string& domain) const;
    bool has_host(const std::string& domain) const;
    /// rate_limits.c2s, or the host's own when it sets one.
    StreamRate c2s_rate(const std::string& domain) const;
    /// The component serving exactly `domain` (lowercase), or null.
    const ComponentConfig* component(const std::string& domain) const;
};

/// Loads and validates; relative paths in the file are resolved against the file's directory.
/// Calls check_files, so a configuration it returns names certificates that can be read.
Config load(const std::string& path);
/// The same from text (tests); `path` is used in messages and for relative paths. It does not
/// touch the file system, so an example configuration can be checked without its certificates.
Config parse(const std::string& text, const std::string& path);
/// Checks that every certificate and key the configuration names is a readable file.
void check_files(const Config& config);

}  // namespace starling::config
