// libFuzzer target for the configuration reader (core/config, core/config_reader, core/options):
// the input is a starling.yml, parsed from memory by config::parse, which reads no files. Every
// module entry's options are then validated against a declaration of each option type, as a
// module's OptionSpec table would. An operator's mistake must come back as a ConfigError naming
// the file; any other exception escaping (yaml-cpp's, the standard library's) is a finding, as
// starlingd would then print a message with no file, line or key.
//
// Built by `make fuzzers` in a clang build tree (scripts/fuzz.sh builds and runs it).
#include "core/config.hpp"
#include "core/options.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace starling;

namespace {

const std::string path = "/etc/starling/starling.yml";

// One option of every type, with bounds, named as the seed corpus names them.
const std::vector<OptionSpec> specs = {
    {"enabled", OptionType::boolean, "true", INT64_MIN, INT64_MAX, "a boolean"},
    {"max_items", OptionType::integer, "100", 1, 10000, "an integer"},
    {"service", OptionType::string, "upload", INT64_MIN, INT64_MAX, "a string"},
    {"domains", OptionType::string_list, "[]", INT64_MIN, INT64_MAX, "a list"},
    {"expire", OptionType::duration, "30d", 60, 365 * 86400, "a duration"},
};

void check_error(const config::ConfigError& error) {
    const std::string_view message = error.what();
    if (message.substr(0, path.size()) != path) {
        std::fprintf(stderr, "config_fuzz: an error that does not name the file: %s\n",
                     error.what());
        std::abort();
    }
}

void validate_modules(const config::Config& config) {
    std::vector<const config::ModuleEntry*> entries;
    for (const auto& entry : config.modules) entries.push_back(&entry);
    for (const auto& host : config.hosts)
        for (const auto& entry : host.modules) entries.push_back(&entry);
    for (const auto* entry : entries) {
        try {
            validate_options(config.path, entry->name, entry->options, specs);
        } catch (const config::ConfigError& error) {
            check_error(error);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        validate_modules(config::parse(text, path));
    } catch (const config::ConfigError& error) {
        check_error(error);
    }
    return 0;
}
