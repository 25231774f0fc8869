// XEP-0156 host-meta: the links follow http.external_url or else the request's scheme and Host,
// and both documents escape what they carry.
#include "core/host_meta.hpp"

#include <cppunit/extensions/HelperMacros.h>

namespace host_meta = starling::host_meta;
using starling::HttpRequest;
using starling::config::HttpConfig;

class HostMetaTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HostMetaTest);
    CPPUNIT_TEST(links_follow_the_request_or_the_external_url);
    CPPUNIT_TEST(documents_are_escaped);
    CPPUNIT_TEST_SUITE_END();

    static HttpRequest request(std::string host, bool secure) {
        HttpRequest r;
        r.headers.emplace_back("host", std::move(host));
        r.secure = secure;
        return r;
    }

public:
    void links_follow_the_request_or_the_external_url() {
        HttpConfig http;
        auto links = host_meta::links_for(request("chat.example.test:5443", true), http);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), links.size());
        CPPUNIT_ASSERT_EQUAL(std::string("urn:xmpp:alt-connections:websocket"), links[0].rel);
        CPPUNIT_ASSERT_EQUAL(std::string("wss://chat.example.test:5443/xmpp-websocket"),
                             links[0].href);
        CPPUNIT_ASSERT_EQUAL(std::string("urn:xmpp:alt-connections:xbosh"), links[1].rel);
        CPPUNIT_ASSERT_EQUAL(std::string("https://chat.example.test:5443/http-bind"),
                             links[1].href);
        CPPUNIT_ASSERT_EQUAL(std::string("ws://[::1]:5280/xmpp-websocket"),
                             host_meta::links_for(request("[::1]:5280", false), http)[0].href);
        CPPUNIT_ASSERT_EQUAL(std::string("http://[::1]:5280/http-bind"),
                             host_meta::links_for(request("[::1]:5280", false), http)[1].href);
        CPPUNIT_ASSERT(host_meta::links_for(request("a b", true), http).empty());
        CPPUNIT_ASSERT(host_meta::links_for(request("", true), http).empty());
        // Behind a proxy that terminates TLS the request is plain, the advertised URL is not.
        http.external_url = "https://chat.example.test";
        http.websocket_path = "/ws";
        http.bosh_path = "/bosh";
        links = host_meta::links_for(request("internal:5280", false), http);
        CPPUNIT_ASSERT_EQUAL(std::string("wss://chat.example.test/ws"), links.at(0).href);
        CPPUNIT_ASSERT_EQUAL(std::string("https://chat.example.test/bosh"), links.at(1).href);
        http.websocket_path = "";
        links = host_meta::links_for(request("internal:5280", false), http);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), links.size());
        CPPUNIT_ASSERT_EQUAL(std::string("urn:xmpp:alt-connections:xbosh"), links[0].rel);
        http.bosh_path = "";
        CPPUNIT_ASSERT(host_meta::links_for(request("internal:5280", false), http).empty());
    }

    void documents_are_escaped() {
        const std::vector<host_meta::Link> links{{"r", "wss://h/a'\"<&\\"}};
        CPPUNIT_ASSERT_EQUAL(std::string("<?xml version='1.0' encoding='utf-8'?>\n"
                                         "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
                                         "  <Link rel='r' href='wss://h/a&apos;&quot;&lt;&amp;\\'/>\n"
                                         "</XRD>\n"),
                             host_meta::xrd(links));
        CPPUNIT_ASSERT_EQUAL(std::string("{\"links\":[{\"rel\":\"r\",\"href\":\"wss://h/a'\\\"<&\\\\\"}]}\n"),
                             host_meta::jrd(links));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostMetaTest);
