// Module options declared as data: typed values, defaults, bounds, durations, and the exact
// message for each mistake an operator can make in a module's options.
#include "core/config.hpp"
#include "core/options.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using starling::ModuleOptions;
using starling::OptionSpec;
using starling::OptionType;
using starling::config::ConfigError;

namespace {

const std::string file = "conf/starling.yml";

std::vector<OptionSpec> ping_specs() {
    return {
        {"idle_interval", OptionType::duration, "300s", 10, 86400, "ping idle sessions after"},
        {"timeout", OptionType::duration, "60", 1, 3600, "close a session after no pong"},
        {"enabled", OptionType::boolean, "true", INT64_MIN, INT64_MAX, "send pings at all"},
        {"max_pings", OptionType::integer, "3", 1, 10, "pings before giving up"},
        {"greeting", OptionType::string, "", INT64_MIN, INT64_MAX, "a text"},
        {"exempt", OptionType::string_list, "[]", INT64_MIN, INT64_MAX, "JIDs never pinged"},
    };
}

// The options as they would appear under "- ping:" on line 3 of a configuration file.
YAML::Node options_node(const std::string& yaml) {
    return YAML::Load("modules:\n  - disco\n  - ping:\n" + yaml)["modules"][1]["ping"];
}

std::string error_of(const std::string& yaml) {
    try {
        starling::validate_options(file, "ping", options_node(yaml), ping_specs());
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

class OptionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OptionsTest);
    CPPUNIT_TEST(defaults_when_absent);
    CPPUNIT_TEST(values_read);
    CPPUNIT_TEST(durations);
    CPPUNIT_TEST(unknown_option);
    CPPUNIT_TEST(unknown_option_of_a_module_without_options);
    CPPUNIT_TEST(wrong_types);
    CPPUNIT_TEST(bounds);
    CPPUNIT_TEST(options_not_a_map);
    CPPUNIT_TEST(repeated_option);
    CPPUNIT_TEST(invalid_default_is_a_programming_error);
    CPPUNIT_TEST(undeclared_getter_is_a_programming_error);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaults_when_absent() {
        const ModuleOptions o =
            starling::validate_options(file, "ping", YAML::Node(), ping_specs());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300), o.get_int("idle_interval"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(60), o.get_int("timeout"));
        CPPUNIT_ASSERT_EQUAL(true, o.get_bool("enabled"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3), o.get_int("max_pings"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), o.get_string("greeting"));
        CPPUNIT_ASSERT(o.get_list("exempt").empty());
        // An empty map is the same as no options at all.
        const ModuleOptions empty =
            starling::validate_options(file, "ping", YAML::Load("{}"), ping_specs());
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300), empty.get_int("idle_interval"));
    }

    void values_read() {
        const ModuleOptions o = starling::validate_options(
            file, "ping",
            options_node("      enabled: false\n      max_pings: 7\n      greeting: hello\n"
                         "      exempt: [bot@example.test, monitor@example.test]\n"),
            ping_specs());
        CPPUNIT_ASSERT_EQUAL(false, o.get_bool("enabled"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7), o.get_int("max_pings"));
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), o.get_string("greeting"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), o.get_list("exempt").size());
        CPPUNIT_ASSERT_EQUAL(std::string("monitor@example.test"), o.get_list("exempt")[1]);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300), o.get_int("idle_interval"));
    }

    void durations() {
        const auto read = [](const std::string& value) {
            return starling::validate_options(file, "ping",
                                              options_node("      idle_interval: " + value + "\n"),
                                              ping_specs())
                .get_int("idle_interval");
        };
        CPPUNIT_ASSERT_EQUAL(std::int64_t(90), read("90s"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(300), read("5m"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(7200), read("2h"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(86400), read("1d"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(45), read("45"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("conf/starling.yml:4: modules.ping.idle_interval: expected a duration "
                        "such as 30 (seconds), 90s, 5m, 1h or 2d, got \"5x\""),
            error_of("      idle_interval: 5x\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("conf/starling.yml:4: modules.ping.idle_interval: expected a duration "
                        "such as 30 (seconds), 90s, 5m, 1h or 2d, got \"-5s\""),
            error_of("      idle_interval: -5s\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("conf/starling.yml:4: modules.ping.idle_interval: expected a duration "
                        "such as 30 (seconds), 90s, 5m, 1h or 2d, got \"m\""),
            error_of("      idle_interval: m\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("conf/starling.yml:4: modules.ping.idle_interval: expected a duration "
                        "from 10 to 86400 seconds, got \"5s\""),
            error_of("      idle_interval: 5s\n"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("conf/starling.yml:4: modules.ping.idle_interval: expected a duration "
                        "from 10 to 86400 seconds, got \"99999999999999d\""),
            error_of("      idle_interval: 99999999999999d\n"));
    }

    void unknown_option() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("conf/starling.yml:5: modules.ping.idle_intervall: unknown option; known "
                        "options: enabled, exempt, greeting, idle_interval, max_pings, timeout"),
            error_of("      timeout: 30s\n      idle_intervall: 300s\n"));
    }

    void unknown_option_of_a_module_without_options() {
        try {
            starling::validate_options(file, "time", YAML::Load("\n\n{zone: UTC}"), {});
            CPPUNIT_FAIL("expected a ConfigError");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:3: modules.time.zone: unknown "
                                             "option; this module takes no options"),
                                 std::string(e.what()));
        }
    }

    void wrong_types() {
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:4: modules.ping.enabled: expected "
                                         "true or false, got \"maybe\""),
                             error_of("      enabled: maybe\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:4: modules.ping.max_pings: expected "
                                         "an integer from 1 to 10, got \"three\""),
                             error_of("      max_pings: three\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:4: modules.ping.greeting: expected a "
                                         "string, got a list"),
                             error_of("      greeting: [a, b]\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:4: modules.ping.exempt: expected a "
                                         "list of strings, got \"bot@example.test\""),
                             error_of("      exempt: bot@example.test\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:4: modules.ping.exempt[1]: expected "
                                         "a string, got a map"),
                             error_of("      exempt: [a, {b: c}]\n"));
    }

    void bounds() {
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:4: modules.ping.max_pings: expected "
                                         "an integer from 1 to 10, got \"11\""),
                             error_of("      max_pings: 11\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:4: modules.ping.max_pings: expected "
                                         "an integer from 1 to 10, got \"0\""),
                             error_of("      max_pings: 0\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("(no error)"), error_of("      max_pings: 10\n"));
        const std::vector<OptionSpec> open = {
            {"n", OptionType::integer, "0", INT64_MIN, INT64_MAX, "n"}};
        CPPUNIT_ASSERT_EQUAL(
            std::int64_t(-42),
            starling::validate_options(file, "m", YAML::Load("{n: -42}"), open).get_int("n"));
        try {
            starling::validate_options(file, "m", YAML::Load("{n: 1.5}"), open);
            CPPUNIT_FAIL("expected a ConfigError");
        } catch (const ConfigError& e) {
            CPPUNIT_ASSERT_EQUAL(
                std::string("conf/starling.yml:1: modules.m.n: expected an integer, got \"1.5\""),
                std::string(e.what()));
        }
    }

    void options_not_a_map() {
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:4: modules.ping: expected a map of "
                                         "options, got a list"),
                             error_of("      - timeout\n"));
    }

    void repeated_option() {
        CPPUNIT_ASSERT_EQUAL(std::string("conf/starling.yml:5: modules.ping.timeout: given "
                                         "twice; keep one of them"),
                             error_of("      timeout: 30s\n      timeout: 40s\n"));
    }

    void invalid_default_is_a_programming_error() {
        const std::vector<OptionSpec> bad = {{"n", OptionType::integer, "ten", 0, 100, "n"}};
        CPPUNIT_ASSERT_THROW(starling::validate_options(file, "m", YAML::Node(), bad),
                             std::logic_error);
        const std::vector<OptionSpec> none = {
            {"n", OptionType::integer, "", INT64_MIN, INT64_MAX, "n"}};
        CPPUNIT_ASSERT_THROW(starling::validate_options(file, "m", YAML::Node(), none),
                             std::logic_error);
    }

    void undeclared_getter_is_a_programming_error() {
        const ModuleOptions o =
            starling::validate_options(file, "ping", YAML::Node(), ping_specs());
        CPPUNIT_ASSERT_THROW(o.get_int("no_such_option"), std::logic_error);
        // Reading a declared option as the wrong type is the same mistake.
        CPPUNIT_ASSERT_THROW(o.get_string("max_pings"), std::logic_error);
        CPPUNIT_ASSERT_THROW(o.get_bool("exempt"), std::logic_error);
        // ConfigError is a runtime_error: a caller catching configuration errors never swallows
        // these.
        try {
            o.get_list("greeting");
            CPPUNIT_FAIL("expected a logic_error");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_EQUAL(
                std::string("module option \"greeting\" is not declared as a list of strings"),
                std::string(e.what()));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OptionsTest);
