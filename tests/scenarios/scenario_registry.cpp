#include "scenario.hpp"

namespace starling::scenarios {

std::vector<scenario>& scenario_registry() {
    // A function-local static, so registrations from any translation unit find it constructed.
    static std::vector<scenario> registry;
    return registry;
}

}  // namespace starling::scenarios
