#include "stream/scram_mechanism.hpp"

#include "stream/scram_crypto.hpp"
#include "stream/scram_message.hpp"

#include <string>

namespace starling::sasl {

namespace {

// 24 random bytes are 32 base64 characters: a nonce no client can predict.
constexpr std::size_t server_nonce_bytes = 24;

class ScramMechanism final : public Mechanism {
public:
    ScramMechanism(Hash hash, bool plus, std::string_view domain, const ChannelBindings& bindings,
                   std::string_view fixed_server_nonce)
        : hash_(hash), plus_(plus), domain_(domain), bindings_(bindings),
          fixed_server_nonce_(fixed_server_nonce) {}

    ~ScramMechanism() override {
        wipe(secret_.stored_key);
        wipe(secret_.server_key);
    }

    Step start(std::string_view initial_response) override {
        if (state_ != State::initial || started_) {
            return fail("malformed-request", "already started");
        }
        started_ = true;
        // SCRAM is client-first: without an initial response the client sends it after an empty
        // challenge.
        if (initial_response.empty()) return Step::challenge({});
        return client_first(initial_response);
    }

    Step step(std::string_view response) override {
        switch (state_) {
        case State::initial:
            if (started_) return client_first(response);
            break;
        case State::awaiting_final: return client_final(response);
        case State::awaiting_secret:
        case State::done: break;
        }
        return fail("malformed-request", "unexpected response");
    }

    Step resume(std::optional<ScramSecret> secret) override {
        if (state_ != State::awaiting_secret) return fail("malformed-request", "unexpected resume");
        if (secret) {
            if (secret->hash != hash_ || !usable(*secret)) {
                return fail("temporary-auth-failure", "the stored credentials are unusable");
            }
            secret_ = std::move(*secret);
            known_account_ = true;
        } else {
            secret_ = fake_secret(hash_, username_);
        }
        const std::string server_nonce = fixed_server_nonce_.empty()
                                              ? base64_encode(random_bytes(server_nonce_bytes))
                                              : fixed_server_nonce_;
        nonce_ = client_nonce_ + server_nonce;
        server_first_ = "r=" + nonce_ + ",s=" + base64_encode(secret_.salt) +
                        ",i=" + std::to_string(secret_.iterations);
        state_ = State::awaiting_final;
        return Step::challenge(server_first_);
    }

    const std::string& username() const override { return username_; }
    Hash hash() const override { return hash_; }

private:
    enum class State { initial, awaiting_secret, awaiting_final, done };

    Step fail(std::string condition, std::string text) {
        state_ = State::done;
        return Step::failure(std::move(condition), std::move(text));
    }

    Step client_first(std::string_view message) {
        std::string error;
        auto first = parse_client_first(message, error);
        if (!first) return fail("malformed-request", error);

        if (first->cb_flag == 'p') {
            if (!plus_) {
                return fail("malformed-request",
                            "channel binding requested with a mechanism that has none; use -PLUS");
            }
            const auto binding = bindings_.data.find(first->cb_name);
            if (binding == bindings_.data.end()) {
                // No credential was tried: the client asked for a variant we do not have,
                // and may fall back to another mechanism (RFC 6120 §6.4.5).
                return fail("invalid-mechanism",
                            "channel binding type " + first->cb_name + " is not available");
            }
            cb_data_ = binding->second;
        } else if (plus_) {
            return fail("malformed-request", "a -PLUS mechanism requires p=<channel binding type>");
        } else if (first->cb_flag == 'y' && bindings_.plus_offered) {
            // RFC 5802 §6: the client supports binding and we offered it, so something in between
            // removed the -PLUS mechanisms from the list the client saw.
            return fail("not-authorized", "channel binding downgrade detected");
        }

        auto username = prepare_username(first->username);
        if (!username) return fail("not-authorized", "the username is not valid");
        username_ = std::move(*username);
        if (!authzid_matches(first->authzid, username_, domain_)) {
            return fail("invalid-authzid", "the authorization identity must be your own JID");
        }
        gs2_header_ = std::move(first->gs2_header);
        client_first_bare_ = std::move(first->bare);
        client_nonce_ = std::move(first->nonce);
        state_ = State::awaiting_secret;
        return Step::need_secret();
    }

    Step client_final(std::string_view message) {
        std::string error;
        auto final_message = parse_client_final(message, error);
        if (!final_message) return fail("malformed-request", error);
        if (final_message->nonce != nonce_) {
            return fail("not-authorized", "the nonce does not match");
        }
        if (!equal_ct(final_message->channel_binding, gs2_header_ + cb_data_)) {
            return fail("not-authorized", "the channel binding does not match");
        }
        if (final_message->proof.size() != digest_size(hash_)) {
            return fail("malformed-request", "the client proof has the wrong length");
        }

        const std::string auth_message =
            client_first_bare_ + "," + server_first_ + "," + final_message->without_proof;
        const std::string client_signature = hmac(hash_, secret_.stored_key, auth_message);
        std::string client_key = final_message->proof;
        for (std::size_t i = 0; i < client_key.size(); ++i) client_key[i] ^= client_signature[i];
        const bool proof_ok = equal_ct(digest(hash_, client_key), secret_.stored_key);
        wipe(client_key);
        if (!proof_ok || !known_account_) {
            return fail("not-authorized", "wrong username or password");
        }
        state_ = State::done;
        return Step::success("v=" + base64_encode(hmac(hash_, secret_.server_key, auth_message)));
    }

    const Hash hash_;
    const bool plus_;
    const std::string domain_;
    const ChannelBindings bindings_;
    const std::string fixed_server_nonce_;

    State state_ = State::initial;
    bool started_ = false;
    bool known_account_ = false;
    std::string username_;
    std::string gs2_header_;
    std::string cb_data_;
    std::string client_first_bare_;
    std::string client_nonce_;
    std::string nonce_;
    std::string server_first_;
    ScramSecret secret_;
};

}  // namespace

std::unique_ptr<Mechanism> make_scram_mechanism(Hash hash, bool plus, std::string_view domain,
                                                const ChannelBindings& bindings,
                                                std::string_view fixed_server_nonce) {
    return std::make_unique<ScramMechanism>(hash, plus, domain, bindings, fixed_server_nonce);
}

}  // namespace starling::sasl
