// The dialback elements as written, and verdicts read back from what peers send.
#include "stream/dialback_elements.hpp"
#include "xml/stream_parser.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace dialback = starling::dialback;
namespace xml = starling::xml;

namespace {

// Parses `element` inside a jabber:server stream that declares the db prefix.
xml::ElementPtr parse(const std::string& element) {
    xml::ElementPtr out;
    xml::StreamParser parser(xml::ParserEvents{
                                 [](xml::StreamHeader) {},
                                 [&](xml::ElementPtr e) { out = std::move(e); },
                                 [] {},
                                 [](xml::ParseError, const std::string& detail) {
                                     CPPUNIT_FAIL("parse error: " + detail);
                                 },
                             },
                             xml::ParserLimits{});
    parser.feed(
        "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' "
        "xmlns:stream='http://etherx.jabber.org/streams'>" +
        element);
    CPPUNIT_ASSERT(out);
    return out;
}

}  // namespace

class DialbackElementsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DialbackElementsTest);
    CPPUNIT_TEST(requests_carry_domains_id_and_key);
    CPPUNIT_TEST(answers_round_trip_to_verdicts);
    CPPUNIT_TEST(unknown_types_read_as_errors);
    CPPUNIT_TEST_SUITE_END();

public:
    void requests_carry_domains_id_and_key() {
        CPPUNIT_ASSERT_EQUAL(std::string("<db:result from='a.test' to='b.test'>k3y</db:result>"),
                             dialback::result_request("a.test", "b.test", "k3y"));
        // Whatever a peer sent as the key is escaped when relayed to the Authoritative Server.
        CPPUNIT_ASSERT_EQUAL(
            std::string("<db:verify from='b.test' to='a.test' id='i&amp;d'>&lt;x/&gt;</db:verify>"),
            dialback::verify_request("b.test", "a.test", "i&d", "<x/>"));
    }

    void answers_round_trip_to_verdicts() {
        const auto valid =
            parse(dialback::result_answer("b.test", "a.test", dialback::Verdict::valid()));
        CPPUNIT_ASSERT_EQUAL(std::string("valid"), std::string(valid->attr("type")));
        CPPUNIT_ASSERT(dialback::read_verdict(*valid).kind == dialback::Verdict::Kind::valid);
        const auto invalid =
            parse(dialback::verify_answer("a.test", "b.test", "id1", dialback::Verdict::invalid()));
        CPPUNIT_ASSERT_EQUAL(std::string("id1"), std::string(invalid->attr("id")));
        CPPUNIT_ASSERT(dialback::read_verdict(*invalid).kind == dialback::Verdict::Kind::invalid);
        const auto error = parse(dialback::result_answer(
            "b.test", "a.test", dialback::Verdict::error("remote-connection-failed")));
        const auto verdict = dialback::read_verdict(*error);
        CPPUNIT_ASSERT(verdict.kind == dialback::Verdict::Kind::error);
        CPPUNIT_ASSERT_EQUAL(std::string("remote-connection-failed"), verdict.condition);
    }

    void unknown_types_read_as_errors() {
        const auto odd = parse("<db:result from='b.test' to='a.test' type='maybe'/>");
        const auto verdict = dialback::read_verdict(*odd);
        CPPUNIT_ASSERT(verdict.kind == dialback::Verdict::Kind::error);
        CPPUNIT_ASSERT_EQUAL(std::string("undefined-condition"), verdict.condition);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DialbackElementsTest);
