// IncomingAcks (stream/incoming_acks.hpp): h counts a stanza only once its receipt is released,
// in order; an <r/> is answered once what came before it is handled, and many <r/> before the
// stream wakes get one <a/>; reading pauses at the bound of unhandled stanzas and resumes at
// half, with one wake for all of it.
#include "stream/incoming_acks.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

using starling::IncomingAcks;
using starling::Receipt;

namespace {

struct Fixture {
    int wakes = 0;
    std::shared_ptr<IncomingAcks> acks;
    explicit Fixture(std::size_t max_unhandled = 1000)
        : acks(std::make_shared<IncomingAcks>(max_unhandled, [this] { ++wakes; })) {}
};

}  // namespace

class IncomingAcksTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IncomingAcksTest);
    CPPUNIT_TEST(a_stanza_counts_once_its_receipt_is_released);
    CPPUNIT_TEST(a_request_waits_for_what_came_before_it);
    CPPUNIT_TEST(many_requests_get_one_answer);
    CPPUNIT_TEST(reading_pauses_at_the_bound_and_resumes_at_half);
    CPPUNIT_TEST_SUITE_END();

public:
    void a_stanza_counts_once_its_receipt_is_released() {
        Fixture f;
        Receipt first = f.acks->arrived();
        Receipt copy = first;  // a storage callback keeps one
        Receipt second = f.acks->arrived();
        second.reset();  // delivered at once, but after a stanza still being stored
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), f.acks->h());
        first.reset();
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(0), f.acks->h());
        copy.reset();  // committed
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), f.acks->h());
        CPPUNIT_ASSERT_EQUAL(0, f.wakes);  // nobody asked
    }

    void a_request_waits_for_what_came_before_it() {
        Fixture f;
        Receipt stored = f.acks->arrived();
        f.acks->requested();
        CPPUNIT_ASSERT_EQUAL(0, f.wakes);
        Receipt after = f.acks->arrived();  // after the <r/>: not waited for
        stored.reset();
        CPPUNIT_ASSERT_EQUAL(1, f.wakes);
        const auto answer = f.acks->woken();
        CPPUNIT_ASSERT(answer);
        CPPUNIT_ASSERT_EQUAL(std::string("<a xmlns='urn:xmpp:sm:3' h='1'/>"), *answer);
        after.reset();
        CPPUNIT_ASSERT_EQUAL(1, f.wakes);  // answered already: nothing more to write
        CPPUNIT_ASSERT(!f.acks->woken());
    }

    void many_requests_get_one_answer() {
        Fixture f;
        f.acks->arrived().reset();
        for (int i = 0; i < 1000; ++i) f.acks->requested();
        CPPUNIT_ASSERT_EQUAL(1, f.wakes);
        CPPUNIT_ASSERT_EQUAL(std::string("<a xmlns='urn:xmpp:sm:3' h='1'/>"), *f.acks->woken());
        CPPUNIT_ASSERT(!f.acks->woken());
        f.acks->requested();  // a later one is answered again
        CPPUNIT_ASSERT_EQUAL(2, f.wakes);
        CPPUNIT_ASSERT(f.acks->woken());
    }

    void reading_pauses_at_the_bound_and_resumes_at_half() {
        Fixture f(4);
        std::vector<Receipt> held;
        for (int i = 0; i < 3; ++i) held.push_back(f.acks->arrived());
        CPPUNIT_ASSERT(!f.acks->backlogged());
        held.push_back(f.acks->arrived());
        CPPUNIT_ASSERT(f.acks->backlogged());
        held[0].reset();  // 3 unhandled: still over half
        CPPUNIT_ASSERT(f.acks->backlogged());
        CPPUNIT_ASSERT_EQUAL(0, f.wakes);
        held[1].reset();  // 2: half, reading goes on
        CPPUNIT_ASSERT(!f.acks->backlogged());
        CPPUNIT_ASSERT_EQUAL(1, f.wakes);
        CPPUNIT_ASSERT(!f.acks->woken());  // nothing to write, only to read
        CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), f.acks->h());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IncomingAcksTest);
