// HttpSession over a loopback socket: a handler may answer from another thread, a handler that
// never answers gets the client a 503 after http.request_timeout (and its late answer is
// dropped), and a request is looked up by its path without the query.
#include "net/http_session.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cppunit/extensions/HelperMacros.h>

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

private:
    // One GET of `target` from a client on the same loop; the response, or nothing in 5 s.
    std::optional<http::response<http::string_body>> exchange(const std::string& target,
                                                              int request_timeout) {
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
        http::request<http::string_body> request(http::verb::get, target, 11);
        request.set(http::field::host, "example.test");
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
