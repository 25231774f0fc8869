// The ingress gate: closures nest, a waiter runs once when the last closer opens (or at once
// when the gate is open), an unmatched open() does not open a gate someone else closed, and only
// closing an open gate counts as a closure.
#include <cppunit/extensions/HelperMacros.h>

#include "core/ingress_gate.hpp"

namespace starling::test {

class IngressGateTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IngressGateTest);
    CPPUNIT_TEST(test_open_gate_runs_at_once);
    CPPUNIT_TEST(test_closures_nest);
    CPPUNIT_TEST(test_counts_closing_an_open_gate);
    CPPUNIT_TEST_SUITE_END();

    void test_open_gate_runs_at_once() {
        IngressGate gate;
        int ran = 0;
        CPPUNIT_ASSERT(!gate.closed());
        gate.when_open([&ran] { ++ran; });
        CPPUNIT_ASSERT_EQUAL(1, ran);
        gate.open();  // nothing closed it: it stays open and nothing runs again
        CPPUNIT_ASSERT(!gate.closed());
        CPPUNIT_ASSERT_EQUAL(1, ran);
    }

    void test_closures_nest() {
        IngressGate gate;
        int ran = 0;
        gate.close();
        gate.close();
        CPPUNIT_ASSERT(gate.closed());
        gate.when_open([&ran] { ++ran; });
        gate.when_open([&ran] { ran += 10; });
        gate.open();
        CPPUNIT_ASSERT(gate.closed());
        CPPUNIT_ASSERT_EQUAL(0, ran);
        gate.open();
        CPPUNIT_ASSERT(!gate.closed());
        CPPUNIT_ASSERT_EQUAL(11, ran);
        // Each waiter runs once: closing and opening again runs nothing more.
        gate.close();
        gate.open();
        CPPUNIT_ASSERT_EQUAL(11, ran);
    }

    void test_counts_closing_an_open_gate() {
        Counter closures;
        IngressGate gate(closures);
        gate.close();
        gate.close();  // nested: the gate was closed already
        gate.open();
        gate.open();
        gate.close();
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, closures.value());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IngressGateTest);

}  // namespace starling::test
