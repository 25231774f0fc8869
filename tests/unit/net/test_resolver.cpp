// Resolver against a loopback DNS stub: server discovery (both SRV services in one order, "."
// meaning not offered, the fallback to domain:5269), host addresses, IP literals answered without
// a query, a silent server giving a timely error, and a Resolver destroyed with questions open.
// Every query goes to the stub; every name ends in .test.
#include "net/resolver.hpp"

#include "dns_stub.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using starling::net::Resolver;
using starling::net::Target;
using starling::net::test::DnsStub;
namespace asio = boost::asio;

namespace {

// "host:port tls|starttls, …", so a failed comparison shows the whole order.
std::string describe(const std::vector<Target>& targets) {
    std::string text;
    for (const Target& target : targets) {
        if (!text.empty()) text += ", ";
        text += target.host + ":" + std::to_string(target.port) +
                (target.direct_tls ? " tls" : " starttls");
    }
    return text;
}

// The endpoints as sorted "address:port" text: c-ares's order is its own business.
std::string describe(const std::vector<asio::ip::tcp::endpoint>& endpoints) {
    std::vector<std::string> texts;
    for (const auto& endpoint : endpoints) {
        std::ostringstream text;
        text << endpoint;
        texts.push_back(text.str());
    }
    std::sort(texts.begin(), texts.end());
    std::string joined;
    for (const auto& text : texts) joined += (joined.empty() ? "" : " ") + text;
    return joined;
}

struct Found {
    bool answered = false;
    std::vector<Target> targets;
    std::string error;
};

struct Addresses {
    bool answered = false;
    std::vector<asio::ip::tcp::endpoint> endpoints;
    std::string error;
};

}  // namespace

class ResolverTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ResolverTest);
    CPPUNIT_TEST(srv_records_ordered_by_priority_across_services);
    CPPUNIT_TEST(weights_draw_within_a_priority);
    CPPUNIT_TEST(dot_target_leaves_only_the_other_service);
    CPPUNIT_TEST(dot_targets_on_both_services_mean_no_server);
    CPPUNIT_TEST(dot_on_direct_tls_keeps_the_starttls_fallback);
    CPPUNIT_TEST(no_srv_falls_back_to_domain_5269);
    CPPUNIT_TEST(srv_nodata_falls_back_to_domain_5269);
    CPPUNIT_TEST(addresses_are_a_and_aaaa_with_the_port);
    CPPUNIT_TEST(unknown_host_names_the_host);
    CPPUNIT_TEST(ip_literals_answer_without_a_query);
    CPPUNIT_TEST(silent_server_times_out);
    CPPUNIT_TEST(one_silent_service_leaves_the_other);
    CPPUNIT_TEST(destroying_the_resolver_drops_open_questions);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        io_ = std::make_unique<asio::io_context>();
        stub_ = std::make_unique<DnsStub>(*io_);
    }

    void tearDown() override {
        resolver_.reset();
        stub_.reset();
        io_.reset();
    }

    void srv_records_ordered_by_priority_across_services() {
        stub_->srv("_xmpps-server._tcp.order.test", 10, 0, 5223, "tls-b.order.test");
        stub_->srv("_xmpps-server._tcp.order.test", 5, 0, 5223, "tls-a.order.test");
        stub_->srv("_xmpp-server._tcp.order.test", 5, 0, 5269, "plain-a.order.test");
        stub_->srv("_xmpp-server._tcp.order.test", 1, 0, 5269, "plain-first.order.test");
        stub_->srv("_xmpp-server._tcp.order.test", 20, 0, 5269, "plain-last.order.test");
        const Found found = find_server("order.test");
        CPPUNIT_ASSERT_EQUAL(std::string(), found.error);
        // A lower priority number wins across services; direct TLS goes first only on a tie.
        CPPUNIT_ASSERT_EQUAL(std::string("plain-first.order.test:5269 starttls, "
                                         "tls-a.order.test:5223 tls, "
                                         "plain-a.order.test:5269 starttls, "
                                         "tls-b.order.test:5223 tls, "
                                         "plain-last.order.test:5269 starttls"),
                             describe(found.targets));
        std::vector<std::string> questions = stub_->questions();
        std::sort(questions.begin(), questions.end());
        CPPUNIT_ASSERT_EQUAL(std::string("_xmpp-server._tcp.order.test SRV"), questions.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("_xmpps-server._tcp.order.test SRV"), questions.at(1));
    }

    void weights_draw_within_a_priority() {
        stub_->srv("_xmpp-server._tcp.weights.test", 1, 50, 5269, "even-a.weights.test");
        stub_->srv("_xmpp-server._tcp.weights.test", 1, 50, 5269, "even-b.weights.test");
        stub_->srv("_xmpp-server._tcp.weights.test", 2, 0, 5269, "zero.weights.test");
        stub_->srv("_xmpp-server._tcp.weights.test", 2, 1000, 5269, "heavy.weights.test");
        int even_a_first = 0, heavy_before_zero = 0;
        const int lookups = 40;
        for (int i = 0; i < lookups; ++i) {
            const Found found = find_server("weights.test");
            CPPUNIT_ASSERT_EQUAL(std::size_t(4), found.targets.size());
            // Priority still rules: the draw only reorders records of one priority.
            CPPUNIT_ASSERT(found.targets[0].host.starts_with("even-"));
            CPPUNIT_ASSERT(found.targets[1].host.starts_with("even-"));
            if (found.targets[0].host == "even-a.weights.test") ++even_a_first;
            if (found.targets[2].host == "heavy.weights.test") ++heavy_before_zero;
        }
        // Equal weights: each comes first sometimes (all 40 the same: odds 2 in 2^40).
        CPPUNIT_ASSERT(even_a_first > 0 && even_a_first < lookups);
        // Weight 1000 against 0 wins about 1000 times in 1001 (RFC 2782 still gives 0 a chance).
        CPPUNIT_ASSERT(heavy_before_zero >= lookups - 5);
    }

    void dot_target_leaves_only_the_other_service() {
        stub_->srv("_xmpps-server._tcp.half.test", 0, 0, 0, ".");
        stub_->srv("_xmpp-server._tcp.half.test", 10, 0, 5269, "xmpp.half.test");
        const Found found = find_server("half.test");
        CPPUNIT_ASSERT_EQUAL(std::string(), found.error);
        CPPUNIT_ASSERT_EQUAL(std::string("xmpp.half.test:5269 starttls"), describe(found.targets));
    }

    void dot_targets_on_both_services_mean_no_server() {
        stub_->srv("_xmpps-server._tcp.closed.test", 0, 0, 0, ".");
        stub_->srv("_xmpp-server._tcp.closed.test", 0, 0, 0, ".");
        const Found found = find_server("closed.test");
        CPPUNIT_ASSERT(found.targets.empty());  // and no fallback to closed.test:5269
        CPPUNIT_ASSERT_EQUAL(
            std::string("closed.test does not offer server-to-server XMPP (SRV target \".\")"),
            found.error);
    }

    void dot_on_direct_tls_keeps_the_starttls_fallback() {
        // "." refuses direct TLS only; the missing _xmpp-server record still means "try 5269".
        stub_->srv("_xmpps-server._tcp.plain-only.test", 0, 0, 0, ".");
        const Found found = find_server("plain-only.test");
        CPPUNIT_ASSERT_EQUAL(std::string(), found.error);
        CPPUNIT_ASSERT_EQUAL(std::string("plain-only.test:5269 starttls"), describe(found.targets));
    }

    void no_srv_falls_back_to_domain_5269() {
        const Found found = find_server("nosrv.test");  // NXDOMAIN for both names
        CPPUNIT_ASSERT_EQUAL(std::string(), found.error);
        CPPUNIT_ASSERT_EQUAL(std::string("nosrv.test:5269 starttls"), describe(found.targets));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), stub_->questions().size());
    }

    void srv_nodata_falls_back_to_domain_5269() {
        stub_->exists("_xmpps-server._tcp.nodata.test");
        stub_->exists("_xmpp-server._tcp.nodata.test");
        const Found found = find_server("nodata.test");
        CPPUNIT_ASSERT_EQUAL(std::string(), found.error);
        CPPUNIT_ASSERT_EQUAL(std::string("nodata.test:5269 starttls"), describe(found.targets));
    }

    void addresses_are_a_and_aaaa_with_the_port() {
        stub_->a("host.test", "192.0.2.10");
        stub_->aaaa("host.test", "2001:db8::10");
        stub_->aaaa("host.test", "2001:db8::11");
        const Addresses both = addresses("host.test", 5269);
        CPPUNIT_ASSERT_EQUAL(std::string(), both.error);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.10:5269 [2001:db8::10]:5269 [2001:db8::11]:5269"),
                             describe(both.endpoints));

        stub_->a("v4.test", "192.0.2.20");
        const Addresses v4 = addresses("v4.test", 5270);
        CPPUNIT_ASSERT_EQUAL(std::string(), v4.error);
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.20:5270"), describe(v4.endpoints));
    }

    void unknown_host_names_the_host() {
        const Addresses found = addresses("missing.test", 5269);
        CPPUNIT_ASSERT(found.endpoints.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("DNS lookup of missing.test found no such name"),
                             found.error);
    }

    void ip_literals_answer_without_a_query() {
        make_resolver();
        Addresses v4, v6;
        Found domain_v4, domain_v6;
        resolver_->addresses("192.0.2.7", 5222, record(v4));
        resolver_->addresses("2001:db8::7", 5269, record(v6));
        resolver_->find_server("192.0.2.8", record(domain_v4));
        resolver_->find_server("[2001:db8::8]", record(domain_v6));
        // Never answered inside the call: the caller may not be ready for it yet.
        CPPUNIT_ASSERT(!v4.answered && !v6.answered && !domain_v4.answered && !domain_v6.answered);
        run_until(
            [&] { return v4.answered && v6.answered && domain_v4.answered && domain_v6.answered; });
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.7:5222"), describe(v4.endpoints));
        CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::7]:5269"), describe(v6.endpoints));
        CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.8:5269 starttls"), describe(domain_v4.targets));
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::8:5269 starttls"), describe(domain_v6.targets));
        CPPUNIT_ASSERT(stub_->questions().empty());
    }

    void silent_server_times_out() {
        stub_->never_answer("_xmpps-server._tcp.silent.test");
        stub_->never_answer("_xmpp-server._tcp.silent.test");
        stub_->never_answer("silent-host.test");
        make_resolver(100ms);
        const auto start = std::chrono::steady_clock::now();
        const Found found = find_server("silent.test");
        const Addresses host = addresses("silent-host.test", 5269);
        CPPUNIT_ASSERT(found.targets.empty() && host.endpoints.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("DNS lookup of _xmpps-server._tcp.silent.test timed out"),
                             found.error);
        CPPUNIT_ASSERT_EQUAL(std::string("DNS lookup of silent-host.test timed out"), host.error);
        // Two 100 ms waits in a row, with room for a busy machine.
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < 3s);
    }

    void one_silent_service_leaves_the_other() {
        stub_->never_answer("_xmpps-server._tcp.half-silent.test");
        stub_->srv("_xmpp-server._tcp.half-silent.test", 0, 0, 5269, "xmpp.half-silent.test");
        make_resolver(100ms);
        const Found found = find_server("half-silent.test");
        CPPUNIT_ASSERT_EQUAL(std::string(), found.error);
        CPPUNIT_ASSERT_EQUAL(std::string("xmpp.half-silent.test:5269 starttls"),
                             describe(found.targets));
    }

    void destroying_the_resolver_drops_open_questions() {
        stub_->never_answer("_xmpps-server._tcp.gone.test");
        stub_->never_answer("_xmpp-server._tcp.gone.test");
        stub_->never_answer("gone-host.test");
        make_resolver(5000ms);
        Found found, literal;
        Addresses host;
        resolver_->find_server("gone.test", record(found));
        resolver_->addresses("gone-host.test", 5269, record(host));
        // All three queries (SRV twice, then A and AAAA) are out before the Resolver goes.
        run_until([&] { return stub_->questions().size() == 4; });
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), stub_->questions().size());
        // An answer already posted is dropped too.
        resolver_->find_server("192.0.2.9", record(literal));
        resolver_.reset();
        run_until([] { return false; }, 200ms);
        CPPUNIT_ASSERT(!found.answered && !host.answered && !literal.answered);
    }

