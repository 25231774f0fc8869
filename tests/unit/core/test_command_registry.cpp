// CommandRegistry: the newest registration of a name is the command, and dropping any one of
// them (a host unloading its module, a reload's old instance) leaves the others in force.
#include "core/command_registry.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <optional>
#include <string>

using namespace starling;

class CommandRegistryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CommandRegistryTest);
    CPPUNIT_TEST(newest_registration_serves_until_dropped);
    CPPUNIT_TEST_SUITE_END();

    static CommandSpec named(const std::string& description) {
        return {"upload usage", {}, description, true, nullptr};
    }

    static std::string current(const CommandRegistry& registry) {
        const auto spec = registry.find("upload usage");
        return spec ? spec->description : "none";
    }

public:
    void newest_registration_serves_until_dropped() {
        CommandRegistry registry;
        std::optional<Registration> first = registry.add(named("first host"));
        std::optional<Registration> second = registry.add(named("second host"));
        CPPUNIT_ASSERT_EQUAL(std::string("second host"), current(registry));
        first.reset();  // the first host unloads: the second's command stays
        CPPUNIT_ASSERT_EQUAL(std::string("second host"), current(registry));
        std::optional<Registration> third = registry.add(named("third host"));
        third.reset();
        CPPUNIT_ASSERT_EQUAL(std::string("second host"), current(registry));
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, registry.all().size());
        second.reset();
        CPPUNIT_ASSERT_EQUAL(std::string("none"), current(registry));
        CPPUNIT_ASSERT(registry.all().empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CommandRegistryTest);
