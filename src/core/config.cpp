#include "core/config.hpp"

#include "core/config_reader.hpp"
#include "core/listener_types.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>

namespace starling::config {

namespace {

const std::string relative_hint =
    "check the path (a relative path is resolved against the directory of the configuration "
    "file)";

std::string indexed(const std::string& key, std::size_t index) {
    return key + "[" + std::to_string(index) + "]";
}

bool valid_module_name(const std::string& name) {
    // The name becomes part of a file name (mod_<name>.so): no slashes, no dots, nothing to escape.
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '_';
    });
}

bool valid_domain(const std::string& domain) {
    // Only what cannot be a domain in any form; IDNA and length checks belong to the JID code.
    return !domain.empty() && domain.find_first_of(" \t@/\\") == std::string::npos;
}

bool valid_address(const std::string& address) {
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, address.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, address.c_str(), buffer) == 1;
}

// "address:port" with an IP literal, IPv6 in brackets ("[2001:db8::7]:5269"); nothing if malformed.
std::optional<std::pair<std::string, std::uint16_t>> parse_endpoint(const std::string& value) {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string address = value.substr(0, colon);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);
    const std::string port = value.substr(colon + 1);
    char* end = nullptr;
    const long number = port.empty() ? 0 : std::strtol(port.c_str(), &end, 10);
    if (!valid_address(address) || !end || *end != '\0' || number < 1 || number > 65535)
        return std::nullopt;
    return std::pair{address, static_cast<std::uint16_t>(number)};
}

// A list item written either as `name` or as `{name: value}` (value null for a bare name). Built by
// construction only: assigning one YAML::Node to another writes through into the document.
struct NamedItem {
    YAML::Node name;
    YAML::Node value;
};

NamedItem split(const YAML::Node& item) {
    if (item.IsMap() && item.size() == 1) {
        const auto entry = *item.begin();
        return {entry.first, entry.second};
    }
    return {item, YAML::Node()};
}

class Parser {
public:
    Parser(const std::string& path, const YAML::Node& root)
        : reader_(path), root_(root), dir_(std::filesystem::path(path).parent_path()) {
        config_.path = path;
    }

    Config run() {
        if (!root_.IsNull() && !root_.IsMap()) {
            reader_.fail(root_, "",
                         "expected a map of settings at the top level, got " + describe(root_));
        }
        if (root_.IsMap()) {
            reader_.expect_map(root_, "",
                               {"hosts", "listen", "components", "tls", "s2s", "storage",
                                "module_path", "schema_path", "modules", "admins", "log", "limits",
                                "rate_limits", "http", "control_socket", "threads"});
        }
        read_hosts();
        read_listen();
        read_components();
        read_tls();
        read_s2s();
        read_storage();
        config_.module_path = path_or(root_["module_path"], "module_path", STARLING_MODULE_DIR);
        config_.schema_path = path_or(root_["schema_path"], "schema_path", STARLING_SCHEMA_DIR);
        if (const YAML::Node modules = root_["modules"]; modules.IsDefined()) {
            config_.modules = read_modules(modules, "modules");
        }
        read_admins();
        read_log();
        read_limits();
        read_rate_limits();
        read_http();
        config_.control_socket =
            path_or(root_["control_socket"], "control_socket", "starling.sock");
        if (const YAML::Node threads = root_["threads"]; threads.IsDefined()) {
            config_.threads = static_cast<int>(reader_.integer(threads, "threads", 0, 1024));
        }
        return std::move(config_);
    }

private:
    // Absolute, so that nothing depends on the directory the daemon happens to run in.
    std::string resolve(const std::string& path) const {
        if (path.empty()) return path;
        std::filesystem::path resolved(path);
        if (resolved.is_relative()) resolved = dir_ / resolved;
        return std::filesystem::absolute(resolved).lexically_normal().string();
    }

    std::string path(const YAML::Node& node, const std::string& key) const {
        const std::string value = reader_.string(node, key);
        if (value.empty()) reader_.fail(node, key, "expected a path, got \"\"");
        return resolve(value);
    }

    std::string path_or(const YAML::Node& node, const std::string& key,
                        const std::string& fallback) const {
        return node.IsDefined() ? path(node, key) : resolve(fallback);
    }

