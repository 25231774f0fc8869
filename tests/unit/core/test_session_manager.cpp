// SessionManager: binding a full JID twice replaces (and hands back) the older session, unbinding
// removes only the very object that is bound, and the per-account views count what is bound.
#include "core/session_manager.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using starling::Jid;
using starling::SessionManager;
using starling::SessionPtr;

namespace {

// The session manager reads only jid(); the rest answers like an idle, connected client.
class BoundSession : public starling::Session {
public:
    explicit BoundSession(std::string_view jid) : jid_(*Jid::parse(jid)) {}
    const Jid& jid() const override { return jid_; }
    int priority() const override { return 0; }
    bool available() const override { return false; }
    void deliver(starling::StanzaPtr) override {}
    void close(std::string_view, std::string_view) override {}
    std::chrono::steady_clock::time_point last_activity() const override { return {}; }
    std::string peer() const override { return "test"; }
    std::string security() const override { return "test"; }

private:
    Jid jid_;
};

SessionPtr session(std::string_view jid) {
    return std::make_shared<BoundSession>(jid);
}

Jid jid(std::string_view text) {
    return *Jid::parse(text);
}

std::vector<std::string> jids(const std::vector<SessionPtr>& sessions) {
    std::vector<std::string> out;
    for (const auto& s : sessions) out.push_back(s->jid().str());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

class SessionManagerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SessionManagerTest);
    CPPUNIT_TEST(bind_new_resource_replaces_nothing);
    CPPUNIT_TEST(bind_same_full_jid_returns_the_old_session);
    CPPUNIT_TEST(unbind_of_a_replaced_session_keeps_the_new_one);
    CPPUNIT_TEST(unbind_removes_the_bound_session);
    CPPUNIT_TEST(unbind_of_an_unknown_session_is_harmless);
    CPPUNIT_TEST(resources_lists_one_account_only);
    CPPUNIT_TEST(resources_accepts_a_full_jid);
    CPPUNIT_TEST(find_is_exact_on_the_resource);
    CPPUNIT_TEST(lookups_use_the_normalised_jid);
    CPPUNIT_TEST(counts_and_snapshot);
    CPPUNIT_TEST_SUITE_END();

public:
    void bind_new_resource_replaces_nothing() {
        SessionManager sessions;
        auto phone = session("alice@example.test/phone");
        CPPUNIT_ASSERT(sessions.bind(phone) == nullptr);
        CPPUNIT_ASSERT(sessions.bind(session("alice@example.test/laptop")) == nullptr);
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test/phone")) == phone);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sessions.count_resources(jid("alice@example.test")));
    }

    void bind_same_full_jid_returns_the_old_session() {
        SessionManager sessions;
        auto old_phone = session("alice@example.test/phone");
        auto new_phone = session("alice@example.test/phone");
        sessions.bind(old_phone);
        // The caller closes what bind() hands back with <conflict/> (RFC 6120 §7.7.2.2).
        CPPUNIT_ASSERT(sessions.bind(new_phone) == old_phone);
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test/phone")) == new_phone);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.count_resources(jid("alice@example.test")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.size());
    }

    void unbind_of_a_replaced_session_keeps_the_new_one() {
        // The replaced stream closes after the new one bound; its unbind must not log the new
        // session out.
        SessionManager sessions;
        auto old_phone = session("alice@example.test/phone");
        auto new_phone = session("alice@example.test/phone");
        sessions.bind(old_phone);
        sessions.bind(new_phone);
        sessions.unbind(*old_phone);
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test/phone")) == new_phone);
        CPPUNIT_ASSERT(sessions.has_sessions(jid("alice@example.test")));
    }

    void unbind_removes_the_bound_session() {
        SessionManager sessions;
        auto phone = session("alice@example.test/phone");
        auto laptop = session("alice@example.test/laptop");
        sessions.bind(phone);
        sessions.bind(laptop);
        sessions.unbind(*phone);
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test/phone")) == nullptr);
        CPPUNIT_ASSERT(jids(sessions.resources(jid("alice@example.test"))) ==
                       std::vector<std::string>{"alice@example.test/laptop"});
        sessions.unbind(*laptop);
        CPPUNIT_ASSERT(!sessions.has_sessions(jid("alice@example.test")));
        CPPUNIT_ASSERT(sessions.resources(jid("alice@example.test")).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sessions.size());
    }

    void unbind_of_an_unknown_session_is_harmless() {
        SessionManager sessions;
        auto bound = session("alice@example.test/phone");
        sessions.bind(bound);
        auto stranger = session("bob@example.test/phone");
        sessions.unbind(*stranger);
        // Same full JID, different object: not the bound one, so nothing changes.
        auto twin = session("alice@example.test/phone");
        sessions.unbind(*twin);
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test/phone")) == bound);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.size());
    }

    void resources_lists_one_account_only() {
        SessionManager sessions;
        sessions.bind(session("alice@example.test/phone"));
        sessions.bind(session("alice@example.test/laptop"));
        sessions.bind(session("bob@example.test/phone"));
        sessions.bind(session("alice@other.test/phone"));
        CPPUNIT_ASSERT(
            jids(sessions.resources(jid("alice@example.test"))) ==
            (std::vector<std::string>{"alice@example.test/laptop", "alice@example.test/phone"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.count_resources(jid("bob@example.test")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.count_resources(jid("alice@other.test")));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), sessions.count_resources(jid("carol@example.test")));
        CPPUNIT_ASSERT(!sessions.has_sessions(jid("carol@example.test")));
    }

    void resources_accepts_a_full_jid() {
        SessionManager sessions;
        sessions.bind(session("alice@example.test/phone"));
        sessions.bind(session("alice@example.test/laptop"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2),
                             sessions.resources(jid("alice@example.test/anything")).size());
    }

    void find_is_exact_on_the_resource() {
        SessionManager sessions;
        sessions.bind(session("alice@example.test/Phone"));
        // Resourceprep does not fold case: "phone" is another resource.
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test/phone")) == nullptr);
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test/Phone")) != nullptr);
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test")) == nullptr);
    }

    void lookups_use_the_normalised_jid() {
        SessionManager sessions;
        auto phone = session("Alice@EXAMPLE.test/phone");
        sessions.bind(phone);
        CPPUNIT_ASSERT(sessions.find(jid("alice@example.test/phone")) == phone);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sessions.count_resources(jid("ALICE@example.TEST")));
    }

    void counts_and_snapshot() {
        SessionManager sessions;
        // Enough accounts to spread over several shards.
        for (int i = 0; i < 100; ++i) {
            sessions.bind(session("user" + std::to_string(i) + "@example.test/a"));
            sessions.bind(session("user" + std::to_string(i) + "@example.test/b"));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), sessions.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), sessions.all().size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sessions.count_resources(jid("user42@example.test")));
        const auto all = jids(sessions.all());
        CPPUNIT_ASSERT(std::binary_search(all.begin(), all.end(), "user99@example.test/b"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SessionManagerTest);
