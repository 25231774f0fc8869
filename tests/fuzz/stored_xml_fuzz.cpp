// libFuzzer target for stored-XML parsing (storage/stored_xml): the text of archived stanzas,
// offline messages, private XML, PEP items and push options is parsed back with the stream
// parser. Stored text is read as input, never trusted; what parses must serialize to text that
// parses to the same tree again, since the server stores exactly that serialization.
//
// Built by `make fuzzers` in a clang build tree (scripts/fuzz.sh builds and runs it).
#include "storage/stored_xml.hpp"
#include "xml/serializer.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace starling;

namespace {

// The namespaces the stores are read with: stanzas in jabber:client (mam, offline, private)
// and payloads that carry their own namespace (pep, push).
constexpr std::string_view default_namespaces[] = {"jabber:client", ""};

void check_round_trip(std::string_view input, std::string_view default_ns) {
    const xml::ElementPtr parsed = storage::parse_stored_xml(input, default_ns);
    if (!parsed) return;
    const std::string written = xml::to_string(*parsed, default_ns);
    const xml::ElementPtr again = storage::parse_stored_xml(written, default_ns);
    if (!again) {
        std::fprintf(stderr, "stored_xml_fuzz: the serialization does not parse: %s\n",
                     written.c_str());
        std::abort();
    }
    const std::string rewritten = xml::to_string(*again, default_ns);
    if (rewritten != written) {
        std::fprintf(stderr, "stored_xml_fuzz: not stable: %s\nbecame: %s\n", written.c_str(),
                     rewritten.c_str());
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    for (std::string_view default_ns : default_namespaces) check_round_trip(input, default_ns);
    return 0;
}