    void read_hosts() {
        const YAML::Node hosts =
            reader_.require(root_, "", "hosts", "list the domains this server serves");
        if (!hosts.IsSequence()) {
            reader_.fail(hosts, "hosts", "expected a list of domains, got " + describe(hosts));
        }
        if (hosts.size() == 0) {
            reader_.fail(hosts, "hosts", "expected at least one domain, got an empty list");
        }
        std::map<std::string, int> first_line;
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            const YAML::Node item = hosts[i];
            const std::string key = indexed("hosts", i);
            HostConfig host;
            const auto [name, settings] = split(item);
            if (item.IsMap() && item.size() == 1) {
                read_host_settings(settings, key, host);
            } else if (!item.IsScalar()) {
                reader_.fail(item, key,
                             "expected a domain, or a one-key map from a domain to its settings, "
                             "got " +
                                 (item.IsMap() ? "a map with " + std::to_string(item.size()) +
                                                     " keys; indent the settings under the domain"
                                               : describe(item)));
            }
            host.domain = lowercase(reader_.string(name, key));
            if (!valid_domain(host.domain)) {
                reader_.fail(name, key,
                             "expected a domain such as example.test, got " + describe(name));
            }
            const auto [seen, inserted] = first_line.emplace(host.domain, line_of(name));
            if (!inserted) {
                reader_.fail(name, key,
                             "duplicate host \"" + host.domain + "\" (first at line " +
                                 std::to_string(seen->second) + "); list each host once");
            }
            config_.hosts.push_back(std::move(host));
        }
    }

    void read_host_settings(const YAML::Node& settings, const std::string& key, HostConfig& host) {
        if (settings.IsNull()) return;  // "- example.test:" with nothing under it
        reader_.expect_map(settings, key, {"modules", "rate_limits"});
        if (const YAML::Node modules = settings["modules"]; modules.IsDefined()) {
            host.modules = read_modules(modules, key + ".modules");
        }
        if (const YAML::Node rates = settings["rate_limits"]; rates.IsDefined()) {
            reader_.expect_map(rates, key + ".rate_limits", {"c2s"});
            // Read once the global rates are: what the host does not set, it takes from them.
            if (const YAML::Node c2s = rates["c2s"]; c2s.IsDefined())
                host_rates_.push_back({config_.hosts.size(), c2s, key + ".rate_limits.c2s"});
        }
    }

    std::vector<ModuleEntry> read_modules(const YAML::Node& list, const std::string& key) const {
        if (!list.IsSequence()) {
            reader_.fail(list, key, "expected a list of modules, got " + describe(list));
        }
        std::vector<ModuleEntry> modules;
        std::map<std::string, int> first_line;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const YAML::Node item = list[i];
            const std::string item_key = indexed(key, i);
            const auto [name, options] = split(item);
            if (item.IsMap() && item.size() != 1) {
                reader_.fail(item, item_key,
                             "expected a module name, or a one-key map from a module name to its "
                             "options, got a map with " +
                                 std::to_string(item.size()) +
                                 " keys; indent the options under the module name");
            }
            if (!name.IsScalar() || !valid_module_name(name.Scalar())) {
                reader_.fail(name, item_key,
                             "expected a module name (lowercase letters, digits and _), got " +
                                 describe(name));
            }
            const auto [seen, inserted] = first_line.emplace(name.Scalar(), line_of(name));
            if (!inserted) {
                reader_.fail(name, item_key,
                             "module \"" + name.Scalar() + "\" is listed twice (first at line " +
                                 std::to_string(seen->second) + "); merge the two entries");
            }
            modules.push_back(ModuleEntry{name.Scalar(), options, line_of(name)});
        }
        return modules;
    }

    void read_listen() {
        const YAML::Node listen = reader_.require(
            root_, "", "listen", "add the addresses to accept client connections on");
        if (!listen.IsSequence()) {
            reader_.fail(listen, "listen", "expected a list of listeners, got " + describe(listen));
        }
        std::map<std::pair<std::string, int>, std::string> used;
        for (std::size_t i = 0; i < listen.size(); ++i) {
            const YAML::Node item = listen[i];
            const std::string key = indexed("listen", i);
            reader_.expect_map(item, key, {"type", "address", "port"});
            ListenConfig listener;
            std::vector<std::string> types;
            for (const auto& type : listener_types()) types.emplace_back(type.name);
            listener.type =
                reader_.one_of(reader_.require(item, key, "type", "use " + listener_type_list()),
                               key + ".type", types);
            if (const YAML::Node address = item["address"]; address.IsDefined()) {
                listener.address = reader_.string(address, key + ".address");
                if (!valid_address(listener.address)) {
                    reader_.fail(address, key + ".address",
                                 "expected an IP address such as 127.0.0.1, 0.0.0.0 or ::, got " +
                                     describe(address));
                }
            }
            const YAML::Node port =
                reader_.require(item, key, "port", "give the TCP port, or 0 for any free port");
            listener.port =
                static_cast<std::uint16_t>(reader_.integer(port, key + ".port", 0, 65535));
            if (listener.port != 0) {
                const auto [other, inserted] =
                    used.emplace(std::pair(listener.address, int(listener.port)), key);
                if (!inserted) {
                    reader_.fail(item, key,
                                 listener.address + " port " + std::to_string(listener.port) +
                                     " is already used by " + other->second +
                                     "; give each listener its own port");
                }
            }
            config_.listen.push_back(std::move(listener));
        }
    }

    // components: a map from a component's domain to its settings, like tls.hosts. A component
    // domain is served by whatever connects with its secret, so it may not also be a host, and
    // a secret is never optional.
    void read_components() {
        const YAML::Node components = root_["components"];
        const auto listener =
            std::find_if(config_.listen.begin(), config_.listen.end(), [](const ListenConfig& l) {
                return find_listener_type(l.type)->kind == StreamKind::component;
            });
        if (!components.IsDefined() || components.IsNull()) {
            if (listener == config_.listen.end()) return;
            const auto index = static_cast<std::size_t>(listener - config_.listen.begin());
            reader_.fail(root_["listen"][index], indexed("listen", index),
                         "a component listener needs components to accept; add "
                         "components: {DOMAIN: {secret: SECRET}} or remove the listener");
        }
        if (!components.IsMap()) {
            reader_.fail(components, "components",
                         "expected a map from a component's domain to its settings, got " +
                             describe(components));
        }
        if (listener == config_.listen.end()) {
            reader_.fail(components, "components",
                         "no listener of type component; add one to listen (on a loopback "
                         "address) or remove components");
        }
        for (const auto& entry : components) {
            const std::string domain = lowercase(reader_.string(entry.first, "components"));
            const std::string key = "components." + domain;
            if (!valid_domain(domain)) {
                reader_.fail(
                    entry.first, key,
                    "expected a domain such as push.example.test, got " + describe(entry.first));
            }
            if (config_.has_host(domain)) {
                reader_.fail(entry.first, key,
                             "is one of the hosts; a component needs a domain of its own, such as "
                             "push." +
                                 domain);
            }
            if (config_.component(domain) != nullptr) {
                reader_.fail(entry.first, key, "given twice; keep one of them");
            }
            reader_.expect_map(entry.second, key, {"secret"});
            const YAML::Node secret = reader_.require(
                entry.second, key, "secret", "give the shared secret the component hands over");
            ComponentConfig component{domain, reader_.string(secret, key + ".secret"),
                                      line_of(entry.first)};
            if (component.secret.empty()) {
                reader_.fail(secret, key + ".secret", "expected a secret, got \"\"");
            }
            config_.components.push_back(std::move(component));
        }
    }

    CertKey read_cert_key(const YAML::Node& map, const std::string& key) const {
        CertKey pair;
        const YAML::Node certificate =
            reader_.require(map, key, "certificate", "give the PEM file of the certificate chain");
        const YAML::Node private_key =
            reader_.require(map, key, "key", "give the PEM file of the private key");
        pair.certificate = path(certificate, key + ".certificate");
        pair.certificate_line = line_of(certificate);
        pair.key = path(private_key, key + ".key");
        pair.key_line = line_of(private_key);
        return pair;
    }

    // A list of domains, lowercased; empty when not given.
    std::set<std::string> domain_set(const YAML::Node& node, const std::string& key) const {
        std::set<std::string> out;
        if (!node.IsDefined()) return out;
        for (const auto& name : reader_.string_list(node, key)) {
            const std::string domain = lowercase(name);
            if (!valid_domain(domain))
                reader_.fail(node, key, "expected domains, got \"" + name + "\"");
            out.insert(domain);
        }
        return out;
    }

    void read_s2s() {
        const YAML::Node s2s = root_["s2s"];
        if (!s2s.IsDefined() || s2s.IsNull()) return;
        reader_.expect_map(s2s, "s2s",
                           {"ca_file", "hosts", "idle_timeout", "require_certificates",
                            "dialback_domains", "dns_servers", "allow", "deny", "stanza_rate",
                            "max_outgoing_streams", "stanza_bytes", "bidi"});
        config_.s2s.allow = domain_set(s2s["allow"], "s2s.allow");
        config_.s2s.deny = domain_set(s2s["deny"], "s2s.deny");
        if (const YAML::Node rate = s2s["stanza_rate"]; rate.IsDefined())
            config_.s2s.stanza_rate =
                static_cast<int>(reader_.integer(rate, "s2s.stanza_rate", 0, 10000000));
        if (const YAML::Node cap = s2s["max_outgoing_streams"]; cap.IsDefined())
            config_.s2s.max_outgoing_streams = static_cast<std::size_t>(
                reader_.integer(cap, "s2s.max_outgoing_streams", 1, 10000000));
        if (const YAML::Node bytes = s2s["stanza_bytes"]; bytes.IsDefined())
            config_.s2s.stanza_bytes = static_cast<std::size_t>(
                reader_.integer(bytes, "s2s.stanza_bytes", 1024, 64 * 1024 * 1024));
        if (const YAML::Node bidi = s2s["bidi"]; bidi.IsDefined())
            config_.s2s.bidi = reader_.boolean(bidi, "s2s.bidi");
        if (const YAML::Node require = s2s["require_certificates"]; require.IsDefined())
            config_.s2s.require_certificates = reader_.boolean(require, "s2s.require_certificates");
        config_.s2s.dialback_domains = domain_set(s2s["dialback_domains"], "s2s.dialback_domains");
        if (const YAML::Node servers = s2s["dns_servers"]; servers.IsDefined()) {
            for (const auto& server : reader_.string_list(servers, "s2s.dns_servers")) {
                if (!parse_endpoint(server))
                    reader_.fail(servers, "s2s.dns_servers",
                                 "expected \"address:port\" such as \"127.0.0.1:53\" or "
                                 "\"[::1]:53\", got \"" +
                                     server + "\"");
                config_.s2s.dns_servers.push_back(server);
            }
        }
        if (const YAML::Node idle = s2s["idle_timeout"]; idle.IsDefined()) {
            config_.s2s.idle_timeout =
                static_cast<int>(reader_.duration(idle, "s2s.idle_timeout", 1, 86400));
        }
        if (const YAML::Node ca_file = s2s["ca_file"]; ca_file.IsDefined()) {
            config_.s2s.ca_file = path(ca_file, "s2s.ca_file");
            config_.s2s.ca_file_line = line_of(ca_file);
        }
        const YAML::Node hosts = s2s["hosts"];
        if (!hosts.IsDefined() || hosts.IsNull()) return;
        if (!hosts.IsMap()) {
            reader_.fail(
                hosts, "s2s.hosts",
                "expected a map from a domain to \"address:port\", got " + describe(hosts));
        }
        for (const auto& entry : hosts) {
            const std::string domain = lowercase(reader_.string(entry.first, "s2s.hosts"));
            const std::string key = "s2s.hosts." + domain;
            if (!valid_domain(domain))
                reader_.fail(entry.first, key, "expected a domain, got \"" + domain + "\"");
            if (config_.has_host(domain))
                reader_.fail(entry.first, key, domain + " is one of hosts, served here");
            const std::string value = reader_.string(entry.second, key);
            const auto endpoint = parse_endpoint(value);
            if (!endpoint)
                reader_.fail(entry.second, key,
                             "expected \"address:port\" such as \"192.0.2.7:5269\" or "
                             "\"[2001:db8::7]:5269\", got \"" +
                                 value + "\"");
            config_.s2s.hosts[domain] = *endpoint;
        }
    }

    void read_tls() {
        const YAML::Node tls = root_["tls"];
        if (!tls.IsDefined()) {
            if (config_.listen.empty()) return;
            reader_.fail(root_["listen"], "tls",
                         "missing required key; listeners need a certificate and key");
        }
        reader_.expect_map(tls, "tls", {"certificate", "key", "required", "hosts"});
        // Without listeners nothing uses the certificate, but half a pair is still a mistake.
        if (!config_.listen.empty() || tls["certificate"].IsDefined() || tls["key"].IsDefined()) {
            config_.tls.defaults = read_cert_key(tls, "tls");
        }
        if (const YAML::Node required = tls["required"]; required.IsDefined()) {
            config_.tls.required = reader_.boolean(required, "tls.required");
        }
        const YAML::Node hosts = tls["hosts"];
        if (!hosts.IsDefined() || hosts.IsNull()) return;
        if (!hosts.IsMap()) {
            reader_.fail(
                hosts, "tls.hosts",
                "expected a map from a domain to its certificate and key, got " + describe(hosts));
        }
        for (const auto& entry : hosts) {
            const std::string domain = lowercase(reader_.string(entry.first, "tls.hosts"));
            const std::string key = "tls.hosts." + domain;
            if (!config_.has_host(domain)) {
                reader_.fail(
                    entry.first, key,
                    "not one of the hosts; add " + domain + " to hosts or remove this entry");
            }
            if (config_.tls.hosts.count(domain) != 0) {
                reader_.fail(entry.first, key, "given twice; keep one of them");
            }
            reader_.expect_map(entry.second, key, {"certificate", "key"});
            config_.tls.hosts[domain] = read_cert_key(entry.second, key);
        }
    }

    void read_storage() {
        const YAML::Node storage =
            reader_.require(root_, "", "storage",
                            "add {driver: sqlite, path: FILE} or {driver: postgres, "
                            "conninfo: STRING}");
        reader_.expect_map(storage, "storage", {"driver", "path", "conninfo"});
        StorageConfig& out = config_.storage;
        if (const YAML::Node driver = storage["driver"]; driver.IsDefined()) {
            out.driver = reader_.one_of(driver, "storage.driver", {"sqlite", "postgres"});
        }
        const std::string needed = out.driver == "sqlite" ? "path" : "conninfo";
        const std::string unused = out.driver == "sqlite" ? "conninfo" : "path";
        const YAML::Node value = reader_.require(
            storage, "storage", needed,
            out.driver == "sqlite" ? "give the SQLite database file"
                                   : "give a libpq connection string such as \"dbname=starling\"");
        if (const YAML::Node other = storage[unused]; other.IsDefined()) {
            reader_.fail(other, "storage." + unused,
                         "not used with driver " + out.driver + "; remove it or change the driver");
        }
        if (out.driver == "sqlite") {
            out.path = path(value, "storage.path");
        } else {
            out.conninfo = reader_.string(value, "storage.conninfo");
            if (out.conninfo.empty()) {
                reader_.fail(value, "storage.conninfo", "expected a connection string, got \"\"");
            }
        }
    }

    void read_admins() {
        const YAML::Node admins = root_["admins"];
        if (!admins.IsDefined()) return;
        config_.admins = reader_.string_list(admins, "admins");
        for (std::size_t i = 0; i < config_.admins.size(); ++i) {
            const std::string& jid = config_.admins[i];
            const auto at = jid.find('@');
            if (at == 0 || at == std::string::npos || at + 1 == jid.size() ||
                jid.find('/') != std::string::npos) {
                reader_.fail(
                    admins[i], indexed("admins", i),
                    "expected a bare JID such as admin@example.test, got " + describe(admins[i]));
            }
        }
    }

    void read_log() {
        const YAML::Node log = root_["log"];
        if (!log.IsDefined()) return;
        reader_.expect_map(log, "log", {"level", "file"});
        if (const YAML::Node level = log["level"]; level.IsDefined()) {
            config_.log.level =
                reader_.one_of(level, "log.level", {"trace", "debug", "info", "warn", "error"});
        }
        if (const YAML::Node file = log["file"]; file.IsDefined()) {
            config_.log.file = resolve(reader_.string(file, "log.file"));
        }
    }

    void read_limits() {
        const YAML::Node limits = root_["limits"];
        if (!limits.IsDefined()) return;
        reader_.expect_map(limits, "limits",
                           {"stanza_bytes_preauth", "stanza_bytes", "max_depth", "max_attributes",
                            "stanza_elements_preauth", "stanza_elements", "outbound_queue_bytes",
                            "sessions_per_user", "preauth_timeout", "auth_failures", "connections",
                            "connections_per_ip"});
        Limits& out = config_.limits;
        const auto size = [&](const char* name, std::size_t& field, std::int64_t min,
                              std::int64_t max) {
            if (const YAML::Node value = limits[name]; value.IsDefined()) {
                field = static_cast<std::size_t>(
                    reader_.integer(value, std::string("limits.") + name, min, max));
            }
        };
        constexpr std::int64_t mib = 1024 * 1024;
        size("stanza_bytes_preauth", out.stanza_bytes_preauth, 1024, 64 * mib);
        size("stanza_bytes", out.stanza_bytes, 1024, 64 * mib);
        size("max_depth", out.max_depth, 2, 1000);
        size("max_attributes", out.max_attributes, 1, 10000);
        size("stanza_elements_preauth", out.stanza_elements_preauth, 8, 1000000);
        size("stanza_elements", out.stanza_elements, 8, 1000000);
        size("outbound_queue_bytes", out.outbound_queue_bytes, 64 * 1024, 1024 * mib);
        size("sessions_per_user", out.sessions_per_user, 1, 1000);
        size("connections", out.connections, 0, 100000000);
        size("connections_per_ip", out.connections_per_ip, 0, 100000000);
        if (const YAML::Node value = limits["preauth_timeout"]; value.IsDefined()) {
            out.preauth_timeout =
                static_cast<int>(reader_.duration(value, "limits.preauth_timeout", 1, 86400));
        }
        if (const YAML::Node value = limits["auth_failures"]; value.IsDefined()) {
            out.auth_failures =
                static_cast<int>(reader_.integer(value, "limits.auth_failures", 1, 1000));
        }
        if (out.stanza_bytes_preauth > out.stanza_bytes) {
            reader_.fail(limits, "limits.stanza_bytes_preauth",
                         "is larger than limits.stanza_bytes (" + std::to_string(out.stanza_bytes) +
                             "); the limit before authentication must not exceed the one after");
        }
        if (out.stanza_elements_preauth > out.stanza_elements) {
            reader_.fail(limits, "limits.stanza_elements_preauth",
                         "is larger than limits.stanza_elements (" +
                             std::to_string(out.stanza_elements) +
                             "); the limit before authentication must not exceed the one after");
        }
    }

    StreamRate read_stream_rate(const YAML::Node& node, const std::string& key,
                                StreamRate rate) const {
        reader_.expect_map(node, key, {"bytes", "stanzas"});
        if (const YAML::Node bytes = node["bytes"]; bytes.IsDefined())
            rate.bytes = static_cast<std::uint32_t>(
                reader_.integer(bytes, key + ".bytes", 0, 1024LL * 1024 * 1024));
        if (const YAML::Node stanzas = node["stanzas"]; stanzas.IsDefined())
            rate.stanzas =
                static_cast<std::uint32_t>(reader_.integer(stanzas, key + ".stanzas", 0, 10000000));
        return rate;
    }

    void read_rate_limits() {
        read_global_rate_limits();
        for (const auto& host : host_rates_)
            config_.hosts[host.index].c2s_rate =
                read_stream_rate(host.node, host.key, config_.rate_limits.c2s);
    }

    void read_global_rate_limits() {
        const YAML::Node rates = root_["rate_limits"];
        if (!rates.IsDefined()) return;
        reader_.expect_map(rates, "rate_limits",
                           {"c2s", "preauth", "component", "s2s", "burst", "hard_after"});
        RateLimits& out = config_.rate_limits;
        const auto stream = [&](const char* name, StreamRate& field) {
            if (const YAML::Node node = rates[name]; node.IsDefined())
                field = read_stream_rate(node, std::string("rate_limits.") + name, field);
        };
        stream("c2s", out.c2s);
        stream("preauth", out.preauth);
        stream("component", out.component);
        stream("s2s", out.s2s);
        if (const YAML::Node burst = rates["burst"]; burst.IsDefined())
            out.burst = static_cast<int>(reader_.duration(burst, "rate_limits.burst", 1, 3600));
        if (const YAML::Node hard = rates["hard_after"]; hard.IsDefined())
            out.hard_after =
                static_cast<int>(reader_.duration(hard, "rate_limits.hard_after", 1, 86400));
        // Authenticating must not be slower than what comes after it, or no client gets past.
        const auto stricter = [&](std::uint32_t preauth, std::uint32_t after, const char* what) {
            if (after == 0 || (preauth != 0 && preauth <= after)) return;
            const YAML::Node where = rates["preauth"].IsDefined() ? rates["preauth"] : rates["c2s"];
            reader_.fail(where, std::string("rate_limits.preauth.") + what,
                         "is above rate_limits.c2s." + std::string(what) + " (" +
                             std::to_string(after) +
                             "); the rate before authentication must not exceed the one after");
        };
        stricter(out.preauth.bytes, out.c2s.bytes, "bytes");
        stricter(out.preauth.stanzas, out.c2s.stanzas, "stanzas");
    }

    void read_http() {
        const YAML::Node http = root_["http"];
        if (!http.IsDefined()) return;
        reader_.expect_map(
            http, "http",
            {"header_bytes", "body_bytes", "request_timeout", "idle_timeout", "websocket_path",
             "bosh_path", "bosh_max_wait", "bosh_inactivity", "external_url"});
        HttpConfig& out = config_.http;
        constexpr std::int64_t mib = 1024 * 1024;
        if (const YAML::Node value = http["header_bytes"]; value.IsDefined())
            out.header_bytes =
                static_cast<std::size_t>(reader_.integer(value, "http.header_bytes", 1024, mib));
        if (const YAML::Node value = http["body_bytes"]; value.IsDefined())
            out.body_bytes =
                static_cast<std::size_t>(reader_.integer(value, "http.body_bytes", 1024, 64 * mib));
        if (const YAML::Node value = http["request_timeout"]; value.IsDefined())
            out.request_timeout =
                static_cast<int>(reader_.duration(value, "http.request_timeout", 1, 3600));
        if (const YAML::Node value = http["idle_timeout"]; value.IsDefined())
            out.idle_timeout =
                static_cast<int>(reader_.duration(value, "http.idle_timeout", 1, 86400));
        if (const YAML::Node value = http["websocket_path"]; value.IsDefined())
            out.websocket_path = http_path(value, "http.websocket_path");
        if (const YAML::Node value = http["bosh_path"]; value.IsDefined())
            out.bosh_path = http_path(value, "http.bosh_path");
        if (!out.bosh_path.empty() && out.bosh_path == out.websocket_path)
            reader_.fail(http["bosh_path"].IsDefined() ? http["bosh_path"] : http["websocket_path"],
                         "http.bosh_path",
                         "'" + out.bosh_path +
                             "' is http.websocket_path as well: give BOSH and WebSocket "
                             "paths of their own");
        if (const YAML::Node value = http["bosh_max_wait"]; value.IsDefined())
            out.bosh_max_wait =
                static_cast<int>(reader_.duration(value, "http.bosh_max_wait", 1, 3600));
        if (const YAML::Node value = http["bosh_inactivity"]; value.IsDefined())
            out.bosh_inactivity =
                static_cast<int>(reader_.duration(value, "http.bosh_inactivity", 1, 3600));
        if (const YAML::Node value = http["external_url"]; value.IsDefined()) {
            out.external_url = reader_.string(value, "http.external_url");
            while (!out.external_url.empty() && out.external_url.back() == '/')
                out.external_url.pop_back();
            const auto scheme_end = out.external_url.find("://");
            const auto scheme = out.external_url.substr(0, scheme_end);
            if (scheme_end == std::string::npos || (scheme != "http" && scheme != "https") ||
                scheme_end + 3 == out.external_url.size())
                reader_.fail(value, "http.external_url",
                             "'" + out.external_url +
                                 "' is not an http:// or https:// URL such as "
                                 "\"https://chat.example.org\"");
        }
    }

    // A path the HTTP server serves: empty (none), or absolute.
    std::string http_path(const YAML::Node& node, const std::string& key) const {
        std::string value = reader_.string(node, key);
        if (!value.empty() && value.front() != '/')
            reader_.fail(node, key,
                         "'" + value + "' must start with '/' (or be \"\" to serve nothing)");
        return value;
    }

    NodeReader reader_;
    const YAML::Node root_;
    std::filesystem::path dir_;
    Config config_;
    struct HostRate {
        std::size_t index;  // in config_.hosts
        YAML::Node node;
        std::string key;
    };
    std::vector<HostRate> host_rates_;  // hosts' rate_limits.c2s, read after the global ones
};

