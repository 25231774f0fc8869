// StreamReader over a real loopback TCP connection, with a Server built in process for its
// ingress gate: bytes arrive in order, a stream that holds its reads gets nothing until it
// resumes, a closed gate holds a gated stream's reads until it opens (and is counted) but not an
// ungated one's, keep_reading() false
// leaves the rest of the connection unread, and the peer's close is reported as eof. Over its
// rates a stream's reading pauses until its buckets refill (and is counted), and a stream that
// never catches up is handed to on_over_rate().
#include "stream/stream_reader.hpp"

#include "net/tcp_tls_socket.hpp"

#include "core/config.hpp"
#include "core/server.hpp"

#include "tests/unit/core/in_process_config.hpp"
#include "tests/unit/storage/temp_dir.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

using starling::StreamReader;
namespace asio = boost::asio;

namespace {

struct TestStream final : StreamReader::Owner {
    std::shared_ptr<int> alive = std::make_shared<int>(0);
    std::string got;
    bool held = false;
    bool stop_after_first = false;
    int feeds = 0;
    std::optional<starling::net::IoStatus> failed;

    std::shared_ptr<void> keep_alive() override { return alive; }
    bool read_stopped() const override { return failed.has_value(); }
    bool read_held() const override { return held; }
    void on_bytes(std::string_view bytes) override {
        ++feeds;
        got += bytes;
    }
    bool keep_reading() const override { return !(stop_after_first && feeds > 0); }
    void on_read_failed(starling::net::IoStatus status) override { failed = status; }
    void on_over_rate() override {
        over_rate = true;
        failed = starling::net::IoStatus::error;  // the stream ends: it reads no more
    }
    bool over_rate = false;
};

}  // namespace

class StreamReaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StreamReaderTest);
    CPPUNIT_TEST(bytes_arrive_in_order_and_eof_is_reported);
    CPPUNIT_TEST(held_reads_wait_for_resume);
    CPPUNIT_TEST(a_closed_ingress_gate_holds_reads_until_it_opens);
    CPPUNIT_TEST(keep_reading_false_leaves_the_rest_unread);
    CPPUNIT_TEST(over_its_byte_rate_a_stream_pauses_then_reads_on);
    CPPUNIT_TEST(over_its_element_rate_a_stream_pauses);
    CPPUNIT_TEST(a_stream_that_never_catches_up_is_ended);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        server_ = std::make_unique<starling::Server>(starling::config::parse(
            starling::test::in_process_config(), (dir_.path() / "starling.yml").string()));
        asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
        peer_ = std::make_unique<asio::ip::tcp::socket>(io_);
        peer_->connect(acceptor.local_endpoint());
        socket_ = std::make_unique<starling::net::TcpTlsSocket>(acceptor.accept());
    }

    void tearDown() override {
        socket_.reset();
        peer_.reset();
        server_.reset();
    }

    void bytes_arrive_in_order_and_eof_is_reported() {
        TestStream stream;
        StreamReader reader(*socket_, *server_, stream, "test", "test.paused");
        reader.start();
        send("<a/>");
        run_until([&] { return stream.got == "<a/>"; });
        send("<b/><c/>");
        run_until([&] { return stream.got == "<a/><b/><c/>"; });
        peer_->close();
        run_until([&] { return stream.failed.has_value(); });
        CPPUNIT_ASSERT(*stream.failed == starling::net::IoStatus::eof);
        CPPUNIT_ASSERT_EQUAL(std::string("<a/><b/><c/>"), stream.got);
    }

    void held_reads_wait_for_resume() {
        TestStream stream;
        StreamReader reader(*socket_, *server_, stream, "test", "test.paused");
        stream.held = true;
        reader.start();
        send("<held/>");
        run_for(std::chrono::milliseconds(200));
        CPPUNIT_ASSERT_EQUAL(std::string(), stream.got);
        reader.resume();  // still held: nothing
        run_for(std::chrono::milliseconds(100));
        CPPUNIT_ASSERT_EQUAL(std::string(), stream.got);
        stream.held = false;
        reader.resume();
        run_until([&] { return stream.got == "<held/>"; });
    }

    void a_closed_ingress_gate_holds_reads_until_it_opens() {
        TestStream stream;
        StreamReader reader(*socket_, *server_, stream, "test", "test.paused");
        auto& paused = server_->metrics().counter("test.paused");
        const auto before = paused.value();
        server_->ingress().close();
        reader.start();
        send("<later/>");
        run_for(std::chrono::milliseconds(200));
        CPPUNIT_ASSERT_EQUAL(std::string(), stream.got);
        CPPUNIT_ASSERT_EQUAL(before + 1, paused.value());
        server_->ingress().open();
        run_until([&] { return stream.got == "<later/>"; });

        // A stream the gate does not pause (a component) reads on.
        server_->ingress().close();
        TestStream component;
        asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
        asio::ip::tcp::socket peer(io_);
        peer.connect(acceptor.local_endpoint());
        starling::net::TcpTlsSocket socket(acceptor.accept());
        StreamReader ungated(socket, *server_, component, "test", "");
        ungated.start();
        asio::write(peer, asio::buffer(std::string("<now/>")));
        run_until([&] { return component.got == "<now/>"; });
        CPPUNIT_ASSERT_EQUAL(before + 1, paused.value());
        server_->ingress().open();
    }

    void keep_reading_false_leaves_the_rest_unread() {
        // As after <starttls/>: what follows in the connection is not read by this reader.
        TestStream stream;
        stream.stop_after_first = true;
        StreamReader reader(*socket_, *server_, stream, "test", "test.paused");
        reader.start();
        send("<starttls/>");
        run_until([&] { return stream.feeds == 1; });
        send("<injected/>");
        run_for(std::chrono::milliseconds(200));
        CPPUNIT_ASSERT_EQUAL(1, stream.feeds);
        CPPUNIT_ASSERT_EQUAL(std::string("<starttls/>"), stream.got);
        char rest[64];
        const auto n = socket_->tcp().read_some(asio::buffer(rest));
        CPPUNIT_ASSERT_EQUAL(std::string("<injected/>"), std::string(rest, n));
    }

    void over_its_byte_rate_a_stream_pauses_then_reads_on() {
        TestStream stream;
        StreamReader reader(*socket_, *server_, stream, "test", "test.paused");
        reader.shaper().set({10000, 0}, 1, 60);
        auto& throttled = server_->metrics().counter("test.throttled", {{"limit", "bytes"}});
        reader.start();
        // Two seconds of the rate at once: one second over the burst.
        send(std::string(20000, ' '));
        run_until([&] { return stream.got.size() == 20000; });
        CPPUNIT_ASSERT(throttled.value() >= 1);  // once per read that ended over the rate
        send("<after/>");
        run_for(std::chrono::milliseconds(300));
        CPPUNIT_ASSERT_EQUAL(std::size_t{20000}, stream.got.size());
        run_until([&] { return stream.got.size() == 20000 + 8; });
        CPPUNIT_ASSERT(!stream.over_rate);
    }

    void over_its_element_rate_a_stream_pauses() {
        TestStream stream;
        StreamReader reader(*socket_, *server_, stream, "test", "test.paused");
        reader.shaper().set({0, 10}, 1, 60);
        auto& throttled = server_->metrics().counter("test.throttled", {{"limit", "stanzas"}});
        reader.start();
        send("<a/>");
        run_until([&] { return stream.got == "<a/>"; });
        // The owner counts what its parser found: 25 elements, 10 a second, 10 at once.
        for (int i = 0; i < 25; ++i) reader.take_element();
        send("<b/>");
        run_until([&] { return stream.got == "<a/><b/>"; });
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, throttled.value());
        send("<c/>");
        run_for(std::chrono::milliseconds(300));
        CPPUNIT_ASSERT_EQUAL(std::string("<a/><b/>"), stream.got);
        run_until([&] { return stream.got == "<a/><b/><c/>"; });
    }

    void a_stream_that_never_catches_up_is_ended() {
        TestStream stream;
        StreamReader reader(*socket_, *server_, stream, "test", "test.paused");
        reader.shaper().set({20000, 0}, 1, 1);
        auto& closed = server_->metrics().counter("test.rate_closed");
        const auto before = closed.value();
        reader.start();
        // Far more than the socket buffers let through at once: the peer is never caught up.
        std::thread writer([this] {
            boost::system::error_code ec;
            asio::write(*peer_, asio::buffer(std::string(400000, ' ')), ec);
        });
        run_until([&] { return stream.over_rate; });
        CPPUNIT_ASSERT_EQUAL(before + 1, closed.value());
        CPPUNIT_ASSERT(stream.got.size() < 400000);
        peer_->close();  // the writer's blocked write ends
        writer.join();
    }

private:
    void send(const std::string& text) { asio::write(*peer_, asio::buffer(text)); }

    void run_for(std::chrono::milliseconds time) {
        io_.restart();
        io_.run_for(time);
    }

    void run_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done() && std::chrono::steady_clock::now() < deadline)
            run_for(std::chrono::milliseconds(20));
        CPPUNIT_ASSERT(done());
    }

    starling::storage::test::TempDir dir_;
    asio::io_context io_;
    std::unique_ptr<starling::Server> server_;
    std::unique_ptr<asio::ip::tcp::socket> peer_;
    std::unique_ptr<starling::net::TcpTlsSocket> socket_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(StreamReaderTest);
