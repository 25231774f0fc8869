#pragma once
// SASL server mechanisms: SCRAM-SHA-{1,256,512}[-PLUS] (RFC 5802, RFC 7677) and PLAIN (RFC 4616).
// A mechanism never sees storage: when it knows the username it asks its caller for the account's
// secret (Status::need_secret), and the caller, which fetched it asynchronously, resumes it.

#include "stream/scram_secret.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace starling::sasl {

/// SASLprep (RFC 4013) for usernames and passwords; nullopt when the string is prohibited.
std::optional<std::string> saslprep(std::string_view text);

/// A SASL username (authcid) as accounts are keyed: SASLprep, then Nodeprep, because an account
/// is the localpart of a JID ("Juliet" logs in as "juliet"); nullopt when either refuses it.
std::optional<std::string> prepare_username(std::string_view username);

/// True when `authzid` is empty or names the bare JID username@domain (compared prepared).
bool authzid_matches(std::string_view authzid, std::string_view username, std::string_view domain);

/// Salted secrets for a password: derive with a given salt, or make with a fresh random salt.
ScramSecret derive_secret(Hash hash, std::string_view password, std::string_view salt,
                          int iterations);
ScramSecret make_secret(Hash hash, std::string_view password, int iterations = 4096);
/// One secret per hash we offer, so every SCRAM variant works for every account.
std::vector<ScramSecret> make_all_secrets(std::string_view password, int iterations = 4096);

/// The TLS channel bindings of the connection (empty map on a plain connection).
struct ChannelBindings {
    std::map<std::string, std::string> data;  // "tls-exporter", "tls-server-end-point" -> bytes
    /// True when we offered -PLUS mechanisms (a client that says "y" then is being downgraded).
    bool plus_offered = false;
};

enum class Status { challenge, need_secret, success, failure };

struct Step {
    Status status = Status::failure;
    std::string data;       // challenge or success additional data (raw, not base64)
    std::string condition;  // on failure: "not-authorized", "malformed-request", "invalid-authzid",
                            // "invalid-mechanism", "encryption-required", ...
    std::string text;       // on failure: a human-readable reason (never a secret)

    static Step challenge(std::string data) { return {Status::challenge, std::move(data), {}, {}}; }
    static Step need_secret() { return {Status::need_secret, {}, {}, {}}; }
    static Step success(std::string data) { return {Status::success, std::move(data), {}, {}}; }
    static Step failure(std::string condition, std::string text) {
        return {Status::failure, {}, std::move(condition), std::move(text)};
    }
};

class Mechanism {
public:
    virtual ~Mechanism() = default;
    /// The initial response (raw bytes; empty when the client sent none or "=").
    virtual Step start(std::string_view initial_response) = 0;
    /// A response to our challenge.
    virtual Step step(std::string_view response) = 0;
    /// After need_secret: the account's secret for hash(), or nullopt for no such account (the
    /// exchange then continues with a fake salt so that it fails like a wrong password).
    virtual Step resume(std::optional<ScramSecret> secret) = 0;
    /// The prepared username (authcid), known once need_secret was returned.
    virtual const std::string& username() const = 0;
    /// The hash whose secret this mechanism needs.
    virtual Hash hash() const = 0;
};

/// Mechanism names we offer, strongest first; -PLUS only when bindings are available, PLAIN only
/// when `tls` is true.
std::vector<std::string> mechanism_names(bool tls, const ChannelBindings& bindings);

/// Creates a mechanism by name; nullptr when unknown or not allowed on this connection. `domain`
/// is the host being logged in to: an authzid must be empty or equal the user's bare JID.
std::unique_ptr<Mechanism> make_mechanism(std::string_view name, std::string_view domain,
                                          bool tls, const ChannelBindings& bindings);

/// Constant-time comparison.
bool equal_ct(std::string_view a, std::string_view b);

std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace starling::sasl
