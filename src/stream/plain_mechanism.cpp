#include "stream/plain_mechanism.hpp"

#include "stream/scram_crypto.hpp"

#include <string>

namespace starling::sasl {

namespace {

// RFC 4616 §2: each of authzid, authcid and passwd is at most 255 octets.
constexpr std::size_t max_field_bytes = 255;

class PlainMechanism final : public Mechanism {
public:
    explicit PlainMechanism(std::string_view domain) : domain_(domain) {}

    ~PlainMechanism() override { wipe(password_); }

    Step start(std::string_view initial_response) override {
        if (state_ != State::initial) return fail("malformed-request", "already started");
        state_ = State::awaiting_response;
        if (initial_response.empty()) return Step::challenge({});
        return response(initial_response);
    }

    Step step(std::string_view message) override {
        if (state_ != State::awaiting_response) {
            return fail("malformed-request", "unexpected response");
        }
        return response(message);
    }

    Step resume(std::optional<ScramSecret> secret) override {
        if (state_ != State::awaiting_secret) return fail("malformed-request", "unexpected resume");
        if (secret && (secret->hash != Hash::sha256 || !usable(*secret))) {
            return fail("temporary-auth-failure", "the stored credentials are unusable");
        }
        // An unknown account still costs a full derivation, so timing does not tell it apart
        // from a wrong password.
        const bool known = secret.has_value();
        const ScramSecret expected = known ? *secret : fake_secret(Hash::sha256, username_);
        ScramSecret offered =
            derive_secret(Hash::sha256, password_, expected.salt, expected.iterations);
        wipe(password_);
        const bool match = equal_ct(offered.stored_key, expected.stored_key);
        wipe(offered.server_key);
        if (!match || !known) return fail("not-authorized", "wrong username or password");
        state_ = State::done;
        return Step::success({});
    }

    const std::string& username() const override { return username_; }
    Hash hash() const override { return Hash::sha256; }

private:
    enum class State { initial, awaiting_response, awaiting_secret, done };

    Step fail(std::string condition, std::string text) {
        state_ = State::done;
        wipe(password_);
        return Step::failure(std::move(condition), std::move(text));
    }

    // message = [authzid] NUL authcid NUL passwd
    Step response(std::string_view message) {
        const std::size_t first = message.find('\0');
        const std::size_t second =
            first == std::string_view::npos ? first : message.find('\0', first + 1);
        if (second == std::string_view::npos ||
            message.find('\0', second + 1) != std::string_view::npos) {
            return fail("malformed-request", "PLAIN needs authzid NUL authcid NUL password");
        }
        const std::string_view authzid = message.substr(0, first);
        const std::string_view authcid = message.substr(first + 1, second - first - 1);
        const std::string_view password = message.substr(second + 1);
        if (authcid.empty() || password.empty() || authzid.size() > max_field_bytes ||
            authcid.size() > max_field_bytes || password.size() > max_field_bytes) {
            return fail("malformed-request", "PLAIN fields must be 1 to 255 octets");
        }
        auto username = prepare_username(authcid);
        if (!username) return fail("not-authorized", "the username is not valid");
        username_ = std::move(*username);
        if (!authzid_matches(authzid, username_, domain_)) {
            return fail("invalid-authzid", "the authorization identity must be your own JID");
        }
        password_ = password;
        state_ = State::awaiting_secret;
        return Step::need_secret();
    }

    const std::string domain_;
    State state_ = State::initial;
    std::string username_;
    std::string password_;
};

}  // namespace

std::unique_ptr<Mechanism> make_plain_mechanism(std::string_view domain) {
    return std::make_unique<PlainMechanism>(domain);
}

}  // namespace starling::sasl
