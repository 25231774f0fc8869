#pragma once
// The PLAIN server mechanism (RFC 4616), checked against the account's SCRAM-SHA-256 secret so
// that accounts never store a password. Only ever offered over TLS.

#include "stream/sasl.hpp"

#include <memory>
#include <string_view>

namespace starling::sasl {

std::unique_ptr<Mechanism> make_plain_mechanism(std::string_view domain);

}  // namespace starling::sasl
