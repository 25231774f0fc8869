// bench::message_body: the chat body round-trips, and text it did not write is not mistaken for
// one of its messages. Also the report's JSON, which compare.sh reads.
#include "bench/message_body.hpp"
#include "bench/report.hpp"

#include <cppunit/extensions/HelperMacros.h>

class MessageBodyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MessageBodyTest);
    CPPUNIT_TEST(round_trips);
    CPPUNIT_TEST(extreme_values_round_trip);
    CPPUNIT_TEST(rejects_other_text);
    CPPUNIT_TEST(append_reuses_the_buffer);
    CPPUNIT_TEST(report_json_and_text);
    CPPUNIT_TEST_SUITE_END();

public:
    void round_trips() {
        const bench::message_body body{0xdeadbeef, 17, 42, 123456789012345};
        CPPUNIT_ASSERT_EQUAL(std::string("b deadbeef 17 42 123456789012345"),
                             bench::encode_body(body));
        const auto decoded = bench::decode_body(bench::encode_body(body));
        CPPUNIT_ASSERT(decoded.has_value());
        CPPUNIT_ASSERT_EQUAL(body.run, decoded->run);
        CPPUNIT_ASSERT_EQUAL(body.sender, decoded->sender);
        CPPUNIT_ASSERT_EQUAL(body.seq, decoded->seq);
        CPPUNIT_ASSERT_EQUAL(body.sent_ns, decoded->sent_ns);
    }

    void extreme_values_round_trip() {
        const bench::message_body body{0, 0xffffffff, 0, 0xffffffffffffffffull};
        const auto decoded = bench::decode_body(bench::encode_body(body));
        CPPUNIT_ASSERT(decoded.has_value());
        CPPUNIT_ASSERT_EQUAL(body.sender, decoded->sender);
        CPPUNIT_ASSERT_EQUAL(body.sent_ns, decoded->sent_ns);
    }

    void rejects_other_text() {
        for (const char* text :
             {"", "b", "b ", "hello", "b 1 2 3", "b 1 2 3 4 5", "b 1 2 3 4 ", "b x 2 3 4",
              "b 1 -2 3 4", "c 1 2 3 4", "b  1 2 3 4", "b 1 2 3 99999999999999999999999"})
            CPPUNIT_ASSERT_MESSAGE(text, !bench::decode_body(text).has_value());
    }

    void append_reuses_the_buffer() {
        std::string out = "<body>";
        bench::append_body(out, {1, 2, 3, 4});
        CPPUNIT_ASSERT_EQUAL(std::string("<body>b 1 2 3 4"), out);
    }

    void report_json_and_text() {
        bench::report r;
        r.add("scenario", "chat");
        r.add("sent", std::uint64_t(10));
        r.add("seconds", 1.5);
        auto& ms = r.group("latency_ms");
        ms.add("p50", 0.25);
        r.add("note", "a \"quoted\"\nline");
        CPPUNIT_ASSERT_EQUAL(std::string("{\"scenario\":\"chat\",\"sent\":10,\"seconds\":1.500,"
                                         "\"latency_ms\":{\"p50\":0.250},"
                                         "\"note\":\"a \\\"quoted\\\"\\u000aline\"}"),
                             r.json());
        CPPUNIT_ASSERT(r.text().find("latency_ms:\n  p50: 0.250\n") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MessageBodyTest);
