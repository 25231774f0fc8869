// HttpSession over a loopback socket: a handler may answer from another thread, a handler that
// never answers gets the client a 503 after http.request_timeout (and its late answer is
// dropped), a request is looked up by its path without the query, and streamed bodies go both
// ways a chunk at a time.
#include "net/http_session.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using starling::HttpRequest;
using starling::HttpRespond;
using starling::HttpResponse;
using starling::HttpRoutes;

class HttpSessionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HttpSessionTest);
    CPPUNIT_TEST(a_handler_answers_from_another_thread);
    CPPUNIT_TEST(a_handler_that_never_answers_gets_a_503);
    CPPUNIT_TEST(a_streamed_body_reaches_the_sink_in_chunks);
    CPPUNIT_TEST(a_sink_failure_is_the_answer);
    CPPUNIT_TEST(a_source_body_is_sent_whole);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        io_ = std::make_unique<asio::io_context>();
        acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(
            *io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    }

    void tearDown() override {
        acceptor_.reset();
        io_.reset();
    }

    void a_handler_answers_from_another_thread() {
        std::thread worker;
        std::string seen_path, seen_query;
        auto route = routes_.add("/slow", [&](HttpRequest& request, HttpRespond respond) {
            seen_path = request.path;
            seen_query = request.query;
            worker = std::thread([respond = std::move(respond)] {
                std::this_thread::sleep_for(50ms);
                respond(HttpResponse::text(200, "later"));
            });
        });
        const auto response = exchange("/slow?x=1", 10);
        worker.join();
        CPPUNIT_ASSERT(response.has_value());
        CPPUNIT_ASSERT_EQUAL(200u, response->result_int());
        CPPUNIT_ASSERT_EQUAL(std::string("later\n"), response->body());
        CPPUNIT_ASSERT_EQUAL(std::string("/slow"), seen_path);
        CPPUNIT_ASSERT_EQUAL(std::string("x=1"), seen_query);
    }

    void a_handler_that_never_answers_gets_a_503() {
        HttpRespond kept;
        auto route = routes_.add("/never", [&](HttpRequest&, HttpRespond respond) {
            kept = std::move(respond);
        });
        const auto started = std::chrono::steady_clock::now();
        const auto response = exchange("/never", 1);
        CPPUNIT_ASSERT(response.has_value());
        CPPUNIT_ASSERT_EQUAL(503u, response->result_int());
        CPPUNIT_ASSERT(response->body().find("did not answer") != std::string::npos);
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started >= 900ms);
        // The answer that comes after all goes nowhere.
        CPPUNIT_ASSERT(kept);
        kept(HttpResponse::text(200, "too late"));
        io_->restart();
        io_->run_for(100ms);
    }

    // Keeps what it is given; fails the write after `fail_after` bytes when set.
    struct Sink : starling::HttpBodySink {
        std::string received;
        std::size_t writes = 0, largest = 0;
        bool finished = false, aborted = false;
        std::optional<std::size_t> fail_after;

        void write(std::string_view bytes,
                   std::function<void(std::optional<HttpResponse>)> done) override {
            received += bytes;
            ++writes;
            largest = std::max(largest, bytes.size());
            if (fail_after && received.size() > *fail_after)
                return done(HttpResponse::text(507, "disk full"));
            done(std::nullopt);
        }
        void finish(HttpRespond respond) override {
            finished = true;
            respond(HttpResponse::text(201, std::to_string(received.size())));
        }
        void abort() override { aborted = true; }
    };

    // Serves `body`, at most 10,000 bytes per read, whatever more is asked.
    struct Source : starling::HttpBodySource {
        std::string body;
        std::size_t at = 0, reads = 0;
        std::uint64_t size() const override { return body.size(); }
        void read(std::size_t max, std::function<void(bool, std::string_view)> done) override {
            ++reads;
            const auto n = std::min({max, body.size() - at, std::size_t{10000}});
            const auto from = at;
            at += n;
            done(true, std::string_view(body).substr(from, n));
        }
    };

    static std::string pattern(std::size_t size) {
        std::string text(size, '\0');
        for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 23);
        return text;
    }

    void a_streamed_body_reaches_the_sink_in_chunks() {
        auto sink = std::make_shared<Sink>();
        std::optional<std::uint64_t> announced;
        std::string seen_body = "untouched";
        auto route = routes_.add_streamed(
            "/put/", [&](HttpRequest& request, HttpRespond, starling::HttpAccept accept) {
                announced = request.content_length;
                seen_body = request.body;
                accept(sink);
            });
        const auto body = pattern(300 * 1024);
        http::request<http::string_body> request(http::verb::put, "/put/file", 11);
        request.body() = body;
        const auto response = exchange(std::move(request), 10);
        CPPUNIT_ASSERT(response.has_value());
        CPPUNIT_ASSERT_EQUAL(201u, response->result_int());
        CPPUNIT_ASSERT_EQUAL(std::to_string(body.size()) + "\n", response->body());
        CPPUNIT_ASSERT(sink->received == body);
        CPPUNIT_ASSERT(announced && *announced == body.size());
        CPPUNIT_ASSERT_EQUAL(std::string(), seen_body);
        CPPUNIT_ASSERT(sink->finished && !sink->aborted);
        // Never the whole body at once: a chunk at a time, at most 64 KiB.
        CPPUNIT_ASSERT(sink->writes >= 5);
        CPPUNIT_ASSERT(sink->largest <= 64 * 1024);
    }

    void a_sink_failure_is_the_answer() {
        auto sink = std::make_shared<Sink>();
        sink->fail_after = 100 * 1024;
        auto route = routes_.add_streamed(
            "/put", [&](HttpRequest&, HttpRespond, starling::HttpAccept accept) { accept(sink); });
        http::request<http::string_body> request(http::verb::put, "/put", 11);
        request.body() = pattern(1024 * 1024);
        const auto response = exchange(std::move(request), 10);
        CPPUNIT_ASSERT(response.has_value());
        CPPUNIT_ASSERT_EQUAL(507u, response->result_int());
        CPPUNIT_ASSERT_EQUAL(std::string("close"),
                             std::string((*response)[http::field::connection]));
        CPPUNIT_ASSERT(!sink->finished);
        CPPUNIT_ASSERT(sink->received.size() < 1024 * 1024);
    }

    void a_source_body_is_sent_whole() {
        auto source = std::make_shared<Source>();
        source->body = pattern(200 * 1024 + 7);
        auto route = routes_.add("/get", [&](HttpRequest&, HttpRespond respond) {
            HttpResponse response;
            response.headers.emplace_back("Content-Type", "application/octet-stream");
            response.source = source;
            respond(std::move(response));
        });
        const auto response = exchange(http::request<http::string_body>(http::verb::get, "/get", 11), 10);
        CPPUNIT_ASSERT(response.has_value());
        CPPUNIT_ASSERT_EQUAL(200u, response->result_int());
        CPPUNIT_ASSERT_EQUAL(std::to_string(source->body.size()),
                             std::string((*response)[http::field::content_length]));
        CPPUNIT_ASSERT(response->body() == source->body);
        CPPUNIT_ASSERT(source->reads >= 21);
    }

