#include "temp_dir.hpp"

#include "scenario.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace starling::scenarios {

temp_dir::temp_dir() {
    char pattern[] = "/tmp/starling-scenario-XXXXXX";
    require(mkdtemp(pattern) != nullptr, std::string("mkdtemp failed: ") + std::strerror(errno));
    path_ = pattern;
}

temp_dir::~temp_dir() {
    const char* keep = std::getenv("STARLING_KEEP_SCENARIO_DIRS");
    if (keep != nullptr && std::string(keep) == "1") return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace starling::scenarios
