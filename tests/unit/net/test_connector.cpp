// connect_to_domain against loopback listeners and the DNS stub: the targets are tried in the
// order DNS gives them and each one's addresses in turn until one accepts (one that hangs is
// given up after the attempt's time); configured targets are used without asking DNS; when
// nothing accepts, the error names every attempt and why it failed. Every name ends in .test and
// every query goes to the stub.
#include "net/connector.hpp"

#include "dns_stub.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;
using starling::net::Connection;
using starling::net::Resolver;
using starling::net::Target;
using starling::net::test::DnsStub;
namespace asio = boost::asio;

class ConnectorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConnectorTest);
    CPPUNIT_TEST(targets_are_tried_in_order_until_one_accepts);
    CPPUNIT_TEST(configured_targets_need_no_dns);
    CPPUNIT_TEST(the_error_names_every_attempt);
    CPPUNIT_TEST(a_domain_without_servers_is_reported);
    CPPUNIT_TEST(an_attempt_that_hangs_times_out_and_the_next_is_tried);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        io_ = std::make_unique<asio::io_context>();
        stub_ = std::make_unique<DnsStub>(*io_);
        resolver_ =
            std::make_unique<Resolver>(*io_, Resolver::Options{{stub_->server()}, 2000ms, 1});
        listener_ = std::make_unique<asio::ip::tcp::acceptor>(
            *io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    }

    void tearDown() override {
        listener_.reset();
        resolver_.reset();
        stub_.reset();
        io_.reset();
    }

    void targets_are_tried_in_order_until_one_accepts() {
        // Direct TLS is preferred (priority 1) but refuses; STARTTLS (priority 2) listens.
        stub_->srv("_xmpps-server._tcp.a.test", 1, 0, closed_port(), "dead.a.test");
        stub_->srv("_xmpp-server._tcp.a.test", 2, 0, live_port(), "live.a.test");
        stub_->a("dead.a.test", "127.0.0.1");
        stub_->a("live.a.test", "127.0.0.1");
        const auto result = connect("a.test", {});
        CPPUNIT_ASSERT_EQUAL(std::string(), result.error);
        CPPUNIT_ASSERT(result.connection);
        CPPUNIT_ASSERT_EQUAL(std::string("live.a.test"), result.connection->target.host);
        CPPUNIT_ASSERT(!result.connection->target.direct_tls);
        CPPUNIT_ASSERT_EQUAL(live_port(), result.connection->socket.remote_endpoint().port());
        // The listener really has the connection.
        asio::ip::tcp::socket accepted(*io_);
        listener_->accept(accepted);
        CPPUNIT_ASSERT_EQUAL(result.connection->socket.local_endpoint(),
                             accepted.remote_endpoint());
    }

    void configured_targets_need_no_dns() {
        const auto result = connect("b.test", {{"127.0.0.1", live_port(), true}});
        CPPUNIT_ASSERT_EQUAL(std::string(), result.error);
        CPPUNIT_ASSERT(result.connection);
        CPPUNIT_ASSERT(result.connection->target.direct_tls);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), stub_->questions().size());
    }

    void the_error_names_every_attempt() {
        const auto port = std::to_string(closed_port());
        const auto result =
            connect("c.test", {{"127.0.0.1", closed_port(), false}, {"::1", closed_port(), true}});
        CPPUNIT_ASSERT(!result.connection);
        CPPUNIT_ASSERT_EQUAL(
            std::string("cannot connect to c.test: 127.0.0.1:" + port +
                        " (Connection refused); [::1]:" + port + " (" + ipv6_refusal() + ")"),
            result.error);
    }

    void a_domain_without_servers_is_reported() {
        // No SRV records: the fallback is the domain itself on 5269, which has no address.
        const auto result = connect("nx.test", {});
        CPPUNIT_ASSERT(!result.connection);
        CPPUNIT_ASSERT_EQUAL(
            std::string("cannot connect to nx.test: nx.test (DNS lookup of nx.test found no "
                        "such name)"),
            result.error);
    }

    void an_attempt_that_hangs_times_out_and_the_next_is_tried() {
        // A listener whose accept queue is full (backlog 0, one connection waiting) drops
        // further SYNs, so a connect to it neither succeeds nor fails: it hangs.
        asio::ip::tcp::acceptor full(*io_);
        full.open(asio::ip::tcp::v4());
        full.bind({asio::ip::make_address("127.0.0.1"), 0});
        full.listen(0);
        asio::ip::tcp::socket waiting(*io_);
        waiting.connect(full.local_endpoint());
        const auto hanging = full.local_endpoint().port();

        const auto next = connect(
            "d.test", {{"127.0.0.1", hanging, false}, {"127.0.0.1", live_port(), false}}, 300ms);
        CPPUNIT_ASSERT_EQUAL(std::string(), next.error);
        CPPUNIT_ASSERT(next.connection);
        CPPUNIT_ASSERT_EQUAL(live_port(), next.connection->socket.remote_endpoint().port());

        const auto alone = connect("d.test", {{"127.0.0.1", hanging, false}}, 300ms);
        CPPUNIT_ASSERT(!alone.connection);
        CPPUNIT_ASSERT_EQUAL(std::string("cannot connect to d.test: 127.0.0.1:" +
                                         std::to_string(hanging) + " (timed out)"),
                             alone.error);
    }

private:
    struct Result {
        bool answered = false;
        std::optional<Connection> connection;
        std::string error;
    };

    Result connect(const std::string& domain, std::vector<Target> targets,
                   std::chrono::milliseconds timeout = 2000ms) {
        Result result;
        starling::net::connect_to_domain(
            *io_, *resolver_, domain, std::move(targets), timeout,
            [&result](std::optional<Connection> connection, std::string error) {
                result.answered = true;
                result.connection = std::move(connection);
                result.error = std::move(error);
            });
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!result.answered && std::chrono::steady_clock::now() < deadline) {
            if (io_->stopped()) io_->restart();
            io_->run_one_for(10ms);
        }
        CPPUNIT_ASSERT_MESSAGE("no answer for " + domain, result.answered);
        return result;
    }

    std::uint16_t live_port() const { return listener_->local_endpoint().port(); }

    // A port on loopback nobody listens on: taken from the kernel, then let go.
    std::uint16_t closed_port() {
        if (!closed_port_) {
            asio::ip::tcp::acceptor probe(*io_, {asio::ip::make_address("127.0.0.1"), 0});
            closed_port_ = probe.local_endpoint().port();
        }
        return *closed_port_;
    }

    // ::1 refuses like 127.0.0.1 where IPv6 is up; a machine without it cannot even try.
    static std::string ipv6_refusal() {
        asio::io_context io;
        asio::ip::tcp::socket socket(io);
        boost::system::error_code ec;
        socket.open(asio::ip::tcp::v6(), ec);
        return ec ? ec.message() : "Connection refused";
    }

    std::unique_ptr<asio::io_context> io_;
    std::unique_ptr<DnsStub> stub_;
    std::unique_ptr<Resolver> resolver_;
    std::unique_ptr<asio::ip::tcp::acceptor> listener_;
    std::optional<std::uint16_t> closed_port_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConnectorTest);