private:
    std::optional<http::response<http::string_body>> exchange(const std::string& target,
                                                              int request_timeout) {
        return exchange(http::request<http::string_body>(http::verb::get, target, 11),
                        request_timeout);
    }

    // One request from a client on the same loop; the response, or nothing in 5 s.
    std::optional<http::response<http::string_body>> exchange(
        http::request<http::string_body> request, int request_timeout) {
        starling::config::HttpConfig limits;
        limits.request_timeout = request_timeout;
        acceptor_->async_accept([&](const boost::system::error_code& ec,
                                    asio::ip::tcp::socket socket) {
            CPPUNIT_ASSERT(!ec);
            std::make_shared<starling::net::HttpSession>(std::move(socket), routes_, limits,
                                                          nullptr, nullptr)
                ->start();
        });
        asio::ip::tcp::socket client(*io_);
        request.set(http::field::host, "example.test");
        request.prepare_payload();
        boost::beast::flat_buffer buffer;
        std::optional<http::response<http::string_body>> response;
        http::response<http::string_body> received;
        client.async_connect(acceptor_->local_endpoint(), [&](const boost::system::error_code& ec) {
            CPPUNIT_ASSERT(!ec);
            http::async_write(client, request, [&](const boost::system::error_code& ec, std::size_t) {
                CPPUNIT_ASSERT(!ec);
                http::async_read(client, buffer, received,
                                 [&](const boost::system::error_code& ec, std::size_t) {
                                     if (!ec) response = std::move(received);
                                 });
            });
        });
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!response && std::chrono::steady_clock::now() < deadline) io_->run_for(10ms);
        return response;
    }

    HttpRoutes routes_;
    std::unique_ptr<asio::io_context> io_;
    std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpSessionTest);
