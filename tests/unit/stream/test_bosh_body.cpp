// BOSH's <body/> wrapper: a request read into its ids, attributes and payloads as sent; anything
// that is not a well-formed body of element payloads refused with the reason; responses written.
#include "stream/bosh_body.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace bosh = starling::bosh;

class BoshBodyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BoshBodyTest);
    CPPUNIT_TEST(creation_request_attributes_are_read);
    CPPUNIT_TEST(payloads_are_the_children_as_sent);
    CPPUNIT_TEST(restart_and_terminate_are_read);
    CPPUNIT_TEST(bad_requests_are_refused_with_the_reason);
    CPPUNIT_TEST(responses_and_terminal_errors_are_written);
    CPPUNIT_TEST_SUITE_END();

    static bosh::Request parsed(const std::string& text) {
        std::string error;
        auto request = bosh::parse_request(text, error);
        CPPUNIT_ASSERT_MESSAGE(error, request.has_value());
        return *request;
    }

    static std::string refused(const std::string& text) {
        std::string error;
        const auto request = bosh::parse_request(text, error);
        CPPUNIT_ASSERT_MESSAGE(text, !request.has_value());
        return error;
    }

public:
    void creation_request_attributes_are_read() {
        const auto request = parsed(
            "<body content='text/xml; charset=utf-8' hold='1' rid='1573741820' to='example.test' "
            "ver='1.6' wait='60' xml:lang='en' xmpp:version='1.0' "
            "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1573741820), request.rid);
        CPPUNIT_ASSERT(request.sid.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("example.test"), request.to);
        CPPUNIT_ASSERT_EQUAL(std::string("en"), request.lang);
        CPPUNIT_ASSERT_EQUAL(std::string("1.6"), request.ver);
        CPPUNIT_ASSERT_EQUAL(60u, request.wait.value());
        CPPUNIT_ASSERT_EQUAL(1u, request.hold.value());
        CPPUNIT_ASSERT(!request.restart && !request.terminate);
        CPPUNIT_ASSERT(request.payload.empty());
    }

    void payloads_are_the_children_as_sent() {
        const std::string payload =
            "<message to='a@b.test' xmlns='jabber:client'><body>x &amp; y</body></message>\n"
            "  <iq type='get' id='1' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>";
        const auto request = parsed("<body rid='7' sid='abc' xmlns='http://jabber.org/protocol/httpbind'>" +
                                    payload + "</body>");
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), request.sid);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), request.rid);
        CPPUNIT_ASSERT_EQUAL(payload, request.payload);
        // An empty body written with an end tag has no payload either.
        CPPUNIT_ASSERT(parsed("<body rid='8' sid='abc' xmlns='http://jabber.org/protocol/httpbind'>"
                              "</body>").payload.empty());
    }

    void restart_and_terminate_are_read() {
        CPPUNIT_ASSERT(parsed("<body rid='9' sid='s' to='example.test' xmpp:restart='true' "
                              "xmlns='http://jabber.org/protocol/httpbind' "
                              "xmlns:xmpp='urn:xmpp:xbosh'/>")
                           .restart);
        // Only in the xbosh namespace is it a restart.
        CPPUNIT_ASSERT(!parsed("<body rid='9' sid='s' restart='true' "
                               "xmlns='http://jabber.org/protocol/httpbind'/>")
                            .restart);
        const auto end = parsed(
            "<body rid='10' sid='s' type='terminate' xmlns='http://jabber.org/protocol/httpbind'>"
            "<presence type='unavailable' xmlns='jabber:client'/></body>");
        CPPUNIT_ASSERT(end.terminate);
        CPPUNIT_ASSERT_EQUAL(std::string("<presence type='unavailable' xmlns='jabber:client'/>"),
                             end.payload);
    }

    void bad_requests_are_refused_with_the_reason() {
        const std::string ns = " xmlns='http://jabber.org/protocol/httpbind'";
        CPPUNIT_ASSERT(refused("<body rid='1'" + ns + "><message>").find("not well-formed") !=
                       std::string::npos);
        CPPUNIT_ASSERT(refused("<body rid='1' xmlns='jabber:client'/>").find("not a <body/>") !=
                       std::string::npos);
        CPPUNIT_ASSERT(refused("<body" + ns + "/>").find("'rid'") != std::string::npos);
        CPPUNIT_ASSERT(refused("<body rid='0'" + ns + "/>").find("'rid'") != std::string::npos);
        CPPUNIT_ASSERT(refused("<body rid='9007199254740992'" + ns + "/>").find("'rid'") !=
                       std::string::npos);
        CPPUNIT_ASSERT(refused("<body rid='-1'" + ns + "/>").find("'rid'") != std::string::npos);
        CPPUNIT_ASSERT(refused("<body rid='1' wait='soon'" + ns + "/>").find("'wait'") !=
                       std::string::npos);
        CPPUNIT_ASSERT(refused("<body rid='1'" + ns + ">hello</body>").find("character data") !=
                       std::string::npos);
        CPPUNIT_ASSERT(refused("<body rid='1'" + ns + "><!-- x --></body>").find("comment") !=
                       std::string::npos);
        CPPUNIT_ASSERT(refused("<body rid='1'" + ns + "><?pi x?></body>").find("processing") !=
                       std::string::npos);
        // A DOCTYPE could declare entities that expand without bound: refused before that.
        CPPUNIT_ASSERT(refused("<!DOCTYPE body [<!ENTITY a 'aaaa'>]><body rid='1'" + ns +
                               "><x>&a;</x></body>")
                           .find("DOCTYPE") != std::string::npos);
    }

    void responses_and_terminal_errors_are_written() {
        CPPUNIT_ASSERT_EQUAL(std::string("<body xmlns='http://jabber.org/protocol/httpbind'/>"),
                             bosh::response("", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("<body xmlns='http://jabber.org/protocol/httpbind' "
                                         "sid='s'><message/></body>"),
                             bosh::response(" sid='s'", "<message/>"));
        CPPUNIT_ASSERT_EQUAL(std::string("<body xmlns='http://jabber.org/protocol/httpbind' "
                                         "type='terminate' condition='item-not-found'/>"),
                             bosh::terminate("item-not-found"));
        const auto http = bosh::http_response("<body/>");
        CPPUNIT_ASSERT_EQUAL(200, http.status);
        CPPUNIT_ASSERT_EQUAL(std::string("<body/>"), http.body);
        bool cors = false;
        for (const auto& [name, value] : http.headers)
            cors = cors || (name == "Access-Control-Allow-Origin" && value == "*");
        CPPUNIT_ASSERT(cors);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BoshBodyTest);
