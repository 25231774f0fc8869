// bench::stanza_reader: what the load generator takes from a server's stream — features,
// SASL payloads and failures, bind results, message bodies, error conditions — whole or split
// at any byte, and a fresh stream after a reset.
#include "bench/stanza_reader.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace {

constexpr const char* header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.test' version='1.0'>";

struct recorder : bench::stanza_sink {
    std::vector<std::string> stream_ids;
    std::vector<bench::stanza> stanzas;
    int ends = 0;
    void on_stream_start(std::string_view id) override { stream_ids.emplace_back(id); }
    void on_stanza(const bench::stanza& s) override { stanzas.push_back(s); }
    void on_stream_end() override { ++ends; }
};

}  // namespace

class StanzaReaderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StanzaReaderTest);
    CPPUNIT_TEST(reads_pre_tls_features);
    CPPUNIT_TEST(reads_mechanisms);
    CPPUNIT_TEST(reads_bind_and_optional_session);
    CPPUNIT_TEST(reads_message_body_split_at_every_byte);
    CPPUNIT_TEST(reads_sasl_payload_and_failure);
    CPPUNIT_TEST(reads_bind_result_jid);
    CPPUNIT_TEST(reads_stanza_error_condition);
    CPPUNIT_TEST(reads_stream_error_and_end);
    CPPUNIT_TEST(reset_starts_a_new_stream);
    CPPUNIT_TEST(rejects_malformed_xml);
    CPPUNIT_TEST_SUITE_END();

    recorder sink;

    void feed(bench::stanza_reader& reader, const std::string& text) {
        CPPUNIT_ASSERT_MESSAGE(reader.error(), reader.feed(text.data(), text.size()));
    }

