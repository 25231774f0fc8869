// HttpRoutes: exact paths, prefixes ending in '/', the longest match, a later registration
// shadowing an earlier one until it is dropped; HttpRequest::header and HttpResponse::text.
#include <cppunit/extensions/HelperMacros.h>

#include "core/http_routes.hpp"

#include <string>

namespace starling::test {

class HttpRoutesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HttpRoutesTest);
    CPPUNIT_TEST(test_exact_and_prefix);
    CPPUNIT_TEST(test_longest_prefix_wins);
    CPPUNIT_TEST(test_later_registration_shadows_until_dropped);
    CPPUNIT_TEST(test_request_header_and_text_response);
    CPPUNIT_TEST_SUITE_END();

    // A handler that answers with `name`, so a lookup shows which one it found.
    static HttpHandler named(std::string name) {
        return [name](HttpRequest&, HttpRespond respond) {
            respond(HttpResponse::text(200, name));
        };
    }

    static std::string answer_of(const HttpRoutes& routes, const std::string& path) {
        const auto route = routes.find(path);
        if (!route) return "404";
        std::string body;
        HttpRequest request;
        route->handler(request, [&body](HttpResponse response) { body = response.body; });
        return body.substr(0, body.size() - 1);  // without the newline text() adds
    }

    void test_exact_and_prefix() {
        HttpRoutes routes;
        auto metrics = routes.add("/metrics", named("metrics"));
        auto upload = routes.add("/upload/", named("upload"));
        CPPUNIT_ASSERT_EQUAL(std::string("metrics"), answer_of(routes, "/metrics"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), answer_of(routes, "/metrics/x"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), answer_of(routes, "/metricsx"));
        CPPUNIT_ASSERT_EQUAL(std::string("upload"), answer_of(routes, "/upload/"));
        CPPUNIT_ASSERT_EQUAL(std::string("upload"), answer_of(routes, "/upload/a/b.png"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), answer_of(routes, "/upload"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), answer_of(routes, "/"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), answer_of(routes, ""));
    }

    void test_longest_prefix_wins() {
        HttpRoutes routes;
        auto root = routes.add("/", named("root"));
        auto files = routes.add("/files/", named("files"));
        auto own = routes.add("/files/own/", named("own"));
        CPPUNIT_ASSERT_EQUAL(std::string("root"), answer_of(routes, "/anything"));
        CPPUNIT_ASSERT_EQUAL(std::string("files"), answer_of(routes, "/files/x"));
        CPPUNIT_ASSERT_EQUAL(std::string("own"), answer_of(routes, "/files/own/x/y"));
        own.reset();
        CPPUNIT_ASSERT_EQUAL(std::string("files"), answer_of(routes, "/files/own/x/y"));
    }

    void test_later_registration_shadows_until_dropped() {
        HttpRoutes routes;
        auto first = routes.add("/p", named("first"));
        {
            auto second = routes.add("/p", named("second"));
            CPPUNIT_ASSERT_EQUAL(std::string("second"), answer_of(routes, "/p"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("first"), answer_of(routes, "/p"));
        first.reset();
        CPPUNIT_ASSERT_EQUAL(std::string("404"), answer_of(routes, "/p"));
    }

    void test_request_header_and_text_response() {
        HttpRequest request;
        request.headers = {{"host", "example.test"}, {"accept", "a"}, {"accept", "b"}};
        CPPUNIT_ASSERT_EQUAL(std::string("a"), std::string(request.header("accept")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), std::string(request.header("range")));
        const auto response = HttpResponse::text(404, "gone");
        CPPUNIT_ASSERT_EQUAL(404, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("gone\n"), response.body);
        CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), response.headers.at(0).second);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpRoutesTest);

}  // namespace starling::test
