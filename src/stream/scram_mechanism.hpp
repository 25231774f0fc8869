#pragma once
// The SCRAM-SHA-* and SCRAM-SHA-*-PLUS server mechanisms (RFC 5802, RFC 7677), with channel
// binding per RFC 5929 (tls-server-end-point) and RFC 9266 (tls-exporter).

#include "stream/sasl.hpp"

#include <memory>
#include <string_view>

namespace starling::sasl {

/// Creates a SCRAM server mechanism; `plus` selects the -PLUS variant, which requires channel
/// binding. `fixed_server_nonce` exists for tests only: a test vector can only be replayed with
/// the server nonce it was computed with, so a non-empty value replaces the random one. Servers
/// always leave it empty (make_mechanism does).
std::unique_ptr<Mechanism> make_scram_mechanism(Hash hash, bool plus, std::string_view domain,
                                                const ChannelBindings& bindings,
                                                std::string_view fixed_server_nonce = {});

}  // namespace starling::sasl
