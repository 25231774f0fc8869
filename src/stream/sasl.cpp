// SASL helpers shared by every mechanism (SASLprep, base64, constant-time comparison, the
// authzid rule) and the registry that names and creates mechanisms.
#include "stream/sasl.hpp"

#include "jid/jid.hpp"
#include "stream/plain_mechanism.hpp"
#include "stream/scram_mechanism.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stringprep.h>

#include <climits>
#include <cstdlib>

namespace starling::sasl {

namespace {

constexpr Hash strongest_first[] = {Hash::sha512, Hash::sha256, Hash::sha1};

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

}  // namespace

std::optional<std::string> saslprep(std::string_view text) {
    // stringprep works on C strings: an embedded NUL would silently truncate the input.
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    if (text.empty()) return std::string();
    const std::string input(text);
    char* raw = nullptr;
    const int rc = stringprep_profile(input.c_str(), &raw, "SASLprep", STRINGPREP_NO_UNASSIGNED);
    std::string result = rc == STRINGPREP_OK && raw ? std::string(raw) : std::string();
    std::free(raw);
    if (rc != STRINGPREP_OK) return std::nullopt;
    return result;
}

std::optional<std::string> prepare_username(std::string_view username) {
    const auto prepared = saslprep(username);
    if (!prepared || prepared->empty()) return std::nullopt;
    return nodeprep(*prepared);
}

bool authzid_matches(std::string_view authzid, std::string_view username,
                     std::string_view domain) {
    if (authzid.empty()) return true;
    const auto given = Jid::parse(authzid);
    const auto own = Jid::make(username, domain);
    return given && own && *given == *own;
}

bool equal_ct(std::string_view a, std::string_view b) {
    // Lengths are public (digest sizes); only the contents must not leak through timing.
    if (a.size() != b.size()) return false;
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64_encode(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3), '\0');
    const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(raw.data()),
                                     static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(size));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    // EVP_DecodeBlock skips surrounding whitespace and counts padding as zero bytes, so the
    // input is checked strictly here first (RFC 4648 §4, as RFC 6120 §6.4.2 requires).
    if (text.size() % 4 != 0 || text.size() > INT_MAX) return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
        ++padding;
    }
    for (std::size_t i = 0; i < text.size() - padding; ++i) {
        if (!is_base64_char(text[i])) return std::nullopt;
    }
    if (text.empty()) return std::string();
    std::string out(text.size() / 4 * 3, '\0');
    const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
    if (size < 0 || static_cast<std::size_t>(size) < padding) return std::nullopt;
    out.resize(static_cast<std::size_t>(size) - padding);
    // Only the canonical spelling is accepted: stray bits in the last character are an error.
    if (base64_encode(out) != text) return std::nullopt;
    return out;
}

std::vector<std::string> mechanism_names(bool tls, const ChannelBindings& bindings) {
    std::vector<std::string> names;
    if (!bindings.data.empty()) {
        for (Hash hash : strongest_first) {
            names.push_back("SCRAM-" + std::string(hash_name(hash)) + "-PLUS");
        }
    }
    for (Hash hash : strongest_first) names.push_back("SCRAM-" + std::string(hash_name(hash)));
    if (tls) names.emplace_back("PLAIN");
    return names;
}

std::unique_ptr<Mechanism> make_mechanism(std::string_view name, std::string_view domain,
                                          bool tls, const ChannelBindings& bindings) {
    if (name == "PLAIN") return tls ? make_plain_mechanism(domain) : nullptr;
    constexpr std::string_view scram_prefix = "SCRAM-";
    constexpr std::string_view plus_suffix = "-PLUS";
    if (!name.starts_with(scram_prefix)) return nullptr;
    name.remove_prefix(scram_prefix.size());
    const bool plus = name.ends_with(plus_suffix);
    if (plus) {
        if (bindings.data.empty()) return nullptr;
        name.remove_suffix(plus_suffix.size());
    }
    Hash hash;
    if (!parse_hash_name(name, hash)) return nullptr;
    return make_scram_mechanism(hash, plus, domain, bindings);
}

}  // namespace starling::sasl