void check_readable(const std::string& config_path, int line, const std::string& key,
                    const std::string& path) {
    // Opening the file, rather than asking access(), also catches a directory given as a file.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    std::string problem;
    if (fd < 0) {
        problem = std::strerror(errno);
    } else {
        struct stat info {};
        if (::fstat(fd, &info) != 0) {
            problem = std::strerror(errno);
        } else if (!S_ISREG(info.st_mode)) {
            problem = "not a regular file";
        }
        ::close(fd);
    }
    if (!problem.empty()) {
        NodeReader(config_path)
            .fail_at(line, key, "cannot read \"" + path + "\": " + problem + "; " + relative_hint);
    }
}

void check_cert_key(const std::string& config_path, const std::string& key, const CertKey& pair) {
    check_readable(config_path, pair.certificate_line, key + ".certificate", pair.certificate);
    check_readable(config_path, pair.key_line, key + ".key", pair.key);
}

std::string read_file(const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    std::string text;
    if (file) {
        char buffer[8192];
        std::size_t count = 0;
        while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
            text.append(buffer, count);
        }
    }
    if (!file || std::ferror(file.get())) {
        throw ConfigError(path + ": cannot read the configuration file: " + std::strerror(errno));
    }
    return text;
}

}  // namespace

std::vector<ModuleEntry> Config::modules_for(const std::string& domain) const {
    const std::string wanted = lowercase(domain);
    const auto host = std::find_if(hosts.begin(), hosts.end(),
                                   [&](const HostConfig& h) { return h.domain == wanted; });
    if (host == hosts.end()) return modules;
    const auto find = [](const std::vector<ModuleEntry>& list, const std::string& name) {
        const auto found = std::find_if(list.begin(), list.end(),
                                        [&](const ModuleEntry& m) { return m.name == name; });
        return found == list.end() ? nullptr : &*found;
    };
    // Built with push_back only: assigning an entry over another would assign its YAML::Node,
    // which writes through into the global entry's options.
    std::vector<ModuleEntry> effective;
    for (const ModuleEntry& global : modules) {
        const ModuleEntry* replacement = find(host->modules, global.name);
        effective.push_back(replacement != nullptr ? *replacement : global);
    }
    for (const ModuleEntry& added : host->modules) {
        if (find(modules, added.name) == nullptr) effective.push_back(added);
    }
    return effective;
}

