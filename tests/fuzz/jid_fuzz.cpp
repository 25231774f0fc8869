// libFuzzer target for JID parsing and preparation (RFC 7622): nodeprep and resourceprep through
// libidn, IDNA2008 domains through libidn2, IP literals, and the ASCII fast paths beside them.
// Whatever parses must be canonical: its string form parses back to the same JID, which is
// what routing and the session table rely on when they compare JIDs as strings.
//
// Built by `make fuzzers` in a clang build tree (scripts/fuzz.sh builds and runs it).
#include "jid/jid.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using starling::Jid;

namespace {

[[noreturn]] void finding(const char* what, const std::string& jid) {
    std::fprintf(stderr, "jid_fuzz: %s: '%s'\n", what, jid.c_str());
    std::abort();
}

void check_canonical(const Jid& jid) {
    const std::string text = jid.str();
    const auto again = Jid::parse(text);
    if (!again) finding("the string form of a parsed JID does not parse", text);
    if (!(*again == jid)) finding("the string form of a parsed JID parses to another JID", text);
    if (jid.bare_str() != jid.bare().str()) finding("bare_str() differs from bare().str()", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto jid = Jid::parse(input)) check_canonical(*jid);
    // The single-part profiles are called on their own too (SASL usernames, bind resources):
    // what they return must be a fixed point, or one account could have two spellings.
    if (auto local = starling::nodeprep(input)) {
        const auto again = starling::nodeprep(*local);
        if (!again || *again != *local) finding("nodeprep is not idempotent", *local);
    }
    if (auto resource = starling::resourceprep(input)) {
        const auto again = starling::resourceprep(*resource);
        if (!again || *again != *resource) finding("resourceprep is not idempotent", *resource);
    }
    return 0;
}
