// ParserLimits: stanza bytes (including bytes expat holds in an unfinished token), depth and
// attribute count, elements per stanza, all reported as policy-violation; limits changed on the
// fly; namespace names shared by the elements in them.
#include "xml/stream_parser.hpp"

#include "parser_harness.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>

using starling::xml::Element;
using starling::xml::ParseError;
using starling::xml::ParserLimits;
using starling::xml::test::client_header;
using starling::xml::test::ParserHarness;

namespace {

using Log = std::vector<std::string>;

const Log policy_violation = {"open jabber:client", "error policy-violation"};

ParserLimits stanza_bytes(std::size_t bytes) {
    ParserLimits limits;
    limits.max_stanza_bytes = bytes;
    return limits;
}

std::string nested(std::size_t depth) {
    std::string open, close;
    for (std::size_t i = 0; i < depth; ++i) {
        open += "<e" + std::to_string(i) + ">";
        close = "</e" + std::to_string(i) + ">" + close;
    }
    return open + close;
}

std::string with_attributes(std::size_t count) {
    std::string element = "<presence";
    for (std::size_t i = 0; i < count; ++i) {
        element += " a" + std::to_string(i) + "='v'";
    }
    return element + "/>";
}

// Feeds `bytes` in chunks and returns how many bytes had been fed when the first error came.
std::size_t bytes_until_error(ParserHarness& harness, const std::string& bytes, std::size_t chunk) {
    for (std::size_t offset = 0; offset < bytes.size(); offset += chunk) {
        harness.feed(std::string_view(bytes).substr(offset, chunk));
        if (harness.count_errors() > 0) return offset + chunk;
    }
    return bytes.size() + 1;
}

}  // namespace

class ParserLimitsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ParserLimitsTest);
    CPPUNIT_TEST(stanza_at_the_limit_passes_one_byte_more_fails);
    CPPUNIT_TEST(oversize_complete_stanza_in_one_feed);
    CPPUNIT_TEST(oversize_stanza_in_small_feeds);
    CPPUNIT_TEST(unterminated_start_tag_trips_the_limit);
    CPPUNIT_TEST(huge_attribute_value_trips_the_limit);
    CPPUNIT_TEST(oversize_header_trips_the_limit);
    CPPUNIT_TEST(limit_counts_one_stanza_not_the_stream);
    CPPUNIT_TEST(set_limits_applies_to_the_next_stanza);
    CPPUNIT_TEST(depth_limit);
    CPPUNIT_TEST(attribute_limit_counts_namespace_declarations);
    CPPUNIT_TEST(element_limit_counts_one_stanza);
    CPPUNIT_TEST(elements_in_one_namespace_share_its_name);
    CPPUNIT_TEST(namespace_copied_into_prefixed_attributes_counts_as_sent);
    CPPUNIT_TEST_SUITE_END();

