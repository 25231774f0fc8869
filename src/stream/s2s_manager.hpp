#pragma once
// The outgoing server-to-server streams: one per pair of domains (ours, theirs), opened by the
// first stanza for the remote domain (or the first dialback key to verify with it) and forgotten
// when it ends, so that the next one opens a new stream. Any thread may use it; each stream
// does its work on its own I/O thread. It also holds this process's Server Dialback secret.

#include "core/rate_limit.hpp"
#include "core/stanza.hpp"
#include "stream/dialback_elements.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace starling {

class S2sOutSession;
class Server;

class S2sManager {
public:
    explicit S2sManager(Server& server);

    /// Sends a stanza to the domain of its 'to' over the stream from the domain of its 'from';
    /// bounces it when s2s policy does not federate with that domain, or when no stream may
    /// be opened (s2s.max_outgoing_streams).
    void send(StanzaPtr stanza);
    /// Asks `remote`'s server, as its Authoritative Server, whether `key` is the dialback key
    /// it gave for `local` on our stream `stream_id` (XEP-0220 step 2), over the stream from
    /// `local` to `remote`. `done` runs once, on that stream's thread, with the answer (an
    /// error if the stream cannot be set up or ends first).
    void verify(const std::string& local, const std::string& remote, std::string stream_id,
                std::string key, std::function<void(dialback::Verdict)> done);
    /// Closes every stream (shutdown); what they still queue goes back to its senders.
    void close_all();
    /// The outgoing streams.
    std::vector<std::shared_ptr<S2sOutSession>> streams() const;
    /// The secret this process's dialback keys (XEP-0185) are made with: random per process,
    /// so a key outlives neither the process nor the stream it was made for.
    const std::string& dialback_secret() const { return dialback_secret_; }
    /// Counts a stanza that `domain` sent here against s2s.stanza_rate (over all of its
    /// incoming streams); false when it is over the rate, and its stream should pause.
    bool take_incoming(const std::string& domain);

private:
    /// The stream from `local` to `remote`, created (not started) when there is none; `created`
    /// tells the caller to start it once it has handed it its first work.
    /// Null when there is none and s2s.max_outgoing_streams are open.
    std::shared_ptr<S2sOutSession> stream_for(const std::string& local, const std::string& remote,
                                              bool& created);

    Server& server_;
    const std::string dialback_secret_;
    std::mutex rate_mutex_;
    int rate_ = 0;  // the s2s.stanza_rate incoming_rate_ was made for
    std::unique_ptr<RateLimit> incoming_rate_;
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<S2sOutSession>> streams_;
};

}  // namespace starling
