#pragma once
// An ordered executor for state that one owner touches (a chat room's occupants, roles and
// history): functions posted to a strand run one at a time, in the order posted, on one of the
// server's I/O threads, and never wait for another strand. State touched only from its strand
// needs no lock. docs/modules.md, "Strands", says when a module wants one.

#include <functional>
#include <memory>

namespace starling {

class Strand {
public:
    virtual ~Strand() = default;
    /// Runs `fn` on the strand after everything posted before it; any thread.
    virtual void post(std::function<void()> fn) = 0;
    /// True when the calling thread is running a function of this strand.
    virtual bool running_in_this_thread() const = 0;
};

using StrandPtr = std::shared_ptr<Strand>;

}  // namespace starling
