// FanOut: one sender's stanzas to many recipients, asserted on a Server built in process (no
// listeners, not started) with fake sessions. The sessions that claim an I/O thread claim an
// event loop the test runs by hand, so what is delivered when, and in which order, is exact.
#include "fake_session.hpp"
#include "in_process_config.hpp"
#include "tests/unit/stanza_text.hpp"
#include "tests/unit/storage/temp_dir.hpp"

#include "core/fan_out.hpp"
#include "core/server.hpp"
#include "net/asio.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using starling::FanOut;
using starling::Jid;
using starling::Recipient;
using starling::StanzaPtr;
using starling::test::FakeSession;
using Received = std::vector<std::string>;

namespace {

StanzaPtr stanza(std::string_view text) {
    return starling::test::stanza_from(text);
}

std::string message(int n) {
    return "<message from='bob@example.test/phone' type='groupchat' id='m" + std::to_string(n) +
           "'><body>" + std::to_string(n) + "</body></message>";
}

// message(n) as `to` gets it: the 'to' spliced in after the element name.
std::string message_to(int n, const std::string& to) {
    return "<message to='" + to + "' from='bob@example.test/phone' type='groupchat' id='m" +
           std::to_string(n) + "'><body>" + std::to_string(n) + "</body></message>";
}

}  // namespace

class FanOutTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FanOutTest);
    CPPUNIT_TEST(each_recipient_gets_the_senders_stanzas_in_order);
    CPPUNIT_TEST(a_big_fan_out_lets_other_work_through_between_slices);
    CPPUNIT_TEST(senders_take_turns);
    CPPUNIT_TEST(a_replaced_or_ended_session_is_not_used_again);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        server_ = std::make_unique<starling::Server>(starling::config::parse(
            starling::test::in_process_config(), (dir_.path() / "starling.yml").string()));
        bob_ = bind("bob@example.test/phone", nullptr);
    }

    void tearDown() override { server_.reset(); }

    void each_recipient_gets_the_senders_stanzas_in_order() {
        std::vector<std::shared_ptr<FakeSession>> threaded;
        std::vector<Recipient> recipients;
        for (int i = 0; i < 150; ++i) {
            threaded.push_back(bind("u" + std::to_string(i) + "@example.test/r", &io_));
            recipients.push_back(Recipient{threaded.back()->jid(), {}});
        }
        auto direct = bind("d@example.test/r", nullptr);  // no I/O thread of its own
        recipients.push_back(Recipient{direct->jid(), {}});
        recipients.push_back(Recipient{*Jid::parse("gone@example.test/r"), {}});  // not bound

        for (int n = 1; n <= 3; ++n) {
            FanOut out(*server_, this, stanza(message(n)));
            for (const auto& recipient : recipients) out.add(recipient);
        }
        // The session without a thread and the JID without a session were routed at once; the
        // others wait for their thread.
        CPPUNIT_ASSERT(direct->received() == (Received{message_to(1, "d@example.test/r"),
                                                       message_to(2, "d@example.test/r"),
                                                       message_to(3, "d@example.test/r")}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), bob_->received().size());  // RFC 6121 §8.5.3.2.1
        CPPUNIT_ASSERT(bob_->received().front().find("<service-unavailable") != std::string::npos);
        CPPUNIT_ASSERT(threaded.front()->received().empty());

        io_.run();
        for (std::size_t i = 0; i < threaded.size(); ++i) {
            const std::string to = "u" + std::to_string(i) + "@example.test/r";
            CPPUNIT_ASSERT_MESSAGE(
                to, threaded[i]->received() ==
                        (Received{message_to(1, to), message_to(2, to), message_to(3, to)}));
        }
    }

    void a_big_fan_out_lets_other_work_through_between_slices() {
        std::size_t delivered = 0;
        std::vector<Recipient> recipients;
        std::vector<std::shared_ptr<FakeSession>> sessions;
        for (int i = 0; i < 500; ++i) {
            sessions.push_back(bind("u" + std::to_string(i) + "@example.test/r", &io_));
            sessions.back()->on_deliver = [&](const starling::Stanza&) { ++delivered; };
            recipients.push_back(Recipient{sessions.back()->jid(), {}});
        }
        {
            FanOut out(*server_, this, stanza(message(1)));
            for (const auto& recipient : recipients) out.add(recipient);
        }
        // Another session's work, queued on the thread after the fan-out.
        std::size_t seen_by_other = 0;
        boost::asio::post(io_, [&] { seen_by_other = delivered; });
        io_.run();
        CPPUNIT_ASSERT_EQUAL(std::size_t(500), delivered);
        CPPUNIT_ASSERT(seen_by_other > 0);
        CPPUNIT_ASSERT(seen_by_other < 500);
    }

    void senders_take_turns() {
        std::vector<std::string> order;
        std::vector<Recipient> big;
        std::vector<std::shared_ptr<FakeSession>> sessions;
        for (int i = 0; i < 500; ++i) {
            sessions.push_back(bind("u" + std::to_string(i) + "@example.test/r", &io_));
            sessions.back()->on_deliver = [&](const starling::Stanza& s) {
                order.push_back(s.to().str());
            };
            big.push_back(Recipient{sessions.back()->jid(), {}});
        }
        const int other_sender = 0;
        {
            FanOut out(*server_, this, stanza(message(1)));
            for (const auto& recipient : big) out.add(recipient);
        }
        FanOut(*server_, &other_sender).add(stanza(message_to(2, "u7@example.test/r")));
        io_.run();
        CPPUNIT_ASSERT_EQUAL(std::size_t(501), order.size());
        // The small fan-out went between the big one's slices, not after all of them; u7 got
        // the big one's copy first, as it was flushed first.
        const auto small = std::find(order.begin() + 8, order.end(), "u7@example.test/r");
        CPPUNIT_ASSERT(small != order.end());
        CPPUNIT_ASSERT(small - order.begin() < 500);
        CPPUNIT_ASSERT(sessions[7]->received() == (Received{message_to(1, "u7@example.test/r"),
                                                            message_to(2, "u7@example.test/r")}));
    }

    void a_replaced_or_ended_session_is_not_used_again() {
        auto first = bind("alice@example.test/r", &io_);
        const Recipient alice{first->jid(), {}};
        const auto send = [&](int n) {
            FanOut(*server_, this, stanza(message(n))).add(alice);
            io_.restart();
            io_.run();
        };
        send(1);
        // A reconnection with the same resource replaces the session the recipient remembers.
        auto second = std::make_shared<FakeSession>("alice@example.test/r", 0, true, &io_);
        CPPUNIT_ASSERT(server_->sessions().bind(second) == first);
        CPPUNIT_ASSERT(!first->listed());
        send(2);
        server_->sessions().unbind(*second);
        send(3);
        CPPUNIT_ASSERT(first->received() == Received{message_to(1, "alice@example.test/r")});
        CPPUNIT_ASSERT(second->received() == Received{message_to(2, "alice@example.test/r")});
        // The third found no session: routed, and bounced to its sender.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bob_->received().size());
        CPPUNIT_ASSERT(bob_->received().front().find("id='m3'") != std::string::npos);
    }

private:
    std::shared_ptr<FakeSession> bind(const std::string& jid, boost::asio::io_context* io) {
        auto session = std::make_shared<FakeSession>(jid, 0, true, io);
        CPPUNIT_ASSERT(server_->sessions().bind(session) == nullptr);
        CPPUNIT_ASSERT(session->listed());
        return session;
    }

    starling::storage::test::TempDir dir_;
    boost::asio::io_context io_;
    std::unique_ptr<starling::Server> server_;
    std::shared_ptr<FakeSession> bob_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FanOutTest);
