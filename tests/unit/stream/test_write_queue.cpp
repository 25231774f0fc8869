// WriteQueue over a real loopback TCP connection: what is queued arrives whole and in order,
// a peer that does not read holds the write while the rest stays queued (and can be dropped),
// and a write started from on_written() is the one that finishes the work (no early on_idle).
#include "stream/write_queue.hpp"

#include "net/tcp_tls_socket.hpp"

#include "tests/unit/stanza_text.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using starling::WriteQueue;
namespace asio = boost::asio;

namespace {

struct Loopback {
    asio::io_context io;
    asio::ip::tcp::socket peer{io};
    std::unique_ptr<starling::net::TcpTlsSocket> socket;

    Loopback() {
        asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
        peer.connect(acceptor.local_endpoint());
        socket = std::make_unique<starling::net::TcpTlsSocket>(acceptor.accept());
        // Small buffers, so that a few hundred KiB fill the connection.
        socket->tcp().set_option(asio::socket_base::send_buffer_size(16 * 1024));
        peer.set_option(asio::socket_base::receive_buffer_size(16 * 1024));
    }

    /// Reads from the peer until `size` bytes came (running the queue's waits meanwhile).
    std::string read(std::size_t size, std::chrono::seconds timeout = std::chrono::seconds(10)) {
        std::string got;
        peer.non_blocking(true);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char buffer[65536];
        while (got.size() < size && std::chrono::steady_clock::now() < deadline) {
            boost::system::error_code ec;
            const auto n = peer.read_some(asio::buffer(buffer), ec);
            if (!ec) got.append(buffer, n);
            io.poll();
            io.restart();
        }
        return got;
    }

    /// Reads what the peer gets and compares it with `expected` (megabytes are compared
    /// without printing them).
    void expect(const std::string& expected) {
        const std::string got = read(expected.size());
        CPPUNIT_ASSERT_EQUAL(expected.size(), got.size());
        CPPUNIT_ASSERT(got == expected);
    }
};

struct TestOwner final : WriteQueue::Owner {
    std::shared_ptr<int> alive = std::make_shared<int>(0);
    bool stopped = false;
    int written = 0;
    int idle = 0;
    int failed = 0;
    std::function<void()> after_write;

    std::shared_ptr<void> keep_alive() override { return alive; }
    bool write_stopped() const override { return stopped; }
    void on_written() override {
        ++written;
        if (after_write) std::exchange(after_write, nullptr)();
    }
    void on_idle() override { ++idle; }
    void on_write_failed() override { ++failed; }
};

}  // namespace

class WriteQueueTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WriteQueueTest);
    CPPUNIT_TEST(queued_entries_go_out_in_one_write_in_order);
    CPPUNIT_TEST(a_peer_that_does_not_read_holds_the_write_and_queued_entries_can_be_dropped);
    CPPUNIT_TEST(a_write_started_from_on_written_finishes_the_work);
    CPPUNIT_TEST(a_cleared_queue_writes_nothing_more);
    CPPUNIT_TEST_SUITE_END();

