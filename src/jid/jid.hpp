#pragma once
// JIDs per RFC 7622: parsed, prepared (nodeprep/resourceprep via libidn, IDNA via libidn2) and
// compared in their normalised form.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace starling {

class Jid {
public:
    Jid() = default;
    /// Parses and normalises; nullopt when any part is invalid or over 1023 bytes.
    static std::optional<Jid> parse(std::string_view text);
    /// Builds from parts that are prepared here; nullopt when a part is invalid.
    static std::optional<Jid> make(std::string_view local, std::string_view domain,
                                   std::string_view resource = {});

    const std::string& local() const { return local_; }
    const std::string& domain() const { return domain_; }
    const std::string& resource() const { return resource_; }
    bool is_bare() const { return resource_.empty(); }
    bool is_domain() const { return local_.empty() && resource_.empty(); }
    bool empty() const { return domain_.empty(); }

    Jid bare() const;
    Jid with_resource(std::string_view resource) const;  // resource must already be prepared
    /// The canonical string form "local@domain/resource".
    std::string str() const;
    std::string bare_str() const;

    friend bool operator==(const Jid&, const Jid&) = default;

private:
    std::string local_;
    std::string domain_;
    std::string resource_;
};

/// Individual profiles, for callers that prepare one part (SASL usernames, bind resources).
std::optional<std::string> nodeprep(std::string_view local);
std::optional<std::string> resourceprep(std::string_view resource);
std::optional<std::string> nameprep_domain(std::string_view domain);

}  // namespace starling

template <>
struct std::hash<starling::Jid> {
    std::size_t operator()(const starling::Jid& jid) const noexcept {
        return std::hash<std::string>{}(jid.str());
    }
};
