// Configuration loading: every key read back, and each class of mistake reported with the exact
// file, line, key and advice an operator will see.
#include "core/config.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using starling::config::Config;
using starling::config::ConfigError;

namespace {

const std::string file = "/srv/starling/starling.yml";

// A minimal valid configuration; tests append to it or replace lines of it.
const std::string base = R"(hosts:
  - example.test
listen:
  - {type: c2s, address: 127.0.0.1, port: 5222}
tls:
  certificate: certs/server.pem
  key: certs/server.key
storage:
  driver: sqlite
  path: var/starling.db
)";

std::string error_of(const std::string& text, const std::string& path = file) {
    try {
        starling::config::parse(text, path);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

std::string load_error(const std::string& path) {
    try {
        starling::config::load(path);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    CPPUNIT_ASSERT_MESSAGE("test text contains " + from, at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// A scratch directory removed when the test ends, for the checks that touch files.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "starling-cfg-XXXXXX");
        CPPUNIT_ASSERT(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string write(const std::string& name, const std::string& text) const {
        const auto path = path_ / name;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path) << text;
        return path.string();
    }
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

}  // namespace

class ConfigTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConfigTest);
    CPPUNIT_TEST(full_config_reads_every_key);
    CPPUNIT_TEST(minimal_config_has_defaults);
    CPPUNIT_TEST(relative_paths_resolve_against_the_config_directory);
    CPPUNIT_TEST(relative_config_path_gives_absolute_paths);
    CPPUNIT_TEST(hosts_are_lowercased);
    CPPUNIT_TEST(modules_for_applies_host_overrides);
    CPPUNIT_TEST(unknown_key);
    CPPUNIT_TEST(unknown_nested_key);
    CPPUNIT_TEST(repeated_key);
    CPPUNIT_TEST(port_not_an_integer);
    CPPUNIT_TEST(port_out_of_range);
    CPPUNIT_TEST(hosts_not_a_list);
    CPPUNIT_TEST(hosts_empty);
    CPPUNIT_TEST(host_with_two_keys);
    CPPUNIT_TEST(host_override_with_unknown_setting);
    CPPUNIT_TEST(rate_limits_defaults_overrides_and_errors);
    CPPUNIT_TEST(module_item_with_two_keys);
    CPPUNIT_TEST(module_listed_twice);
    CPPUNIT_TEST(module_name_with_a_slash);
    CPPUNIT_TEST(missing_hosts);
    CPPUNIT_TEST(missing_listen);
    CPPUNIT_TEST(missing_tls_with_listeners);
    CPPUNIT_TEST(missing_tls_key);
    CPPUNIT_TEST(tls_optional_without_listeners);
    CPPUNIT_TEST(missing_sqlite_path);
    CPPUNIT_TEST(missing_postgres_conninfo);
    CPPUNIT_TEST(path_given_for_postgres);
    CPPUNIT_TEST(invalid_listen_type);
    CPPUNIT_TEST(missing_listen_type_lists_the_types);
    CPPUNIT_TEST(s2s_ca_file_is_resolved_and_checked);
    CPPUNIT_TEST(http_limits_read_and_checked);
    CPPUNIT_TEST(s2s_dialback_policy_and_dns_servers);
    CPPUNIT_TEST(s2s_allow_deny_and_limits);
    CPPUNIT_TEST(components_read);
    CPPUNIT_TEST(component_mistakes);
    CPPUNIT_TEST(invalid_storage_driver);
    CPPUNIT_TEST(invalid_log_level);
    CPPUNIT_TEST(invalid_address);
    CPPUNIT_TEST(duplicate_listener);
    CPPUNIT_TEST(duplicate_host);
    CPPUNIT_TEST(tls_host_that_is_not_a_host);
    CPPUNIT_TEST(bad_duration);
    CPPUNIT_TEST(limits_out_of_range);
    CPPUNIT_TEST(preauth_limit_above_stanza_limit);
    CPPUNIT_TEST(admin_not_a_bare_jid);
    CPPUNIT_TEST(yaml_syntax_error);
    CPPUNIT_TEST(top_level_not_a_map);
    CPPUNIT_TEST(empty_file);
    CPPUNIT_TEST(missing_config_file);
    CPPUNIT_TEST(missing_certificate_file);
    CPPUNIT_TEST(missing_host_key_file);
    CPPUNIT_TEST(load_with_readable_files);
    CPPUNIT_TEST(example_config_is_valid);
    CPPUNIT_TEST_SUITE_END();

public:
    void full_config_reads_every_key() {
        const Config c = starling::config::parse(R"(hosts:
  - example.test
  - other.test:
      modules:
        - version: {show_os: false}
listen:
  - {type: c2s, address: 127.0.0.1, port: 5222}
  - {type: c2s_tls, address: "::1", port: 5223}
tls:
  certificate: certs/server.pem
  key: certs/server.key
  required: false
  hosts:
    other.test: {certificate: certs/other.pem, key: /etc/ssl/other.key}
storage:
  driver: sqlite
  path: var/starling.db
module_path: lib/modules
schema_path: /usr/share/starling/schemas
modules:
  - disco
  - ping: {idle_interval: 300s, timeout: 60s}
  - version: {show_os: true}
  - time
admins: [admin@example.test, root@other.test]
log: {level: DEBUG, file: log/starling.log}
limits: {stanza_bytes_preauth: 8192, stanza_bytes: 131072, max_depth: 16, max_attributes: 32,
         stanza_elements_preauth: 64, stanza_elements: 5000,
         outbound_queue_bytes: 2097152, sessions_per_user: 4, preauth_timeout: 1m, auth_failures: 3,
         connections: 5000, connections_per_ip: 20}
control_socket: var/starling.sock
threads: 4
)",
                                                 file);
        CPPUNIT_ASSERT_EQUAL(file, c.path);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.hosts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"), c.hosts[0].domain);
        CPPUNIT_ASSERT(c.hosts[0].modules.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("other.test"), c.hosts[1].domain);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), c.hosts[1].modules.size());
        CPPUNIT_ASSERT_EQUAL(std::string("version"), c.hosts[1].modules[0].name);
        CPPUNIT_ASSERT_EQUAL(5, c.hosts[1].modules[0].line);
        CPPUNIT_ASSERT_EQUAL(std::string("false"),
                             c.hosts[1].modules[0].options["show_os"].Scalar());

        CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.listen.size());
        CPPUNIT_ASSERT_EQUAL(std::string("c2s"), c.listen[0].type);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), c.listen[0].address);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5222), c.listen[0].port);
        CPPUNIT_ASSERT_EQUAL(std::string("c2s_tls"), c.listen[1].type);
        CPPUNIT_ASSERT_EQUAL(std::string("::1"), c.listen[1].address);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5223), c.listen[1].port);

        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/certs/server.pem"),
                             c.tls.defaults.certificate);
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/certs/server.key"), c.tls.defaults.key);
        CPPUNIT_ASSERT_EQUAL(10, c.tls.defaults.certificate_line);
        CPPUNIT_ASSERT_EQUAL(11, c.tls.defaults.key_line);
        CPPUNIT_ASSERT_EQUAL(false, c.tls.required);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), c.tls.hosts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/certs/other.pem"),
                             c.tls.hosts.at("other.test").certificate);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/ssl/other.key"), c.tls.hosts.at("other.test").key);
        CPPUNIT_ASSERT_EQUAL(14, c.tls.hosts.at("other.test").key_line);

        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), c.storage.driver);
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/var/starling.db"), c.storage.path);
        CPPUNIT_ASSERT_EQUAL(std::string(""), c.storage.conninfo);
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/lib/modules"), c.module_path);
        CPPUNIT_ASSERT_EQUAL(std::string("/usr/share/starling/schemas"), c.schema_path);

        CPPUNIT_ASSERT_EQUAL(std::size_t(4), c.modules.size());
        CPPUNIT_ASSERT_EQUAL(std::string("disco"), c.modules[0].name);
        CPPUNIT_ASSERT(c.modules[0].options.IsNull());
        CPPUNIT_ASSERT_EQUAL(21, c.modules[0].line);
        CPPUNIT_ASSERT_EQUAL(std::string("ping"), c.modules[1].name);
        CPPUNIT_ASSERT_EQUAL(std::string("300s"), c.modules[1].options["idle_interval"].Scalar());
        CPPUNIT_ASSERT_EQUAL(std::string("60s"), c.modules[1].options["timeout"].Scalar());
        CPPUNIT_ASSERT_EQUAL(22, c.modules[1].line);
        CPPUNIT_ASSERT_EQUAL(std::string("version"), c.modules[2].name);
        CPPUNIT_ASSERT_EQUAL(std::string("time"), c.modules[3].name);

        CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.admins.size());
        CPPUNIT_ASSERT_EQUAL(std::string("admin@example.test"), c.admins[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("root@other.test"), c.admins[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("debug"), c.log.level);
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/log/starling.log"), c.log.file);

        CPPUNIT_ASSERT_EQUAL(std::size_t(8192), c.limits.stanza_bytes_preauth);
        CPPUNIT_ASSERT_EQUAL(std::size_t(131072), c.limits.stanza_bytes);
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), c.limits.max_depth);
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), c.limits.max_attributes);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2097152), c.limits.outbound_queue_bytes);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), c.limits.sessions_per_user);
        CPPUNIT_ASSERT_EQUAL(60, c.limits.preauth_timeout);
        CPPUNIT_ASSERT_EQUAL(3, c.limits.auth_failures);
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), c.limits.stanza_elements_preauth);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5000), c.limits.stanza_elements);
        CPPUNIT_ASSERT_EQUAL(std::size_t(5000), c.limits.connections);
        CPPUNIT_ASSERT_EQUAL(std::size_t(20), c.limits.connections_per_ip);
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/var/starling.sock"), c.control_socket);
        CPPUNIT_ASSERT_EQUAL(4, c.threads);
    }

    void minimal_config_has_defaults() {
        const Config c = starling::config::parse(base, file);
        CPPUNIT_ASSERT_EQUAL(true, c.tls.required);
        CPPUNIT_ASSERT(c.tls.hosts.empty());
        CPPUNIT_ASSERT_EQUAL(std::string(STARLING_MODULE_DIR), c.module_path);
        CPPUNIT_ASSERT_EQUAL(std::string(STARLING_SCHEMA_DIR), c.schema_path);
        CPPUNIT_ASSERT(c.modules.empty());
        CPPUNIT_ASSERT(c.admins.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("info"), c.log.level);
        CPPUNIT_ASSERT_EQUAL(std::string(""), c.log.file);
        CPPUNIT_ASSERT_EQUAL(std::size_t(16384), c.limits.stanza_bytes_preauth);
        CPPUNIT_ASSERT_EQUAL(std::size_t(262144), c.limits.stanza_bytes);
        CPPUNIT_ASSERT_EQUAL(30, c.limits.preauth_timeout);
        CPPUNIT_ASSERT_EQUAL(5, c.limits.auth_failures);
        CPPUNIT_ASSERT_EQUAL(std::size_t(128), c.limits.stanza_elements_preauth);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10000), c.limits.stanza_elements);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), c.limits.connections);
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), c.limits.connections_per_ip);
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.sock"), c.control_socket);
        CPPUNIT_ASSERT_EQUAL(0, c.threads);
        // A listener without an address binds the loopback, never every interface by surprise.
        const Config no_address = starling::config::parse(
            replace(base, "{type: c2s, address: 127.0.0.1, port: 5222}", "{type: c2s, port: 0}"),
            file);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), no_address.listen[0].address);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(0), no_address.listen[0].port);
    }

    void relative_paths_resolve_against_the_config_directory() {
        const Config c = starling::config::parse(
            replace(base, "path: var/starling.db", "path: ../data/./starling.db") +
                "log: {file: /var/log/starling.log}\ncontrol_socket: run/ctl.sock\n"
                "module_path: ../lib\nschema_path: schemas\n",
            "/etc/starling/starling.yml");
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/starling/certs/server.pem"),
                             c.tls.defaults.certificate);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/data/starling.db"), c.storage.path);
        CPPUNIT_ASSERT_EQUAL(std::string("/var/log/starling.log"), c.log.file);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/starling/run/ctl.sock"), c.control_socket);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/lib"), c.module_path);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/starling/schemas"), c.schema_path);
    }

    void relative_config_path_gives_absolute_paths() {
        const Config c = starling::config::parse(base, "conf/starling.yml");
        const std::string cwd = std::filesystem::current_path().string();
        CPPUNIT_ASSERT_EQUAL(cwd + "/conf/certs/server.pem", c.tls.defaults.certificate);
        CPPUNIT_ASSERT_EQUAL(cwd + "/conf/var/starling.db", c.storage.path);
        const Config bare = starling::config::parse(base, "starling.yml");
        CPPUNIT_ASSERT_EQUAL(cwd + "/var/starling.db", bare.storage.path);
    }

    void hosts_are_lowercased() {
        const Config c = starling::config::parse(
            replace(base, "  - example.test\n", "  - Example.TEST\n  - Other.Test:\n"), file);
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"), c.hosts[0].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("other.test"), c.hosts[1].domain);
        CPPUNIT_ASSERT(c.has_host("example.test"));
        CPPUNIT_ASSERT(c.has_host("EXAMPLE.test"));
        CPPUNIT_ASSERT(!c.has_host("third.test"));
    }

    void modules_for_applies_host_overrides() {
        const Config c =
            starling::config::parse(replace(base, "  - example.test\n", R"(  - example.test
  - other.test:
      modules:
        - version: {show_os: false}
        - motd: {text: hello}
)") + "modules: [disco, {version: {show_os: true}}, time]\n",
                                    file);
        const auto plain = c.modules_for("example.test");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), plain.size());
        CPPUNIT_ASSERT_EQUAL(std::string("true"), plain[1].options["show_os"].Scalar());

        const auto other = c.modules_for("Other.Test");
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), other.size());
        CPPUNIT_ASSERT_EQUAL(std::string("disco"), other[0].name);
        // The override takes the global entry's place in the order, with the host's options.
        CPPUNIT_ASSERT_EQUAL(std::string("version"), other[1].name);
        CPPUNIT_ASSERT_EQUAL(std::string("false"), other[1].options["show_os"].Scalar());
        CPPUNIT_ASSERT_EQUAL(5, other[1].line);
        CPPUNIT_ASSERT_EQUAL(std::string("time"), other[2].name);
        CPPUNIT_ASSERT_EQUAL(std::string("motd"), other[3].name);
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), other[3].options["text"].Scalar());
        // The global list itself is untouched by a host's overrides.
        CPPUNIT_ASSERT_EQUAL(std::string("true"), c.modules[1].options["show_os"].Scalar());
    }

    void unknown_key() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: listeners: unknown key; known keys: "
                        "hosts, listen, components, tls, s2s, storage, module_path, "
                        "schema_path, modules, admins, log, limits, rate_limits, http, "
                        "control_socket, threads"),
            error_of(base + "listeners: []\n"));
    }

    void unknown_nested_key() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:4: listen[0].prot: unknown key; known keys: "
                        "type, address, port"),
            error_of(replace(base, "port: 5222", "prot: 5222")));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: log.lvl: unknown key; known keys: "
                        "level, file"),
            error_of(base + "log:\n  lvl: debug\n"));
    }

    void repeated_key() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: storage: given twice; keep one of them"),
            error_of(base + "storage: {driver: postgres, conninfo: x}\n"));
    }

    void port_not_an_integer() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("conf/starling.yml:4: listen[0].port: expected an "
                        "integer from 0 to 65535, got \"abc\""),
            error_of(replace(base, "port: 5222", "port: \"abc\""), "conf/starling.yml"));
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:4: listen[0].port: expected "
                                         "an integer from 0 to 65535, got a list"),
                             error_of(replace(base, "port: 5222", "port: [1]")));
    }

    void port_out_of_range() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:4: listen[0].port: expected "
                                         "an integer from 0 to 65535, got \"65536\""),
                             error_of(replace(base, "port: 5222", "port: 65536")));
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:4: listen[0].port: expected "
                                         "an integer from 0 to 65535, got \"-1\""),
                             error_of(replace(base, "port: 5222", "port: -1")));
    }

    void hosts_not_a_list() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:1: hosts: expected a list "
                        "of domains, got \"example.test\""),
            error_of(replace(base, "hosts:\n  - example.test\n", "hosts: example.test\n")));
    }

    void hosts_empty() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:1: hosts: expected at least "
                                         "one domain, got an empty list"),
                             error_of(replace(base, "hosts:\n  - example.test\n", "hosts: []\n")));
    }

    void host_with_two_keys() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:3: hosts[1]: expected a domain, or a one-key "
                        "map from a domain to its settings, got a map with 2 keys; indent the "
                        "settings under the domain"),
            error_of(replace(base, "  - example.test\n",
                             "  - example.test\n  - other.test:\n    modules: [time]\n")));
    }

    void rate_limits_defaults_overrides_and_errors() {
        const Config defaults = starling::config::parse(base, file);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{200}, defaults.rate_limits.c2s.stanzas);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{20}, defaults.rate_limits.preauth.stanzas);
        CPPUNIT_ASSERT_EQUAL(60, defaults.rate_limits.hard_after);
        const Config c = starling::config::parse(
            replace(base, "  - example.test\n",
                    "  - example.test\n  - other.test:\n      rate_limits: {c2s: {stanzas: 5}}\n") +
                "rate_limits:\n  c2s: {bytes: 50000}\n  component: {stanzas: 0}\n"
                "  burst: 3\n  hard_after: 2m\n",
            file);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{50000}, c.rate_limits.c2s.bytes);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{200}, c.rate_limits.c2s.stanzas);  // kept
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{0}, c.rate_limits.component.stanzas);
        CPPUNIT_ASSERT_EQUAL(3, c.rate_limits.burst);
        CPPUNIT_ASSERT_EQUAL(120, c.rate_limits.hard_after);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{5}, c.c2s_rate("other.test").stanzas);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{50000}, c.c2s_rate("other.test").bytes);  // inherited
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{50000}, c.c2s_rate("example.test").bytes);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: rate_limits.preauth.stanzas: is above "
                        "rate_limits.c2s.stanzas (10); the rate before authentication must not "
                        "exceed the one after"),
            error_of(base + "rate_limits:\n  c2s: {stanzas: 10}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "/srv/starling/starling.yml:12: rate_limits.c2s.messages: unknown key; known "
                "keys: bytes, stanzas"),
            error_of(base + "rate_limits:\n  c2s: {messages: 10}\n"));
    }

    void host_override_with_unknown_setting() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:4: hosts[1].storage: unknown key; known "
                        "keys: modules, rate_limits"),
            error_of(replace(base, "  - example.test\n",
                             "  - example.test\n  - other.test:\n      storage: {}\n")));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:5: hosts[1].modules[0]: expected a module "
                        "name, or a one-key map from a module name to its options, got a map "
                        "with 2 keys; indent the options under the module name"),
            error_of(replace(base, "  - example.test\n",
                             "  - example.test\n  - other.test:\n      modules:\n"
                             "        - version:\n          show_os: false\n")));
    }

    void module_item_with_two_keys() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:13: modules[1]: expected a module name, or a "
                        "one-key map from a module name to its options, got a map with 2 keys; "
                        "indent the options under the module name"),
            error_of(base + "modules:\n  - disco\n  - ping:\n    idle_interval: 300s\n"));
    }

    void module_listed_twice() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:14: modules[2]: module \"disco\" is listed "
                        "twice (first at line 12); merge the two entries"),
            error_of(base + "modules:\n  - disco\n  - time\n  - disco: {}\n"));
    }

    void module_name_with_a_slash() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: modules[0]: expected a module name "
                        "(lowercase letters, digits and _), got \"../evil\""),
            error_of(base + "modules: [../evil]\n"));
    }

    void missing_hosts() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:1: hosts: missing required "
                                         "key; list the domains this server serves"),
                             error_of(replace(base, "hosts:\n  - example.test\n", "")));
    }

    void missing_listen() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:1: listen: missing required key; add the "
                        "addresses to accept client connections on"),
            error_of(
                replace(base, "listen:\n  - {type: c2s, address: 127.0.0.1, port: 5222}\n", "")));
    }

    void missing_tls_with_listeners() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:4: tls: missing required key; listeners "
                        "need a certificate and key"),
            error_of(replace(base,
                             "tls:\n  certificate: certs/server.pem\n  key: "
                             "certs/server.key\n",
                             "")));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:6: tls.certificate: missing required key; "
                        "give the PEM file of the certificate chain"),
            error_of(replace(base, "  certificate: certs/server.pem\n", "  required: true\n")));
    }

    void missing_tls_key() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:6: tls.key: missing required key; give the "
                        "PEM file of the private key"),
            error_of(replace(base, "  key: certs/server.key\n", "")));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:9: tls.hosts.example.test.key: missing "
                        "required key; give the PEM file of the private key"),
            error_of(replace(base, "  key: certs/server.key\n",
                             "  key: certs/server.key\n  hosts:\n"
                             "    example.test: {certificate: a.pem}\n")));
    }

    void tls_optional_without_listeners() {
        const Config c = starling::config::parse(
            replace(replace(base, "listen:\n  - {type: c2s, address: 127.0.0.1, port: 5222}\n",
                            "listen: []\n"),
                    "tls:\n  certificate: certs/server.pem\n  key: certs/server.key\n", ""),
            file);
        CPPUNIT_ASSERT(c.listen.empty());
        CPPUNIT_ASSERT_EQUAL(std::string(""), c.tls.defaults.certificate);
    }

    void missing_sqlite_path() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:9: storage.path: missing "
                                         "required key; give the SQLite database file"),
                             error_of(replace(base, "  path: var/starling.db\n", "")));
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:1: storage: missing "
                                         "required key; add {driver: sqlite, path: FILE} or "
                                         "{driver: postgres, conninfo: STRING}"),
                             error_of(replace(base,
                                              "storage:\n  driver: sqlite\n  path: "
                                              "var/starling.db\n",
                                              "")));
    }

    void missing_postgres_conninfo() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:9: storage.conninfo: missing required key; "
                        "give a libpq connection string such as \"dbname=starling\""),
            error_of(replace(replace(base, "driver: sqlite", "driver: postgres"),
                             "  path: var/starling.db\n", "")));
        const Config c = starling::config::parse(
            replace(replace(base, "driver: sqlite", "driver: postgres"), "path: var/starling.db",
                    "conninfo: \"host=/run/postgresql dbname=starling\""),
            file);
        CPPUNIT_ASSERT_EQUAL(std::string("postgres"), c.storage.driver);
        CPPUNIT_ASSERT_EQUAL(std::string("host=/run/postgresql dbname=starling"),
                             c.storage.conninfo);
        CPPUNIT_ASSERT_EQUAL(std::string(""), c.storage.path);
    }

    void path_given_for_postgres() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:10: storage.path: not used with driver "
                        "postgres; remove it or change the driver"),
            error_of(replace(base, "driver: sqlite", "driver: postgres") + "  conninfo: x\n"));
    }

    void invalid_listen_type() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:4: listen[0].type: expected "
                        "one of c2s, c2s_tls, component, s2s, s2s_tls, http, https, metrics, got "
                        "\"bosh\""),
            error_of(replace(base, "type: c2s", "type: bosh")));
    }

    void http_limits_read_and_checked() {
        const Config defaults = starling::config::parse(base, file);
        CPPUNIT_ASSERT_EQUAL(std::size_t(8192), defaults.http.header_bytes);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1024 * 1024), defaults.http.body_bytes);
        CPPUNIT_ASSERT_EQUAL(10, defaults.http.request_timeout);
        CPPUNIT_ASSERT_EQUAL(60, defaults.http.idle_timeout);
        const Config c = starling::config::parse(
            replace(base, "port: 5222}\n",
                    "port: 5222}\n  - {type: https, port: 5443}\n  - {type: metrics, port: 0}\n") +
                "http: {header_bytes: 4096, body_bytes: 2048, request_timeout: 2m, "
                "idle_timeout: 5s}\n",
            file);
        CPPUNIT_ASSERT_EQUAL(std::string("https"), c.listen[1].type);
        CPPUNIT_ASSERT_EQUAL(std::string("metrics"), c.listen[2].type);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4096), c.http.header_bytes);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2048), c.http.body_bytes);
        CPPUNIT_ASSERT_EQUAL(120, c.http.request_timeout);
        CPPUNIT_ASSERT_EQUAL(5, c.http.idle_timeout);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: http.header_bytes: expected an integer "
                        "from 1024 to 1048576, got \"100\""),
            error_of(base + "http: {header_bytes: 100}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: http.keepalive: unknown key; known keys: "
                        "header_bytes, body_bytes, request_timeout, idle_timeout, websocket_path, "
                        "bosh_path, bosh_max_wait, bosh_inactivity, external_url"),
            error_of(base + "http: {keepalive: 5}\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("/xmpp-websocket"), c.http.websocket_path);
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             starling::config::parse(base + "http: {websocket_path: \"\"}\n",
                                                     "/srv/starling/starling.yml")
                                 .http.websocket_path);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: http.websocket_path: 'ws' must start "
                        "with '/' (or be \"\" to serve nothing)"),
            error_of(base + "http: {websocket_path: ws}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("https://chat.example.test"),
            starling::config::parse(base + "http: {external_url: \"https://chat.example.test/\"}\n",
                                    "/srv/starling/starling.yml")
                .http.external_url);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: http.external_url: 'chat.example.test' is "
                        "not an http:// or https:// URL such as \"https://chat.example.org\""),
            error_of(base + "http: {external_url: chat.example.test}\n"));
        const Config bosh = starling::config::parse(
            base + "http: {bosh_path: /bosh, bosh_max_wait: 30s, bosh_inactivity: 2m}\n",
            "/srv/starling/starling.yml");
        CPPUNIT_ASSERT_EQUAL(std::string("/bosh"), bosh.http.bosh_path);
        CPPUNIT_ASSERT_EQUAL(30, bosh.http.bosh_max_wait);
        CPPUNIT_ASSERT_EQUAL(120, bosh.http.bosh_inactivity);
        CPPUNIT_ASSERT_EQUAL(std::string("/http-bind"), c.http.bosh_path);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: http.bosh_path: '/xmpp-websocket' is "
                        "http.websocket_path as well: give BOSH and WebSocket paths of their own"),
            error_of(base + "http: {bosh_path: /xmpp-websocket}\n"));
    }

    void s2s_ca_file_is_resolved_and_checked() {
        const Config c = starling::config::parse(base + "s2s: {ca_file: peers/ca.pem}\n",
                                                 "/srv/starling/starling.yml");
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/peers/ca.pem"), c.s2s.ca_file);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: s2s.trust: unknown key; known keys: "
                        "ca_file, hosts, idle_timeout, require_certificates, dialback_domains, "
                        "dns_servers, allow, deny, stanza_rate, max_outgoing_streams, "
                        "stanza_bytes, bidi"),
            error_of(base + "s2s: {trust: x}\n"));
        // Where a remote domain's server is, without DNS.
        const Config hosts = starling::config::parse(
            base + "s2s:\n  hosts: {Peer.Test: \"127.0.0.1:5270\", v6.test: \"[::1]:5269\"}\n",
            "/srv/starling/starling.yml");
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), hosts.s2s.hosts.at("peer.test").first);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5270), hosts.s2s.hosts.at("peer.test").second);
        CPPUNIT_ASSERT_EQUAL(std::string("::1"), hosts.s2s.hosts.at("v6.test").first);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: s2s.hosts.peer.test: expected "
                        "\"address:port\" such as \"192.0.2.7:5269\" or \"[2001:db8::7]:5269\", "
                        "got \"peer.example:5269\""),
            error_of(base + "s2s:\n  hosts: {peer.test: \"peer.example:5269\"}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: s2s.hosts.example.test: example.test is "
                        "one of hosts, served here"),
            error_of(base + "s2s:\n  hosts: {example.test: \"127.0.0.1:5269\"}\n"));
        // load() checks the file: a missing one is named with its line.
        TempDir dir;
        const std::string path = dir.write("starling.yml", base + "s2s:\n  ca_file: none.pem\n");
        dir.write("certs/server.pem", "x");
        dir.write("certs/server.key", "x");
        CPPUNIT_ASSERT_EQUAL(path + ":12: s2s.ca_file: cannot read \"" + dir.str() +
                                 "/none.pem\": No such file or directory; check the path (a "
                                 "relative path is resolved against the directory of the "
                                 "configuration file)",
                             load_error(path));
    }

    void s2s_dialback_policy_and_dns_servers() {
        // Dialback is allowed unless certificates are required, then only for listed domains.
        const Config open = starling::config::parse(base, "/srv/starling/starling.yml");
        CPPUNIT_ASSERT(open.s2s.dialback_allowed("peer.test"));
        const Config strict = starling::config::parse(
            base +
                "s2s:\n  require_certificates: true\n  dialback_domains: [Legacy.Test]\n"
                "  dns_servers: [\"127.0.0.1:5353\", \"[::1]:53\"]\n",
            "/srv/starling/starling.yml");
        CPPUNIT_ASSERT(!strict.s2s.dialback_allowed("peer.test"));
        CPPUNIT_ASSERT(strict.s2s.dialback_allowed("legacy.test"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), strict.s2s.dns_servers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("[::1]:53"), strict.s2s.dns_servers[1]);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: s2s.dns_servers: expected "
                        "\"address:port\" such as \"127.0.0.1:53\" or \"[::1]:53\", got "
                        "\"ns.example\""),
            error_of(base + "s2s:\n  dns_servers: [ns.example]\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: s2s.dialback_domains: expected domains, "
                        "got \"a b\""),
            error_of(base + "s2s:\n  dialback_domains: [\"a b\"]\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: s2s.require_certificates: expected true "
                        "or false, got \"perhaps\""),
            error_of(base + "s2s:\n  require_certificates: perhaps\n"));
    }

    void s2s_allow_deny_and_limits() {
        const Config open = starling::config::parse(base, "/srv/starling/starling.yml");
        CPPUNIT_ASSERT(open.s2s.federates_with("anyone.test"));
        CPPUNIT_ASSERT_EQUAL(10000, open.s2s.stanza_rate);
        CPPUNIT_ASSERT_EQUAL(std::size_t(512 * 1024), open.s2s.stanza_bytes);
        CPPUNIT_ASSERT(open.s2s.bidi);
        // A listed domain covers its subdomains, and deny wins over allow.
        const Config listed = starling::config::parse(
            base +
                "s2s:\n  allow: [Partner.Test, friend.test]\n  deny: [bad.partner.test]\n"
                "  stanza_rate: 0\n  max_outgoing_streams: 3\n  stanza_bytes: 65536\n"
                "  bidi: false\n",
            "/srv/starling/starling.yml");
        CPPUNIT_ASSERT(!listed.s2s.bidi);
        CPPUNIT_ASSERT(listed.s2s.federates_with("partner.test"));
        CPPUNIT_ASSERT(listed.s2s.federates_with("conference.partner.test"));
        CPPUNIT_ASSERT(!listed.s2s.federates_with("bad.partner.test"));
        CPPUNIT_ASSERT(!listed.s2s.federates_with("rooms.bad.partner.test"));
        CPPUNIT_ASSERT(!listed.s2s.federates_with("notpartner.test"));
        CPPUNIT_ASSERT(!listed.s2s.federates_with("stranger.test"));
        CPPUNIT_ASSERT_EQUAL(0, listed.s2s.stanza_rate);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), listed.s2s.max_outgoing_streams);
        CPPUNIT_ASSERT_EQUAL(std::size_t(65536), listed.s2s.stanza_bytes);
        const Config denied = starling::config::parse(base + "s2s: {deny: [evil.test]}\n",
                                                      "/srv/starling/starling.yml");
        CPPUNIT_ASSERT(!denied.s2s.federates_with("evil.test"));
        CPPUNIT_ASSERT(denied.s2s.federates_with("good.test"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: s2s.max_outgoing_streams: expected an "
                        "integer from 1 to 10000000, got \"0\""),
            error_of(base + "s2s:\n  max_outgoing_streams: 0\n"));
    }

    void missing_listen_type_lists_the_types() {
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "/srv/starling/starling.yml:4: listen[0].type: missing required key; use "
                "c2s (STARTTLS), c2s_tls (direct TLS, XEP-0368), component (XEP-0114), s2s "
                "(other servers, STARTTLS), s2s_tls (other servers, direct TLS), http (plain "
                "HTTP), https (HTTP over TLS) or metrics (Prometheus /metrics, plain HTTP)"),
            error_of(replace(base, "{type: c2s, ", "{")));
    }

    void components_read() {
        const Config c = starling::config::parse(
            replace(base, "port: 5222}\n",
                    "port: 5222}\n  - {type: component, address: 127.0.0.1, port: 5347}\n") +
                "components:\n"
                "  Push.Example.Test: {secret: \"s3cret\"}\n"
                "  upload.example.test:\n"
                "    secret: other\n",
            file);
        CPPUNIT_ASSERT_EQUAL(std::string("component"), c.listen[1].type);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5347), c.listen[1].port);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.components.size());
        CPPUNIT_ASSERT_EQUAL(std::string("push.example.test"), c.components[0].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("s3cret"), c.components[0].secret);
        CPPUNIT_ASSERT_EQUAL(13, c.components[0].line);
        CPPUNIT_ASSERT_EQUAL(std::string("other"), c.component("upload.example.test")->secret);
        CPPUNIT_ASSERT(c.component("example.test") == nullptr);
    }

    void component_mistakes() {
        const std::string listener = "  - {type: component, address: 127.0.0.1, port: 5347}\n";
        // Storage comes after listen in base; a listener appended lands inside storage, so the
        // listen list is rebuilt here.
        const std::string with_listener =
            replace(base, "  - {type: c2s, address: 127.0.0.1, port: 5222}\n",
                    "  - {type: c2s, address: 127.0.0.1, port: 5222}\n" + listener);
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:5: listen[1]: a component listener needs "
                        "components to accept; add components: {DOMAIN: {secret: SECRET}} or "
                        "remove the listener"),
            error_of(with_listener));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: components: no listener of type "
                        "component; add one to listen (on a loopback address) or remove "
                        "components"),
            error_of(base + "components:\n  push.example.test: {secret: x}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:13: components.example.test: is one of the "
                        "hosts; a component needs a domain of its own, such as push.example.test"),
            error_of(with_listener + "components:\n  example.test: {secret: x}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:13: components.push.example.test.secret: "
                        "missing required key; give the shared secret the component hands over"),
            error_of(with_listener + "components:\n  push.example.test: {}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:13: components.push.example.test.secret: "
                        "expected a secret, got \"\""),
            error_of(with_listener + "components:\n  push.example.test: {secret: \"\"}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:14: components.push.example.test: given "
                        "twice; keep one of them"),
            error_of(with_listener +
                     "components:\n  push.example.test: {secret: a}\n  PUSH.example.test: "
                     "{secret: b}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:13: components.push.example.test.password: "
                        "unknown key; known keys: secret"),
            error_of(with_listener + "components:\n  push.example.test: {password: x}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:13: components: expected a map from a "
                        "component's domain to its settings, got a list"),
            error_of(with_listener + "components:\n  - push.example.test\n"));
    }

    void invalid_storage_driver() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:9: storage.driver: expected "
                                         "one of sqlite, postgres, got \"mysql\""),
                             error_of(replace(base, "driver: sqlite", "driver: mysql")));
    }

    void invalid_log_level() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:11: log.level: expected one "
                                         "of trace, debug, info, warn, error, got \"verbose\""),
                             error_of(base + "log: {level: verbose}\n"));
    }

    void invalid_address() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:4: listen[0].address: "
                                         "expected an IP address such as 127.0.0.1, 0.0.0.0 or "
                                         "::, got \"localhost\""),
                             error_of(replace(base, "127.0.0.1", "localhost")));
    }

    void duplicate_listener() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:5: listen[1]: 127.0.0.1 port 5222 is already "
                        "used by listen[0]; give each listener its own port"),
            error_of(
                replace(base, "port: 5222}\n",
                        "port: 5222}\n  - {type: c2s_tls, address: 127.0.0.1, port: 5222}\n")));
    }

    void duplicate_host() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:4: hosts[2]: duplicate host \"example.test\" "
                        "(first at line 2); list each host once"),
            error_of(replace(base, "  - example.test\n",
                             "  - example.test\n  - other.test\n  - EXAMPLE.test:\n")));
    }

    void tls_host_that_is_not_a_host() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:9: tls.hosts.third.test: not one of the "
                        "hosts; add third.test to hosts or remove this entry"),
            error_of(replace(base, "  key: certs/server.key\n",
                             "  key: certs/server.key\n  hosts:\n"
                             "    Third.Test: {certificate: a.pem, key: a.key}\n")));
    }

    void bad_duration() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: limits.preauth_timeout: expected a "
                        "duration such as 30 (seconds), 90s, 5m, 1h or 2d, got \"5 minutes\""),
            error_of(base + "limits: {preauth_timeout: 5 minutes}\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:11: limits.preauth_timeout: expected a "
                        "duration from 1 to 86400 seconds, got \"2d\""),
            error_of(base + "limits: {preauth_timeout: 2d}\n"));
        CPPUNIT_ASSERT_EQUAL(300,
                             starling::config::parse(base + "limits: {preauth_timeout: 5m}\n", file)
                                 .limits.preauth_timeout);
        CPPUNIT_ASSERT_EQUAL(45,
                             starling::config::parse(base + "limits: {preauth_timeout: 45}\n", file)
                                 .limits.preauth_timeout);
    }

    void limits_out_of_range() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:12: limits.max_depth: "
                                         "expected an integer from 2 to 1000, got \"0\""),
                             error_of(base + "limits:\n  max_depth: 0\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:11: threads: expected an "
                                         "integer from 0 to 1024, got \"many\""),
                             error_of(base + "threads: many\n"));
    }

    void preauth_limit_above_stanza_limit() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: limits.stanza_bytes_preauth: is larger "
                        "than limits.stanza_bytes (65536); the limit before authentication must "
                        "not exceed the one after"),
            error_of(base + "limits:\n  stanza_bytes_preauth: 100000\n  stanza_bytes: 65536\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:12: limits.stanza_elements_preauth: is larger "
                        "than limits.stanza_elements (100); the limit before authentication must "
                        "not exceed the one after"),
            error_of(base + "limits:\n  stanza_elements_preauth: 200\n  stanza_elements: 100\n"));
    }

    void admin_not_a_bare_jid() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/srv/starling/starling.yml:13: admins[1]: expected a bare JID such as "
                        "admin@example.test, got \"root@example.test/laptop\""),
            error_of(base + "admins:\n  - admin@example.test\n  - root@example.test/laptop\n"));
    }

    void yaml_syntax_error() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:5: invalid YAML: end of map "
                                         "flow not found; fix the syntax"),
                             error_of(replace(base, "port: 5222}", "port: 5222")));
    }

    void top_level_not_a_map() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:1: expected a map of "
                                         "settings at the top level, got a list"),
                             error_of("- hosts\n- listen\n"));
    }

    void empty_file() {
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/starling/starling.yml:1: hosts: missing required "
                                         "key; list the domains this server serves"),
                             error_of("# nothing configured yet\n"));
    }

    void missing_config_file() {
        const TempDir dir;
        const std::string path = dir.str() + "/absent.yml";
        CPPUNIT_ASSERT_EQUAL(
            path + ": cannot read the configuration file: No such file or directory",
            load_error(path));
        CPPUNIT_ASSERT_EQUAL(dir.str() + ": cannot read the configuration file: Is a directory",
                             load_error(dir.str()));
    }

    void missing_certificate_file() {
        const TempDir dir;
        const std::string path = dir.write("starling.yml", base);
        dir.write("certs/server.key", "key");
        CPPUNIT_ASSERT_EQUAL(path + ":6: tls.certificate: cannot read \"" + dir.str() +
                                 "/certs/server.pem\": No such file or directory; check the path "
                                 "(a relative path is resolved against the directory of the "
                                 "configuration file)",
                             load_error(path));
        // parse() never looks at the file system: the same text is accepted there.
        CPPUNIT_ASSERT_EQUAL(std::string("(no error)"), error_of(base, path));
    }

    void missing_host_key_file() {
        const TempDir dir;
        const std::string path =
            dir.write("starling.yml", replace(base, "  key: certs/server.key\n",
                                              "  key: certs/server.key\n  hosts:\n"
                                              "    example.test:\n      certificate: certs/ex.pem\n"
                                              "      key: certs\n"));
        dir.write("certs/server.pem", "cert");
        dir.write("certs/server.key", "key");
        dir.write("certs/ex.pem", "cert");
        CPPUNIT_ASSERT_EQUAL(path + ":11: tls.hosts.example.test.key: cannot read \"" + dir.str() +
                                 "/certs\": not a regular file; check the path (a "
                                 "relative path is resolved against the directory of "
                                 "the configuration file)",
                             load_error(path));
    }

    void load_with_readable_files() {
        const TempDir dir;
        const std::string path = dir.write("starling.yml", base);
        dir.write("certs/server.pem", "cert");
        dir.write("certs/server.key", "key");
        const Config c = starling::config::load(path);
        CPPUNIT_ASSERT_EQUAL(path, c.path);
        CPPUNIT_ASSERT_EQUAL(dir.str() + "/certs/server.pem", c.tls.defaults.certificate);
        CPPUNIT_ASSERT_EQUAL(dir.str() + "/var/starling.db", c.storage.path);
    }

    // The shipped example documents every key; it must stay valid as the validator changes.
    // Its certificates are not shipped, hence parse() (which does not open them) and not load().
    void example_config_is_valid() {
        const std::string path = std::string(STARLING_SRCDIR) + "/conf/starling.yml";
        std::ifstream in(path);
        CPPUNIT_ASSERT_MESSAGE("cannot open " + path, in.good());
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        const Config c = starling::config::parse(text, "/etc/starling/starling.yml");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.hosts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"), c.hosts[0].domain);
        CPPUNIT_ASSERT_EQUAL(std::string("other.test"), c.hosts[1].domain);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), c.listen.size());
        CPPUNIT_ASSERT_EQUAL(std::string("c2s_tls"), c.listen[1].type);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t(5223), c.listen[1].port);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/starling/certs/server.pem"),
                             c.tls.defaults.certificate);
        CPPUNIT_ASSERT(c.tls.hosts.count("other.test") == 1);
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), c.storage.driver);
        CPPUNIT_ASSERT_EQUAL(std::string(STARLING_MODULE_DIR), c.module_path);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), c.modules.size());
        CPPUNIT_ASSERT_EQUAL(std::string("ping"), c.modules[1].name);
        CPPUNIT_ASSERT_EQUAL(std::string("false"),
                             c.modules_for("other.test")[2].options["show_os"].Scalar());
        CPPUNIT_ASSERT_EQUAL(std::string("info"), c.log.level);
        CPPUNIT_ASSERT_EQUAL(30, c.limits.preauth_timeout);
        CPPUNIT_ASSERT_EQUAL(0, c.threads);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigTest);
