#pragma once

#include <cstdint>

namespace starling::scenarios {

/// A loopback TCP port that was free a moment ago: bound with port 0, read back, released.
std::uint16_t free_loopback_port();

}  // namespace starling::scenarios
