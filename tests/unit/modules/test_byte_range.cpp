// parse_range: the single byte ranges a download honours, suffixes, ranges clipped at the end,
// 416 past it, and headers ignored (several ranges, another unit, nonsense).
#include "../../../modules/http_upload/byte_range.hpp"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using starling::http_upload::parse_range;
using starling::http_upload::RangeAnswer;

class ByteRangeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ByteRangeTest);
    CPPUNIT_TEST(test_ranges);
    CPPUNIT_TEST_SUITE_END();

    static std::string answer(const std::string& header, std::uint64_t size) {
        const auto r = parse_range(header, size);
        switch (r.kind) {
            case RangeAnswer::Kind::whole: return "whole";
            case RangeAnswer::Kind::unsatisfiable: return "416";
            case RangeAnswer::Kind::part:
                return std::to_string(r.first) + "+" + std::to_string(r.length);
        }
        return "?";
    }

public:
    void test_ranges() {
        CPPUNIT_ASSERT_EQUAL(std::string("0+100"), answer("bytes=0-99", 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("500+500"), answer("bytes=500-", 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("900+100"), answer("bytes=-100", 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("0+1000"), answer("bytes=-5000", 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("990+10"), answer("bytes=990-5000", 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("999+1"), answer(" Bytes=999-999 ", 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("416"), answer("bytes=1000-", 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("416"), answer("bytes=-0", 1000));
        CPPUNIT_ASSERT_EQUAL(std::string("416"), answer("bytes=0-", 0));
        for (const char* ignored : {"", "bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=a-b",
                                    "bytes=-", "bytes=+1-2", "bytes=1", "bytes=99999999999999999999-"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(ignored, std::string("whole"), answer(ignored, 1000));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ByteRangeTest);
