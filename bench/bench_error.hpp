#pragma once

#include <stdexcept>

namespace bench {

/// A run that cannot go on (connection refused, a login failed where all must succeed): the
/// message says which account and what the server said; the program exits with status 1.
struct bench_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace bench
