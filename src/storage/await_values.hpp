#pragma once
// Turns a store's callback into values, for the code that may block until the database answers:
// admin commands on the control thread, and tests. Never on an I/O thread or a database worker.

#include <future>
#include <utility>

namespace starling::storage {

/// Calls `start(done)` and waits for `done(values...)`; returns T{values...}.
template <typename T, typename Start>
T await_values(Start start) {
    std::promise<T> promise;
    auto future = promise.get_future();
    start([&promise](auto... values) { promise.set_value(T{std::move(values)...}); });
    return future.get();
}

}  // namespace starling::storage
