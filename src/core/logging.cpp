#include "core/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace starling {

void apply_logging(const config::LogConfig& log) {
    std::shared_ptr<spdlog::logger> logger;
    if (log.file.empty()) logger = spdlog::stderr_logger_mt("starling-" + std::to_string(std::rand()));
    else logger = spdlog::basic_logger_mt("starling-" + std::to_string(std::rand()), log.file);
    logger->set_level(spdlog::level::from_str(log.level));
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace starling
