#pragma once
// spdlog set-up from the `log` section. Log lines carry no secrets and, at info, no bodies.

#include "core/config.hpp"

namespace starling {

/// Points the default logger at log.file (or standard error) with log.level.
void apply_logging(const config::LogConfig& log);

}  // namespace starling