private:
    void make_resolver(std::chrono::milliseconds timeout = 2000ms) {
        resolver_ =
            std::make_unique<Resolver>(*io_, Resolver::Options{{stub_->server()}, timeout, 1});
    }

    // Runs the io_context until `done` or `limit`, whichever comes first.
    template <typename Done>
    void run_until(const Done& done, std::chrono::milliseconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            if (io_->stopped()) io_->restart();
            io_->run_one_for(10ms);
        }
    }

    static Resolver::TargetsHandler record(Found& found) {
        return [&found](std::vector<Target> targets, std::string error) {
            found = {true, std::move(targets), std::move(error)};
        };
    }
    static Resolver::EndpointsHandler record(Addresses& addresses) {
        return [&addresses](std::vector<asio::ip::tcp::endpoint> endpoints, std::string error) {
            addresses = {true, std::move(endpoints), std::move(error)};
        };
    }

    Found find_server(const std::string& domain) {
        if (!resolver_) make_resolver();
        Found found;
        resolver_->find_server(domain, record(found));
        run_until([&] { return found.answered; });
        CPPUNIT_ASSERT_MESSAGE("no answer for " + domain, found.answered);
        return found;
    }

    Addresses addresses(const std::string& host, std::uint16_t port) {
        if (!resolver_) make_resolver();
        Addresses found;
        resolver_->addresses(host, port, record(found));
        run_until([&] { return found.answered; });
        CPPUNIT_ASSERT_MESSAGE("no answer for " + host, found.answered);
        return found;
    }

    std::unique_ptr<asio::io_context> io_;
    std::unique_ptr<DnsStub> stub_;
    std::unique_ptr<Resolver> resolver_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ResolverTest);
