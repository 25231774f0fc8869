#pragma once
// Iqs the server sends (pings, queries) and the replies that answer them: a reply is matched by
// id and by the JID it was sent to, so a client cannot answer another client's query.

#include "core/stanza.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace starling {

class IqTracker {
public:
    /// Called with the reply, or with null when the timeout passed first.
    using Callback = std::function<void(StanzaPtr reply)>;

    /// A fresh id for an outgoing iq, and the callback waiting for its reply.
    std::string track(const Jid& to, std::chrono::steady_clock::time_point deadline, Callback cb);
    /// Hands a result/error to its waiting callback; false when nothing waited for it.
    bool complete(const StanzaPtr& reply);
    /// Calls back (with null) every entry past its deadline; run from a periodic timer.
    void expire(std::chrono::steady_clock::time_point now);

private:
    struct Pending {
        std::string to;
        std::chrono::steady_clock::time_point deadline;
        Callback callback;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Pending> pending_;
    std::atomic<std::uint64_t> next_id_{0};
};

}  // namespace starling
