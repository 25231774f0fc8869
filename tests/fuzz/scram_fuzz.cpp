// libFuzzer target for the SCRAM client messages (stream/scram_message) and the mechanism that
// acts on them. An input is a client-first-message, a newline, and a client-final-message (a
// newline cannot occur in either). Each input runs against SCRAM-SHA-256 and SCRAM-SHA-256-PLUS
// with the RFC 7677 §3 account (user "user", password "pencil") and its fixed server nonce, so
// the seed corpus can hold complete exchanges that succeed, with and without channel binding.
// Beyond memory errors it checks that a parsed message keeps the bytes it was split from (they
// enter the AuthMessage) and that only messages that parse can ever authenticate.
//
// Built by `make fuzzers` in a clang build tree (scripts/fuzz.sh builds and runs it).
#include "stream/sasl.hpp"
#include "stream/scram_mechanism.hpp"
#include "stream/scram_message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace starling::sasl;

namespace {

constexpr std::string_view domain = "example.test";
constexpr std::string_view server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

[[noreturn]] void finding(const char* what, std::string_view message) {
    std::fprintf(stderr, "scram_fuzz: %s: '%.*s'\n", what, static_cast<int>(message.size()),
                 message.data());
    std::abort();
}

const ScramSecret& user_secret() {
    // Derived once: 4096 PBKDF2 rounds per input would slow the fuzzer a hundredfold.
    static const ScramSecret secret =
        derive_secret(Hash::sha256, "pencil", *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
    return secret;
}

// Fixed binding data: the seed corpus computes its c= values and proofs from these bytes.
ChannelBindings fixed_bindings() {
    ChannelBindings bindings;
    bindings.data["tls-exporter"] = std::string(32, '\x11');
    bindings.data["tls-server-end-point"] = std::string(32, '\x22');
    bindings.plus_offered = true;
    return bindings;
}

void check_parsers(std::string_view first, std::string_view final_message) {
    std::string error;
    if (auto parsed = parse_client_first(first, error)) {
        if (parsed->gs2_header + parsed->bare != first)
            finding("gs2 header and bare message do not add up to the client-first", first);
        if (parsed->nonce.empty()) finding("client-first parsed without a nonce", first);
    } else if (error.empty()) {
        finding("client-first refused without a reason", first);
    }
    error.clear();
    if (auto parsed = parse_client_final(final_message, error)) {
        if (final_message.substr(0, parsed->without_proof.size()) != parsed->without_proof)
            finding("without-proof is not a prefix of the client-final", final_message);
        if (parsed->proof.empty()) finding("client-final parsed without a proof", final_message);
    } else if (error.empty()) {
        finding("client-final refused without a reason", final_message);
    }
}

void run_exchange(bool plus, std::string_view first, std::string_view final_message) {
    auto mechanism =
        make_scram_mechanism(Hash::sha256, plus, domain, fixed_bindings(), server_nonce);
    Step step = mechanism->start(first);
    if (step.status != Status::need_secret) return;
    std::optional<ScramSecret> secret;
    if (mechanism->username() == "user") secret = user_secret();
    step = mechanism->resume(secret);
    if (step.status != Status::challenge) finding("resume did not challenge", first);
    step = mechanism->step(final_message);
    if (step.status != Status::success) return;
    std::string error;
    if (!parse_client_first(first, error) || !parse_client_final(final_message, error))
        finding("authenticated with a message that does not parse", final_message);
    if (mechanism->username() != "user") finding("authenticated an unknown account", first);
    // The exchange is over: nothing may authenticate it a second time.
    if (mechanism->step(final_message).status != Status::failure)
        finding("a finished exchange accepted another message", final_message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = input.find('\n');
    const std::string_view first = input.substr(0, newline);
    const std::string_view final_message =
        newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
    check_parsers(first, final_message);
    run_exchange(false, first, final_message);
    run_exchange(true, first, final_message);
    return 0;
}
