#pragma once
// What every declaration of a module returns: destroying it undoes the declaration, so unloading
// a module removes everything it added without a matching list of unregister calls.

#include <functional>
#include <utility>

namespace starling {

class Registration {
public:
    Registration() = default;
    explicit Registration(std::function<void()> undo) : undo_(std::move(undo)) {}
    Registration(Registration&& other) noexcept : undo_(std::exchange(other.undo_, nullptr)) {}
    Registration& operator=(Registration&& other) noexcept {
        if (this != &other) {
            reset();
            undo_ = std::exchange(other.undo_, nullptr);
        }
        return *this;
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration() { reset(); }

    void reset() {
        if (undo_) std::exchange(undo_, nullptr)();
    }

private:
    std::function<void()> undo_;
};

}  // namespace starling
