#include "jid/jid.hpp"

#include <arpa/inet.h>
#include <idn2.h>
#include <stringprep.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace starling {

namespace {

// RFC 7622 §3.1: every part is at most 1023 octets once prepared.
constexpr std::size_t max_part_bytes = 1023;
// Preparation can shrink a string (case folding, mapped-to-nothing code points) but an input this
// many times over the limit cannot come back under it; refusing it early bounds the work.
constexpr std::size_t max_raw_part_bytes = 4 * max_part_bytes;

struct free_deleter {
    void operator()(char* p) const { std::free(p); }
};
using c_string = std::unique_ptr<char, free_deleter>;

// Almost every JID on the wire is printable ASCII, and for ASCII the stringprep profiles reduce
// to a few byte rules (RFC 3920 Appendix A and B: tables B.1 and C.1.2, C.3-C.9 hold no ASCII):
// Nodeprep folds A-Z and prohibits controls, space and "&'/:<>@; Resourceprep prohibits only
// controls. Answering those here keeps libidn, which allocates and walks Unicode tables, off the
// path of every stanza. nullopt: not printable ASCII, so the full profile decides.
bool printable_ascii(std::string_view text) {
    for (unsigned char c : text)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

std::optional<std::optional<std::string>> ascii_nodeprep(std::string_view text) {
    if (!printable_ascii(text)) return std::nullopt;
    std::string out(text);
    for (char& c : out) {
        if (c == ' ' || c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' || c == '<' ||
            c == '>' || c == '@')
            return std::optional<std::string>{};
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return std::optional<std::string>{std::move(out)};
}

std::optional<std::string> apply_profile(std::string_view text, const char* profile) {
    // stringprep works on C strings: an embedded NUL would silently truncate the input.
    if (text.empty() || text.size() > max_raw_part_bytes ||
        text.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    const std::string input(text);
    char* raw = nullptr;
    // Unassigned code points stay allowed (flags 0, as stringprep_xmpp_nodeprep does): clients
    // put emoji in resources and remote servers send such JIDs; refusing them breaks routing.
    const int rc = stringprep_profile(input.c_str(), &raw, profile, Stringprep_profile_flags(0));
    c_string out(raw);
    if (rc != STRINGPREP_OK || !out) return std::nullopt;
    std::string result(out.get());
    if (result.empty() || result.size() > max_part_bytes) return std::nullopt;
    return result;
}

bool is_ldh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// Checks the A-label form libidn2 produced: LDH labels of 1..63 octets with no hyphen at either
// end. libidn2's own STD3 flag deletes offending characters instead of failing (it would turn
// "host@example.com" into "hostexample.com"), so the check is done here.
bool valid_a_labels(std::string_view ascii) {
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = ascii.find('.', start);
        const std::size_t end = dot == std::string_view::npos ? ascii.size() : dot;
        const std::string_view label = ascii.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        for (char c : label) {
            if (!is_ldh(c)) return false;
        }
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

// IDNA2008 with the UTS #46 mapping: case-folds, maps full-width dots and letters, and gives
// the A-label form; null when libidn2 refuses the domain.
c_string to_a_labels(const char* domain) {
    char* raw = nullptr;
    if (idn2_to_ascii_8z(domain, &raw, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
        std::free(raw);
        return nullptr;
    }
    return c_string(raw);
}

std::optional<std::string> prepare_ip_literal(std::string_view domain) {
    if (domain.size() < 3 || domain.back() != ']') return std::nullopt;
    const std::string inner(domain.substr(1, domain.size() - 2));
    in6_addr addr{};
    if (inet_pton(AF_INET6, inner.c_str(), &addr) != 1) return std::nullopt;
    // inet_ntop gives the one canonical spelling, so "[0:0::1]" and "[::1]" are the same JID.
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, &addr, text, sizeof text)) return std::nullopt;
    return "[" + std::string(text) + "]";
}

bool is_ipv4(std::string_view domain) {
    const std::string text(domain);
    in_addr addr{};
    return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

}  // namespace

std::optional<std::string> nodeprep(std::string_view local) {
    if (!local.empty() && local.size() <= max_part_bytes)
        if (auto ascii = ascii_nodeprep(local)) return std::move(*ascii);
    return apply_profile(local, "Nodeprep");
}

std::optional<std::string> resourceprep(std::string_view resource) {
    if (!resource.empty() && resource.size() <= max_part_bytes && printable_ascii(resource))
        return std::string(resource);
    return apply_profile(resource, "Resourceprep");
}

namespace {

std::optional<std::string> prepare_domain(std::string_view domain);

// Stanzas name the same few domains over and over (the server's own hosts above all), so each
// thread keeps its last few answers.
struct DomainCache {
    static constexpr std::size_t size = 4;
    static constexpr std::size_t longest = 255;
    std::array<std::pair<std::string, std::string>, size> entries;
    std::size_t next = 0;
};

}  // namespace

std::optional<std::string> nameprep_domain(std::string_view domain) {
    thread_local DomainCache cache;
    for (const auto& [raw, prepared] : cache.entries)
        if (!prepared.empty() && raw == domain) return prepared;
    auto prepared = prepare_domain(domain);
    if (prepared && domain.size() <= DomainCache::longest) {
        cache.entries[cache.next] = {std::string(domain), *prepared};
        cache.next = (cache.next + 1) % DomainCache::size;
    }
    return prepared;
}

namespace {

std::optional<std::string> prepare_domain(std::string_view domain) {
    // RFC 7622 §3.2: a trailing dot is not part of the domainpart.
    if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    if (domain.empty() || domain.size() > max_raw_part_bytes ||
        domain.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    if (domain.front() == '[') return prepare_ip_literal(domain);
    if (is_ipv4(domain)) return std::string(domain);
    // An ASCII host name (LDH labels, no A-label to turn into Unicode) is its own IDNA2008 form
    // once lower-cased: libidn2 is needed only for the others.
    if (domain.size() <= max_part_bytes) {
        std::string lower(domain);
        bool ldh = true;
        for (char& c : lower) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            ldh = ldh && (is_ldh(c) || c == '.');
        }
        // "--" at any place sends it the long way: A-labels (xn--) and the other reserved
        // R-LDH labels are libidn2's to judge.
        if (ldh && valid_a_labels(lower) && lower.find("--") == std::string::npos) return lower;
    }

    // The A-label form is checked and turned back into the canonical U-label form.
    const std::string input(domain);
    auto ascii = to_a_labels(input.c_str());
    if (!ascii || !valid_a_labels(ascii.get())) return std::nullopt;
    char* raw_unicode = nullptr;
    if (idn2_to_unicode_8z8z(ascii.get(), &raw_unicode, 0) != IDN2_OK) {
        std::free(raw_unicode);
        return std::nullopt;
    }
    c_string unicode(raw_unicode);
    // libidn2 passes an A-label through without looking at what it decodes to, which can be any
    // code point (a no-break space, say). RFC 5891 §5.4: the U-label is valid only if it gives
    // the same A-label back; otherwise the JID's string form would not parse again.
    auto again = to_a_labels(unicode.get());
    if (!again || std::strcmp(again.get(), ascii.get()) != 0) return std::nullopt;
    std::string result(unicode.get());
    if (result.empty() || result.size() > max_part_bytes) return std::nullopt;
    return result;
}

}  // namespace

std::optional<Jid> Jid::parse(std::string_view text) {
    // RFC 7622 §3.1: the resourcepart is everything after the first '/', so it may contain '@'
    // and '/'; the localpart is what precedes the first '@' of the rest.
    std::string_view resource;
    const std::size_t slash = text.find('/');
    if (slash != std::string_view::npos) {
        resource = text.substr(slash + 1);
        if (resource.empty()) return std::nullopt;
        text = text.substr(0, slash);
    }
    std::string_view local;
    const std::size_t at = text.find('@');
    if (at != std::string_view::npos) {
        local = text.substr(0, at);
        if (local.empty()) return std::nullopt;
        text = text.substr(at + 1);
    }
    return make(local, text, resource);
}

std::optional<Jid> Jid::make(std::string_view local, std::string_view domain,
                             std::string_view resource) {
    Jid jid;
    if (!local.empty()) {
        auto prepared = nodeprep(local);
        if (!prepared) return std::nullopt;
        jid.local_ = std::move(*prepared);
    }
    auto prepared_domain = nameprep_domain(domain);
    if (!prepared_domain) return std::nullopt;
    jid.domain_ = std::move(*prepared_domain);
    if (!resource.empty()) {
        auto prepared = resourceprep(resource);
        if (!prepared) return std::nullopt;
        jid.resource_ = std::move(*prepared);
    }
    return jid;
}

Jid Jid::bare() const {
    Jid jid = *this;
    jid.resource_.clear();
    return jid;
}

Jid Jid::with_resource(std::string_view resource) const {
    Jid jid = *this;
    jid.resource_ = resource;
    return jid;
}

std::string Jid::bare_str() const {
    if (local_.empty()) return domain_;
    std::string out;
    out.reserve(local_.size() + 1 + domain_.size());
    out += local_;
    out += '@';
    out += domain_;
    return out;
}

std::string Jid::str() const {
    std::string out = bare_str();
    if (!resource_.empty()) {
        out += '/';
        out += resource_;
    }
    return out;
}

}  // namespace starling