public:
    void stanza_at_the_limit_passes_one_byte_more_fails() {
        const std::string stanza = "<message><body>" + std::string(500, 'x') + "</body></message>";

        ParserHarness exact(stanza_bytes(stanza.size()));
        exact.feed_after_header(stanza);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), exact.count_errors());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), exact.stanzas.size());

        ParserHarness over(stanza_bytes(stanza.size() - 1));
        over.feed_after_header(stanza);
        CPPUNIT_ASSERT(over.log == policy_violation);
    }

    void oversize_complete_stanza_in_one_feed() {
        ParserHarness harness(stanza_bytes(1024));
        CPPUNIT_ASSERT(!harness.feed(std::string(client_header) + "<message><body>" +
                                     std::string(4000, 'x') + "</body></message><presence/>"));
        CPPUNIT_ASSERT(harness.log == policy_violation);
        CPPUNIT_ASSERT(harness.first_error() == ParseError::policy_violation);
    }

    void oversize_stanza_in_small_feeds() {
        ParserHarness harness(stanza_bytes(1024));
        harness.feed(client_header);
        const std::string stanza =
            "<message><body>" + std::string(1000000, 'x') + "</body></message>";
        const std::size_t fed = bytes_until_error(harness, stanza, 100);
        CPPUNIT_ASSERT(harness.log == policy_violation);
        CPPUNIT_ASSERT(fed <= 1024 + 100);
    }

    void unterminated_start_tag_trips_the_limit() {
        // No element ever completes: expat holds the whole token, and the limit must see it.
        ParserHarness harness(stanza_bytes(1024));
        harness.feed_after_header("<presence/>");
        std::string endless = "<message";
        for (int i = 0; i < 100000; ++i) endless += " a" + std::to_string(i) + "='1'";
        const std::size_t fed = bytes_until_error(harness, endless, 64);
        CPPUNIT_ASSERT((harness.log ==
                        Log{"open jabber:client", "stanza <presence/>", "error policy-violation"}));
        CPPUNIT_ASSERT(fed <= 1024 + 64);

        ParserHarness long_name(stanza_bytes(1024));
        long_name.feed(client_header);
        bytes_until_error(long_name, "<" + std::string(1000000, 'm'), 1000);
        CPPUNIT_ASSERT(long_name.log == policy_violation);
    }

    void huge_attribute_value_trips_the_limit() {
        ParserHarness harness(stanza_bytes(2048));
        harness.feed(client_header);
        const std::size_t fed =
            bytes_until_error(harness, "<message to='" + std::string(1000000, 'v'), 512);
        CPPUNIT_ASSERT(harness.log == policy_violation);
        CPPUNIT_ASSERT(fed <= 2048 + 512);

        ParserHarness one_feed(stanza_bytes(2048));
        CPPUNIT_ASSERT(!one_feed.feed(std::string(client_header) + "<message to='" +
                                      std::string(1000000, 'v')));
        CPPUNIT_ASSERT(one_feed.log == policy_violation);
    }

    void oversize_header_trips_the_limit() {
        ParserHarness harness(stanza_bytes(1024));
        bytes_until_error(harness,
                          "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" +
                              std::string(100000, 'h'),
                          100);
        CPPUNIT_ASSERT((harness.log == Log{"error policy-violation"}));
    }

    void limit_counts_one_stanza_not_the_stream() {
        ParserHarness harness(stanza_bytes(256));
        harness.feed(client_header);
        const std::string stanza = "<message><body>" + std::string(200, 'x') + "</body></message>";
        for (int i = 0; i < 100; ++i) CPPUNIT_ASSERT(harness.feed(stanza + "\n"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(100), harness.stanzas.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), harness.count_errors());
    }

    void set_limits_applies_to_the_next_stanza() {
        // 16 KiB before authentication, 256 KiB after.
        const std::string stanza =
            "<message><body>" + std::string(20 * 1024, 'x') + "</body></message>";
        ParserHarness harness(stanza_bytes(16 * 1024));
        harness.feed(client_header);
        harness.parser.set_limits(stanza_bytes(256 * 1024));
        CPPUNIT_ASSERT(harness.feed(stanza));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.stanzas.size());

        harness.parser.set_limits(stanza_bytes(16 * 1024));
        CPPUNIT_ASSERT(!harness.feed(stanza));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.stanzas.size());
        CPPUNIT_ASSERT(harness.first_error() == ParseError::policy_violation);
    }

    void depth_limit() {
        ParserLimits limits;
        limits.max_depth = 4;
        ParserHarness at_limit(limits);
        at_limit.feed_after_header(nested(4));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), at_limit.count_errors());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), at_limit.stanzas.size());

        ParserHarness deeper(limits);
        deeper.feed_after_header(nested(5));
        CPPUNIT_ASSERT(deeper.log == policy_violation);

        // The default limit against a classic nesting bomb, never closed.
        ParserHarness bomb;
        std::string opens;
        for (int i = 0; i < 10000; ++i) opens += "<a>";
        bomb.feed_after_header(opens);
        CPPUNIT_ASSERT(bomb.log == policy_violation);
    }

    void element_limit_counts_one_stanza() {
        ParserLimits limits;
        limits.max_elements = 5;
        const auto stanza = [](int children) {
            std::string out = "<iq>";
            for (int i = 0; i < children; ++i) out += "<a/>";
            return out + "</iq>";
        };
        // Five elements (the stanza and four children) pass, twice in a row: the count is per
        // stanza, not per stream.
        ParserHarness at_limit(limits);
        at_limit.feed_after_header(stanza(4) + stanza(4));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), at_limit.count_errors());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), at_limit.stanzas.size());

        ParserHarness over(limits);
        over.feed_after_header(stanza(5));
        CPPUNIT_ASSERT(over.log == policy_violation);

        // Unfinished, as an attacker leaves it: refused as the sixth element opens.
        ParserHarness unfinished(limits);
        unfinished.feed_after_header("<iq><a/><a/><a/><a/><a/>");
        CPPUNIT_ASSERT(unfinished.log == policy_violation);
    }

    void elements_in_one_namespace_share_its_name() {
        const std::string uri = "urn:example:" + std::string(200, 'n');
        ParserHarness harness;
        harness.feed_after_header("<iq xmlns:p='" + uri + "'><p:a><p:b/></p:a><c xmlns='" + uri +
                                  "'/></iq><message xmlns='" + uri + "'/>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), harness.stanzas.size());
        const auto& iq = *harness.stanzas[0];
        const Element* a = iq.child("a", uri);
        const Element* c = iq.child("c", uri);
        CPPUNIT_ASSERT(a != nullptr && c != nullptr && a->child("b", uri) != nullptr);
        // One copy of the long name for every element in it, across stanzas too.
        CPPUNIT_ASSERT(a->shared_xmlns().get() == c->shared_xmlns().get());
        CPPUNIT_ASSERT(a->shared_xmlns().get() == a->child("b", uri)->shared_xmlns().get());
        CPPUNIT_ASSERT(a->shared_xmlns().get() == harness.stanzas[1]->shared_xmlns().get());
    }

    void namespace_copied_into_prefixed_attributes_counts_as_sent() {
        // Each <a p:x=''/> is 11 bytes, but its element also carries xmlns:p, the 1,000-byte
        // namespace name, so that it serializes faithfully: the tree holds far more than was
        // sent, and that counts towards the stanza limit.
        const std::string uri = "urn:example:" + std::string(988, 'n');
        std::string stanza = "<iq xmlns:p='" + uri + "'>";
        for (int i = 0; i < 20; ++i) stanza += "<a p:x=''/>";
        stanza += "</iq>";
        ParserHarness roomy(stanza_bytes(stanza.size() + 20 * uri.size()));
        roomy.feed_after_header(stanza);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), roomy.count_errors());
        ParserHarness tight(stanza_bytes(stanza.size() + 10 * uri.size()));
        tight.feed_after_header(stanza);
        CPPUNIT_ASSERT(tight.log == policy_violation);
    }

    void attribute_limit_counts_namespace_declarations() {
        ParserLimits limits;
        limits.max_attributes = 4;
        // The header has five (two of them namespace declarations), so the tight limit is set
        // after it.
        const auto run = [&](const std::string& stanza) {
            auto harness = std::make_unique<ParserHarness>();
            harness->feed(client_header);
            harness->parser.set_limits(limits);
            harness->feed(stanza);
            return harness;
        };
        const auto at_limit = run(with_attributes(4));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), at_limit->count_errors());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), at_limit->stanzas.at(0)->attributes().size());

        CPPUNIT_ASSERT(run(with_attributes(5))->log == policy_violation);
        CPPUNIT_ASSERT(
            run("<presence xmlns:a='urn:a' xmlns:b='urn:b' xmlns:c='urn:c' xmlns:d='urn:d' x='1'/>")
                ->log == policy_violation);

        ParserHarness header(limits);
        header.feed(client_header);
        CPPUNIT_ASSERT((header.log == Log{"error policy-violation"}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ParserLimitsTest);
