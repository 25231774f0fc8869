#pragma once
// The client messages of SCRAM (RFC 5802 §7), split into their attributes. Syntax only: what the
// values mean (channel binding, nonce, proof) is checked by the mechanism.

#include <optional>
#include <string>
#include <string_view>

namespace starling::sasl {

struct ClientFirst {
    char cb_flag = 'n';       // 'n' (no binding), 'y' (client thinks we have none) or 'p'
    std::string cb_name;      // with 'p': the binding type, e.g. "tls-exporter"
    std::string authzid;      // decoded "a=" value; empty when absent
    std::string gs2_header;   // as sent, e.g. "n,,"; the c= attribute must repeat it
    std::string bare;         // client-first-message-bare as sent, for the AuthMessage
    std::string username;     // decoded "n=" value, not yet prepared
    std::string nonce;        // the client's nonce
};

struct ClientFinal {
    std::string channel_binding;  // decoded "c=" value
    std::string nonce;            // client nonce + server nonce, as echoed
    std::string proof;            // decoded "p=" value
    std::string without_proof;    // client-final-message-without-proof as sent
};

/// Parses client-first-message; on nullopt `error` says what is wrong.
std::optional<ClientFirst> parse_client_first(std::string_view message, std::string& error);
/// Parses client-final-message; on nullopt `error` says what is wrong.
std::optional<ClientFinal> parse_client_final(std::string_view message, std::string& error);
/// Decodes a saslname: "=2C" is ',' and "=3D" is '='; any other '=' or a ',' is invalid.
std::optional<std::string> decode_saslname(std::string_view name);

}  // namespace starling::sasl
