// libFuzzer target for the XMPP stream parser: the input is fed in two halves, so token
// boundaries and held bytes get exercised as well as whole documents. Every parsed stanza is
// serialized and re-parsed, which must give the same tree.
//
// Built by `make fuzzers` in a clang build tree (scripts/fuzz.sh builds and runs it).
#include "xml/serializer.hpp"
#include "xml/stream_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace starling::xml;

namespace {

constexpr std::string_view header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

// Parses one serialized stanza on a fresh stream; aborts (a finding) unless it comes back
// identical.
void check_round_trip(const std::string& written) {
    std::string reparsed;
    bool failed = false;
    ParserEvents events;
    events.on_stanza = [&](ElementPtr again) { reparsed = to_string(*again, "jabber:client"); };
    events.on_error = [&](ParseError, std::string) { failed = true; };
    ParserLimits limits;
    // The written form may declare more namespaces than the input did (each element states
    // its own), so the re-parse gets room for them.
    limits.max_stanza_bytes = written.size() + 1024;
    limits.max_attributes = 4 * limits.max_attributes;
    StreamParser parser(std::move(events), limits);
    parser.feed(header);
    parser.feed(written);
    if (failed || reparsed != written) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    bool errored = false;
    StreamParser* self = nullptr;
    ParserEvents events;
    events.on_stanza = [&](ElementPtr stanza) {
        if (errored) std::abort();  // no event may follow an error
        check_round_trip(to_string(*stanza, "jabber:client"));
        if (stanza->name() == "starttls") self->stop();
    };
    events.on_error = [&](ParseError, std::string) {
        if (errored) std::abort();  // reported at most once
        errored = true;
    };
    ParserLimits limits;
    limits.max_stanza_bytes = 2048;
    StreamParser parser(std::move(events), limits);
    self = &parser;
    const std::size_t half = size / 2;
    parser.feed(input.substr(0, half));
    parser.feed(input.substr(half));
    return 0;
}