public:
    void setUp() override { sink = recorder(); }

    void reads_pre_tls_features() {
        bench::stanza_reader reader(sink);
        feed(reader, std::string(header) +
                         "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                         "<required/></starttls><register "
                         "xmlns='http://jabber.org/features/iq-register'/></stream:features>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sink.stream_ids.size());
        CPPUNIT_ASSERT_EQUAL(std::string("s1"), sink.stream_ids[0]);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sink.stanzas.size());
        const auto& f = sink.stanzas[0];
        CPPUNIT_ASSERT_EQUAL(std::string("features"), f.name);
        CPPUNIT_ASSERT_EQUAL(std::string("http://etherx.jabber.org/streams"), f.ns);
        CPPUNIT_ASSERT(f.features & bench::feature_starttls);
        CPPUNIT_ASSERT(f.features & bench::feature_register);
        CPPUNIT_ASSERT(!(f.features & bench::feature_bind));
    }

    void reads_mechanisms() {
        bench::stanza_reader reader(sink);
        feed(reader, std::string(header) +
                         "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                         "<mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256"
                         "</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>");
        const auto& f = sink.stanzas.at(0);
        CPPUNIT_ASSERT(f.features & bench::feature_mechanisms);
        CPPUNIT_ASSERT(f.offers_mechanism("SCRAM-SHA-256"));
        CPPUNIT_ASSERT(f.offers_mechanism("PLAIN"));
        CPPUNIT_ASSERT(!f.offers_mechanism("SCRAM-SHA-1"));
        CPPUNIT_ASSERT(!f.offers_mechanism("SCRAM-SHA"));
    }

    void reads_bind_and_optional_session() {
        bench::stanza_reader reader(sink);
        feed(reader, std::string(header) +
                         "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                         "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/>"
                         "</session></stream:features><stream:features><bind "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind><session "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-session'/></stream:features>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sink.stanzas.size());
        const auto optional = sink.stanzas[0].features;
        CPPUNIT_ASSERT(optional & bench::feature_bind);
        CPPUNIT_ASSERT(optional & bench::feature_session);
        CPPUNIT_ASSERT(optional & bench::feature_session_optional);
        const auto required = sink.stanzas[1].features;
        CPPUNIT_ASSERT(required & bench::feature_session);
        CPPUNIT_ASSERT(!(required & bench::feature_session_optional));
    }

    void reads_message_body_split_at_every_byte() {
        bench::stanza_reader reader(sink);
        const std::string text =
            std::string(header) +
            "<message from='a@example.test/r' type='chat' id='m1'><thread>t</thread>"
            "<body>b 1f 2 3 &amp;4&#x2713;</body><x xmlns='urn:x'><body>not this</body></x>"
            "</message><message type='chat'><subject>no body</subject></message>";
        for (char c : text) feed(reader, std::string(1, c));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sink.stanzas.size());
        const auto& m = sink.stanzas[0];
        CPPUNIT_ASSERT_EQUAL(std::string("message"), m.name);
        CPPUNIT_ASSERT_EQUAL(std::string("jabber:client"), m.ns);
        CPPUNIT_ASSERT_EQUAL(std::string("chat"), m.type);
        CPPUNIT_ASSERT_EQUAL(std::string("m1"), m.id);
        CPPUNIT_ASSERT_EQUAL(std::string("a@example.test/r"), m.from);
        CPPUNIT_ASSERT(m.has_body);
        CPPUNIT_ASSERT_EQUAL(std::string("b 1f 2 3 &4\xe2\x9c\x93"), m.body);
        CPPUNIT_ASSERT(!sink.stanzas[1].has_body);
        CPPUNIT_ASSERT(sink.stanzas[1].body.empty());
    }

    void reads_sasl_payload_and_failure() {
        bench::stanza_reader reader(sink);
        feed(reader, std::string(header) +
                         "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cj1meWtv</challenge>"
                         "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>"
                         "<text xml:lang='en'>wrong password</text></failure>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sink.stanzas.size());
        CPPUNIT_ASSERT_EQUAL(std::string("challenge"), sink.stanzas[0].name);
        CPPUNIT_ASSERT_EQUAL(std::string("cj1meWtv"), sink.stanzas[0].text);
        CPPUNIT_ASSERT_EQUAL(std::string("failure"), sink.stanzas[1].name);
        CPPUNIT_ASSERT_EQUAL(std::string("not-authorized"), sink.stanzas[1].condition);
        CPPUNIT_ASSERT_EQUAL(std::string("wrong password"), sink.stanzas[1].error_text);
    }

    void reads_bind_result_jid() {
        bench::stanza_reader reader(sink);
        feed(reader,
             std::string(header) +
                 "<iq type='result' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                 "<jid>bench1@example.test/bench</jid></bind></iq>");
        const auto& iq = sink.stanzas.at(0);
        CPPUNIT_ASSERT_EQUAL(std::string("result"), iq.type);
        CPPUNIT_ASSERT_EQUAL(std::string("bind"), iq.id);
        CPPUNIT_ASSERT_EQUAL(std::string("bench1@example.test/bench"), iq.jid);
    }

    void reads_stanza_error_condition() {
        bench::stanza_reader reader(sink);
        feed(reader, std::string(header) +
                         "<iq type='error' id='reg'><query xmlns='jabber:iq:register'><username>u"
                         "</username></query><error type='cancel'><conflict "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>taken</text></error></iq>");
        const auto& iq = sink.stanzas.at(0);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), iq.type);
        CPPUNIT_ASSERT_EQUAL(std::string("conflict"), iq.condition);
        CPPUNIT_ASSERT_EQUAL(std::string("taken"), iq.error_text);
    }

    void reads_stream_error_and_end() {
        bench::stanza_reader reader(sink);
        feed(reader, std::string(header) +
                         "<stream:error><policy-violation "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                         "</stream:stream>");
        const auto& e = sink.stanzas.at(0);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), e.name);
        CPPUNIT_ASSERT_EQUAL(std::string("http://etherx.jabber.org/streams"), e.ns);
        CPPUNIT_ASSERT_EQUAL(std::string("policy-violation"), e.condition);
        CPPUNIT_ASSERT_EQUAL(1, sink.ends);
    }

    void reset_starts_a_new_stream() {
        bench::stanza_reader reader(sink);
        feed(reader, std::string(header) + "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        reader.reset();
        feed(reader, std::string(header) + "<stream:features/>");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sink.stream_ids.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sink.stanzas.size());
        CPPUNIT_ASSERT_EQUAL(std::string("features"), sink.stanzas[1].name);
    }

    void rejects_malformed_xml() {
        bench::stanza_reader reader(sink);
        const std::string text = std::string(header) + "<message><body>x</message>";
        CPPUNIT_ASSERT(!reader.feed(text.data(), text.size()));
        CPPUNIT_ASSERT(!reader.error().empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StanzaReaderTest);
