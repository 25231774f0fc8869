// bench::options::peer_side: the peer server's clients of chat across servers log in with the
// same account numbers and password at the peer's address, domain and prefix.
#include "bench/options.hpp"

#include <cppunit/extensions/HelperMacros.h>

class BenchOptionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BenchOptionsTest);
    CPPUNIT_TEST(one_server_is_not_s2s);
    CPPUNIT_TEST(peer_side_takes_the_peer_address_and_domain);
    CPPUNIT_TEST(peer_side_defaults_to_the_home_host_and_prefix);
    CPPUNIT_TEST_SUITE_END();

public:
    void one_server_is_not_s2s() {
        const bench::options o;
        CPPUNIT_ASSERT(!o.s2s());
    }

    void peer_side_takes_the_peer_address_and_domain() {
        bench::options o;
        o.host = "127.0.0.1";
        o.port = 5222;
        o.domain = "a.example.test";
        o.user_prefix = "bench";
        o.password = "secret";
        o.first = 7;
        o.peer_host = "127.0.0.2";
        o.peer_port = 6222;
        o.peer_domain = "b.example.test";
        o.peer_user_prefix = "peer";
        CPPUNIT_ASSERT(o.s2s());
        const auto p = o.peer_side();
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.2"), p.host);
        CPPUNIT_ASSERT_EQUAL(std::uint16_t{6222}, p.port);
        CPPUNIT_ASSERT_EQUAL(std::string("b.example.test"), p.domain);
        CPPUNIT_ASSERT_EQUAL(std::string("peer7@b.example.test"), p.jid(7));
        CPPUNIT_ASSERT_EQUAL(std::string("secret"), p.password);
        CPPUNIT_ASSERT_EQUAL(std::uint32_t{7}, p.first);
        // The peer's clients only receive: they have no peer of their own.
        CPPUNIT_ASSERT(!p.s2s());
    }

    void peer_side_defaults_to_the_home_host_and_prefix() {
        bench::options o;
        o.host = "127.0.0.3";
        o.domain = "a.example.test";
        o.peer_domain = "b.example.test";
        o.peer_port = 6222;
        const auto p = o.peer_side();
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.3"), p.host);
        CPPUNIT_ASSERT_EQUAL(std::string("bench1@b.example.test"), p.jid(1));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BenchOptionsTest);