bool S2sConfig::federates_with(const std::string& domain) const {
    // The domain or any domain it is under (conference.example.org under example.org).
    const auto listed = [&domain](const std::set<std::string>& list) {
        for (std::size_t at = 0; at != std::string::npos;) {
            if (list.count(domain.substr(at)) != 0) return true;
            at = domain.find('.', at);
            if (at != std::string::npos) ++at;
        }
        return false;
    };
    return !listed(deny) && (allow.empty() || listed(allow));
}

StreamRate Config::c2s_rate(const std::string& domain) const {
    for (const auto& host : hosts)
        if (host.domain == domain && host.c2s_rate) return *host.c2s_rate;
    return rate_limits.c2s;
}

bool Config::has_host(const std::string& domain) const {
    const std::string wanted = lowercase(domain);
    return std::any_of(hosts.begin(), hosts.end(),
                       [&](const HostConfig& host) { return host.domain == wanted; });
}

const ComponentConfig* Config::component(const std::string& domain) const {
    const auto found = std::find_if(components.begin(), components.end(),
                                    [&](const ComponentConfig& c) { return c.domain == domain; });
    return found == components.end() ? nullptr : &*found;
}

Config parse(const std::string& text, const std::string& path) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        NodeReader(path).fail_at(e.mark.is_null() ? 0 : e.mark.line + 1, "",
                                 "invalid YAML: " + e.msg + "; fix the syntax");
    }
    return Parser(path, root).run();
}

void check_files(const Config& config) {
    if (!config.tls.defaults.certificate.empty()) {
        check_cert_key(config.path, "tls", config.tls.defaults);
    }
    for (const auto& [domain, pair] : config.tls.hosts) {
        check_cert_key(config.path, "tls.hosts." + domain, pair);
    }
    if (!config.s2s.ca_file.empty())
        check_readable(config.path, config.s2s.ca_file_line, "s2s.ca_file", config.s2s.ca_file);
}

Config load(const std::string& path) {
    Config config = parse(read_file(path), path);
    check_files(config);
    return config;
}

}  // namespace starling::config