public:
    void queued_entries_go_out_in_one_write_in_order() {
        Loopback link;
        TestOwner owner;
        WriteQueue queue(*link.socket, owner);
        queue.set_limit(1024);
        const auto stanza = starling::test::stanza_from("<message to='a@example.test'/>");
        queue.push({nullptr, "<one/>"});
        queue.push({stanza, {}});
        queue.push({nullptr, "<three/>"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(6 + stanza->bytes().size() + 8), queue.queued_bytes());
        CPPUNIT_ASSERT(queue.over_limit(1024));
        queue.write();
        const std::string expected = "<one/>" + stanza->bytes() + "<three/>";
        link.expect(expected);
        CPPUNIT_ASSERT_EQUAL(1, owner.written);
        CPPUNIT_ASSERT_EQUAL(1, owner.idle);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), queue.queued_bytes());
        CPPUNIT_ASSERT(queue.empty());
    }

    void a_peer_that_does_not_read_holds_the_write_and_queued_entries_can_be_dropped() {
        Loopback link;
        TestOwner owner;
        WriteQueue queue(*link.socket, owner);
        queue.set_limit(1 << 30);
        const std::string big(4 << 20, 'x');
        queue.push({nullptr, big});
        queue.write();  // more than the connection holds: waits for the socket
        CPPUNIT_ASSERT_EQUAL(0, owner.written);
        const auto kept = starling::test::stanza_from("<message to='kept@example.test'/>");
        const auto dropped = starling::test::stanza_from("<message to='gone@example.test'/>");
        queue.push({kept, {}, true});
        queue.push({dropped, {}});
        CPPUNIT_ASSERT_EQUAL(big.size() + kept->bytes().size() + dropped->bytes().size(),
                             queue.queued_bytes());

        std::vector<std::string> unwritten;
        queue.for_each_unwritten([&](WriteQueue::Entry& e, bool queued) {
            unwritten.push_back((queued ? "queued " : "in write ") +
                                (e.stanza ? e.stanza->to().str() : std::to_string(e.size())));
        });
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), unwritten.size());
        CPPUNIT_ASSERT_EQUAL(std::string("in write ") + std::to_string(big.size()), unwritten[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("queued kept@example.test"), unwritten[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("queued gone@example.test"), unwritten[2]);

        // The entry not owned elsewhere is dropped; its bytes no longer count.
        queue.drop_queued([](WriteQueue::Entry& e) { return !e.owned; });
        CPPUNIT_ASSERT_EQUAL(big.size() + kept->bytes().size(), queue.queued_bytes());

        const std::string expected = big + kept->bytes();
        link.expect(expected);
        CPPUNIT_ASSERT_EQUAL(2, owner.written);
        CPPUNIT_ASSERT_EQUAL(1, owner.idle);
        CPPUNIT_ASSERT_EQUAL(0, owner.failed);
    }

    void a_write_started_from_on_written_finishes_the_work() {
        // As a paced backlog does: the write's completion queues the next stanza and writes it.
        // That write waits for the socket; the completed one must not call the stream idle
        // (and free the buffers the waiting write uses) meanwhile.
        Loopback link;
        TestOwner owner;
        WriteQueue queue(*link.socket, owner);
        queue.set_limit(1 << 30);
        const std::string big(4 << 20, 'y');
        owner.after_write = [&] {
            queue.push({nullptr, big});
            queue.push({nullptr, "<end/>"});
            queue.write();
        };
        queue.push({nullptr, "<start/>"});
        queue.write();
        CPPUNIT_ASSERT_EQUAL(1, owner.written);
        CPPUNIT_ASSERT_EQUAL(0, owner.idle);  // the second write is waiting
        const std::string expected = "<start/>" + big + "<end/>";
        link.expect(expected);
        CPPUNIT_ASSERT_EQUAL(2, owner.written);
        CPPUNIT_ASSERT_EQUAL(1, owner.idle);
    }

    void a_cleared_queue_writes_nothing_more() {
        Loopback link;
        TestOwner owner;
        WriteQueue queue(*link.socket, owner);
        queue.set_limit(1 << 30);
        queue.push({nullptr, std::string(4 << 20, 'z')});
        queue.write();
        // The connection is gone (a hibernating client stream): what was held is forgotten.
        owner.stopped = true;
        queue.clear();
        CPPUNIT_ASSERT(queue.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), queue.queued_bytes());
        const std::string got = link.read(4 << 20, std::chrono::seconds(1));
        CPPUNIT_ASSERT(got.size() < std::size_t(4 << 20));
        CPPUNIT_ASSERT_EQUAL(0, owner.written);
        CPPUNIT_ASSERT_EQUAL(0, owner.idle);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WriteQueueTest);
