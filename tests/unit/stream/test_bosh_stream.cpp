// A BOSH session as the stream sees it: the creation request's header read first, payloads read
// in rid order whatever order they arrive in, writes answered on the held request with the
// stream's header on the creation answer, a repeated rid answered again, and a rid outside the
// window ending the session.
#include "stream/bosh_stream.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <optional>
#include <string>
#include <vector>

using starling::BoshStream;
using starling::HttpResponse;
namespace bosh = starling::bosh;
namespace net = starling::net;
namespace asio = boost::asio;

class BoshStreamTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BoshStreamTest);
    CPPUNIT_TEST(creation_reads_a_header_and_answers_with_the_stream_header);
    CPPUNIT_TEST(payloads_are_read_in_rid_order);
    CPPUNIT_TEST(a_repeated_rid_gets_its_answer_again);
    CPPUNIT_TEST(a_rid_outside_the_window_ends_the_session);
    CPPUNIT_TEST_SUITE_END();

    struct Answers {
        std::vector<std::optional<std::string>> bodies;
        // A responder whose answer lands in bodies[index].
        starling::HttpRespond at(std::size_t index) {
            if (bodies.size() <= index) bodies.resize(index + 1);
            return [this, index](HttpResponse response) { bodies[index] = response.body; };
        }
    };

    asio::io_context io_;
    std::shared_ptr<BoshStream> stream_;
    bool ended_ = false;

    std::shared_ptr<BoshStream> make(unsigned hold = 1) {
        BoshStream::Settings settings;
        settings.wait = 30;
        settings.hold = hold;
        ended_ = false;
        return std::make_shared<BoshStream>(io_.get_executor(), "sid1", "192.0.2.1", true,
                                            settings, [this] { ended_ = true; });
    }

    static bosh::Request request(std::uint64_t rid, std::string payload = "") {
        bosh::Request r;
        r.rid = rid;
        r.sid = "sid1";
        r.payload = std::move(payload);
        return r;
    }

    std::string read_all(BoshStream& stream) {
        std::string out;
        char buffer[64];
        net::IoStatus status = net::IoStatus::ok;
        while (status == net::IoStatus::ok) {
            const auto n = stream.read(buffer, sizeof buffer, status);
            out.append(buffer, n);
        }
        return out;
    }

    void write(BoshStream& stream, const std::string& element) {
        net::IoStatus status;
        CPPUNIT_ASSERT_EQUAL(element.size(), stream.write(element.data(), element.size(), status));
        CPPUNIT_ASSERT(status == net::IoStatus::ok);
    }

    void settle() {
        io_.restart();
        io_.poll();
    }

    // Opens a session with the creation request `rid` and its answer in answers.bodies[0].
    std::shared_ptr<BoshStream> opened(Answers& answers, std::uint64_t rid, unsigned hold = 1) {
        auto stream = make(hold);
        auto creation = request(rid);
        creation.to = "example.test";
        creation.lang = "en";
        creation.ver = "1.6";
        stream->open(std::move(creation), answers.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("<stream:stream xmlns='jabber:client' "
                                         "xmlns:stream='http://etherx.jabber.org/streams' "
                                         "version='1.0' to='example.test' xml:lang='en'>"),
                             read_all(*stream));
        write(*stream, "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='s123' "
                       "from='example.test' version='1.0' xml:lang='en'/>");
        write(*stream, "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>");
        settle();
        return stream;
    }

public:
    void creation_reads_a_header_and_answers_with_the_stream_header() {
        Answers answers;
        auto stream = opened(answers, 100);
        CPPUNIT_ASSERT(answers.bodies[0].has_value());
        const std::string& body = *answers.bodies[0];
        for (const char* part :
             {"sid='sid1'", "wait='30'", "hold='1'", "requests='2'", "ver='1.6'",
              "from='example.test'", "authid='s123'", "xmpp:version='1.0'",
              "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/></body>"})
            CPPUNIT_ASSERT_MESSAGE(body + " lacks " + part, body.find(part) != std::string::npos);
        // The <open/> itself is not a payload.
        CPPUNIT_ASSERT(body.find("<open") == std::string::npos);
        stream->close();
        CPPUNIT_ASSERT(ended_);
    }

    void payloads_are_read_in_rid_order() {
        Answers answers;
        auto stream = opened(answers, 100);
        stream->handle(request(102, "<b/>"), answers.at(2));
        settle();
        // 101 has not come: nothing of 102 is read yet.
        CPPUNIT_ASSERT_EQUAL(std::string(), read_all(*stream));
        stream->handle(request(101, "<a/>"), answers.at(1));
        settle();
        CPPUNIT_ASSERT_EQUAL(std::string("<a/>"), read_all(*stream));
        settle();
        CPPUNIT_ASSERT_EQUAL(std::string("<b/>"), read_all(*stream));
        settle();
        // Two held past hold='1': the older is answered, empty; a write answers the newer.
        CPPUNIT_ASSERT_EQUAL(std::string("<body xmlns='http://jabber.org/protocol/httpbind'/>"),
                             answers.bodies[1].value_or("(none)"));
        CPPUNIT_ASSERT(!answers.bodies[2].has_value());
        write(*stream, "<message to='a@example.test'/>");
        settle();
        CPPUNIT_ASSERT_EQUAL(std::string("<body xmlns='http://jabber.org/protocol/httpbind'>"
                                         "<message xmlns='jabber:client' to='a@example.test'/>"
                                         "</body>"),
                             answers.bodies[2].value_or("(none)"));
        stream->close();
    }

    void a_repeated_rid_gets_its_answer_again() {
        Answers answers;
        auto stream = opened(answers, 100);
        stream->handle(request(101), answers.at(1));
        write(*stream, "<iq type='result' id='1'/>");
        settle();
        CPPUNIT_ASSERT(answers.bodies[1].has_value());
        stream->handle(request(101, "<again/>"), answers.at(3));
        settle();
        CPPUNIT_ASSERT_EQUAL(*answers.bodies[1], answers.bodies[3].value_or("(none)"));
        // The repeat's payload is not read.
        CPPUNIT_ASSERT_EQUAL(std::string(), read_all(*stream));
        stream->close();
    }

    void a_rid_outside_the_window_ends_the_session() {
        Answers answers;
        auto stream = opened(answers, 100);
        stream->handle(request(101), answers.at(1));
        stream->handle(request(110), answers.at(2));
        settle();
        CPPUNIT_ASSERT_EQUAL(std::string("<body xmlns='http://jabber.org/protocol/httpbind' "
                                         "type='terminate' condition='item-not-found'/>"),
                             answers.bodies[2].value_or("(none)"));
        // The held request ends with it, and the stream reads the end of its connection.
        CPPUNIT_ASSERT(answers.bodies[1].value_or("").find("item-not-found") != std::string::npos);
        char byte;
        net::IoStatus status;
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), stream->read(&byte, 1, status));
        CPPUNIT_ASSERT(status == net::IoStatus::eof);
        stream->close();
        CPPUNIT_ASSERT(ended_);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BoshStreamTest);
