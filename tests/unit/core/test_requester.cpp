// StanzaEvent::local_client, requester and own_account: which local account, if any, asked.
// Only a client's own bound session on the event's host asks for an account; a user of the
// server's other host, a component or module (no origin), and a stream that has not logged in
// never do, whatever 'from' says.
#include "core/server.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using starling::Jid;
using starling::StanzaEvent;
using starling::StanzaPtr;

namespace {

// A session as the router sees it: only its JID matters here.
class Session : public starling::Session {
public:
    explicit Session(std::string_view jid) : jid_(jid.empty() ? Jid() : *Jid::parse(jid)) {}
    const Jid& jid() const override { return jid_; }
    int priority() const override { return 0; }
    bool available() const override { return true; }
    void deliver(StanzaPtr) override {}
    void close(std::string_view, std::string_view) override {}
    std::chrono::steady_clock::time_point last_activity() const override { return {}; }
    std::string peer() const override { return "127.0.0.1:1"; }
    std::string security() const override { return "test"; }

private:
    Jid jid_;
};

StanzaPtr iq(const std::string& from, const std::string& to) {
    auto element = starling::xml::make_element("iq", std::string(starling::ns_client));
    element->set_attr("type", "set");
    if (!from.empty()) element->set_attr("from", from);
    if (!to.empty()) element->set_attr("to", to);
    element->add_child("query", "jabber:iq:register");
    return starling::make_stanza(std::move(element));
}

std::string text(const std::optional<Jid>& jid) {
    return jid ? jid->str() : "(nobody)";
}

}  // namespace

class RequesterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RequesterTest);
    CPPUNIT_TEST(own_session_asks_for_its_account);
    CPPUNIT_TEST(own_account_is_addressed_to_itself_or_its_server);
    CPPUNIT_TEST(user_of_another_host_is_no_requester_here);
    CPPUNIT_TEST(no_origin_is_nobody);
    CPPUNIT_TEST(unauthenticated_stream_and_component_are_nobody);
    CPPUNIT_TEST(from_that_is_not_the_session_is_nobody);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        server_ = std::make_unique<starling::Server>(
            starling::config::parse("hosts: [example.test, other.test]\nlisten: []\n"
                                    "tls: {certificate: server.crt, key: server.key}\n"
                                    "storage: {driver: sqlite, path: unused.db}\n"
                                    "control_socket: control.sock\nthreads: 1\n",
                                    "/nonexistent/starling.yml"));
    }
    void tearDown() override { server_.reset(); }

    void own_session_asks_for_its_account() {
        const auto ev = event("example.test", "alice@example.test/phone",
                              iq("alice@example.test/phone", "example.test"));
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.test"), text(ev.local_client()));
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.test"), text(ev.requester()));
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.test"), text(ev.own_account()));
    }

    void own_account_is_addressed_to_itself_or_its_server() {
        const std::string from = "alice@example.test/phone";
        for (const char* to : {"", "alice@example.test", "example.test"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                to, std::string("alice@example.test"),
                text(event("example.test", from, iq(from, to)).own_account()));
        // Addressed to another account: alice asks, but not about her own account.
        const auto other = event("example.test", from, iq(from, "bob@example.test"));
        CPPUNIT_ASSERT_EQUAL(std::string("alice@example.test"), text(other.requester()));
        CPPUNIT_ASSERT(!other.own_account());
    }

    void user_of_another_host_is_no_requester_here() {
        // alice@other.test's iq to example.test: the router raises it on example.test.
        const auto ev =
            event("example.test", "alice@other.test/r", iq("alice@other.test/r", "example.test"));
        CPPUNIT_ASSERT_EQUAL(std::string("alice@other.test"), text(ev.local_client()));
        CPPUNIT_ASSERT(!ev.requester());
        CPPUNIT_ASSERT(!ev.own_account());
    }

    void no_origin_is_nobody() {
        // A component's (or a module's) stanza is routed with no origin, whatever its 'from'.
        StanzaEvent ev{*server_->host("example.test"), nullptr,
                       iq("alice@example.test/phone", "example.test")};
        CPPUNIT_ASSERT(!ev.local_client());
        CPPUNIT_ASSERT(!ev.requester());
        CPPUNIT_ASSERT(!ev.own_account());
    }

    void unauthenticated_stream_and_component_are_nobody() {
        // A stream that has not logged in has no JID; a component session's JID is a domain.
        CPPUNIT_ASSERT(!event("example.test", "", iq("", "")).local_client());
        CPPUNIT_ASSERT(!event("example.test", "gateway.example.test",
                              iq("gateway.example.test", "example.test"))
                            .local_client());
    }

    void from_that_is_not_the_session_is_nobody() {
        const auto ev = event("example.test", "alice@example.test/phone",
                              iq("bob@example.test/laptop", "example.test"));
        CPPUNIT_ASSERT(!ev.local_client());
        CPPUNIT_ASSERT(!ev.own_account());
    }

private:
    StanzaEvent event(const std::string& host, std::string_view session, StanzaPtr stanza) {
        return StanzaEvent{*server_->host(host), std::make_shared<Session>(session),
                           std::move(stanza)};
    }

    std::unique_ptr<starling::Server> server_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RequesterTest);
