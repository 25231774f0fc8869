// OrderedDispatch: a stanza handed over on the stream's own thread runs at once only when
// nothing handed over earlier (from another thread) is still queued; otherwise it queues behind,
// so one sender's stanzas keep their order (docs/routing.md, "Order").
#include <cppunit/extensions/HelperMacros.h>

#include "stream/ordered_dispatch.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <vector>

namespace starling::test {

class OrderedDispatchTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OrderedDispatchTest);
    CPPUNIT_TEST(test_on_its_thread_it_queues_behind_earlier_ones);
    CPPUNIT_TEST(test_on_its_thread_with_nothing_queued_it_runs_at_once);
    CPPUNIT_TEST_SUITE_END();

    void test_on_its_thread_it_queues_behind_earlier_ones() {
        boost::asio::io_context io;
        OrderedDispatch dispatch;
        std::vector<int> order;
        // Running on the stream's thread, ahead of two stanzas another thread handed over
        // (the database thread letting held stanzas go): the next one must not overtake them.
        boost::asio::post(io, [&] { dispatch(io, [&] { order.push_back(3); }); });
        dispatch(io, [&] { order.push_back(1); });
        dispatch(io, [&] { order.push_back(2); });
        CPPUNIT_ASSERT(dispatch.queued());
        io.run();
        const std::vector<int> expected{1, 2, 3};
        CPPUNIT_ASSERT(order == expected);
        CPPUNIT_ASSERT(!dispatch.queued());
    }

    void test_on_its_thread_with_nothing_queued_it_runs_at_once() {
        boost::asio::io_context io;
        OrderedDispatch dispatch;
        std::vector<int> order;
        boost::asio::post(io, [&] {
            dispatch(io, [&] { order.push_back(1); });
            order.push_back(2);  // after: the handler ran inline
        });
        io.run();
        const std::vector<int> expected{1, 2};
        CPPUNIT_ASSERT(order == expected);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OrderedDispatchTest);

}  // namespace starling::test
