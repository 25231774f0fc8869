// ConnectionLimits: the total and per-address bounds, an IPv6 client counted by its /64 and an
// IPv4-mapped address as its IPv4 one, and slots that come back when their handle goes.
#include "net/connection_limits.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

using starling::net::ConnectionLimits;

class ConnectionLimitsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConnectionLimitsTest);
    CPPUNIT_TEST(per_address_limit_and_release);
    CPPUNIT_TEST(ipv6_counts_by_its_64);
    CPPUNIT_TEST(mapped_ipv4_counts_as_ipv4);
    CPPUNIT_TEST(total_limit_across_addresses);
    CPPUNIT_TEST(zero_means_no_limit);
    CPPUNIT_TEST_SUITE_END();

public:
    void per_address_limit_and_release() {
        ConnectionLimits limits;
        limits.set_limits(0, 2);
        std::string why;
        auto a = limits.admit("192.0.2.1", why);
        auto b = limits.admit("192.0.2.1", why);
        CPPUNIT_ASSERT(a && b);
        CPPUNIT_ASSERT(!limits.admit("192.0.2.1", why));
        CPPUNIT_ASSERT_EQUAL(std::string("2 connections from this address "
                                         "(limits.connections_per_ip)"),
                             why);
        // Another address is not affected.
        CPPUNIT_ASSERT(limits.admit("192.0.2.2", why));
        a.reset();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), limits.from("192.0.2.1"));
        CPPUNIT_ASSERT(limits.admit("192.0.2.1", why));
    }

    void ipv6_counts_by_its_64() {
        ConnectionLimits limits;
        limits.set_limits(0, 2);
        std::string why;
        auto a = limits.admit("2001:db8:1:2::1", why);
        auto b = limits.admit("2001:db8:1:2:ffff::9", why);
        CPPUNIT_ASSERT(a && b);
        CPPUNIT_ASSERT(!limits.admit("2001:db8:1:2:abcd:ef01:2345:6789", why));
        CPPUNIT_ASSERT(limits.admit("2001:db8:1:3::1", why));  // the next /64
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), limits.from("2001:db8:1:2::42"));
    }

    void mapped_ipv4_counts_as_ipv4() {
        ConnectionLimits limits;
        limits.set_limits(0, 1);
        std::string why;
        auto a = limits.admit("198.51.100.7", why);
        CPPUNIT_ASSERT(a);
        CPPUNIT_ASSERT(!limits.admit("::ffff:198.51.100.7", why));
        CPPUNIT_ASSERT(limits.admit("::ffff:198.51.100.8", why));
    }

    void total_limit_across_addresses() {
        ConnectionLimits limits;
        limits.set_limits(3, 0);
        std::string why;
        std::vector<std::shared_ptr<void>> held;
        for (const char* address : {"192.0.2.1", "192.0.2.2", "2001:db8::1"})
            held.push_back(limits.admit(address, why));
        CPPUNIT_ASSERT(held[0] && held[1] && held[2]);
        CPPUNIT_ASSERT(!limits.admit("192.0.2.9", why));
        CPPUNIT_ASSERT_EQUAL(std::string("the server has 3 connections (limits.connections)"), why);
        held.pop_back();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), limits.total());
        CPPUNIT_ASSERT(limits.admit("192.0.2.9", why));
    }

    void zero_means_no_limit() {
        ConnectionLimits limits;
        limits.set_limits(0, 0);
        std::string why;
        std::vector<std::shared_ptr<void>> held;
        for (int i = 0; i < 1000; ++i) held.push_back(limits.admit("192.0.2.1", why));
        for (const auto& slot : held) CPPUNIT_ASSERT(slot);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1000), limits.total());
        held.clear();
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), limits.total());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), limits.from("192.0.2.1"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConnectionLimitsTest);
