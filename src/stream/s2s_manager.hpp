#pragma once
// The outgoing server-to-server streams: one per pair of domains (ours, theirs), opened by the
// first stanza for the remote domain (or the first dialback key to verify with it) and forgotten
// when it ends, so that the next one opens a new stream. An incoming stream the peer made
// bidirectional (XEP-0288) carries our stanzas for the pairs it authenticated instead, while
// no outgoing stream does. Any thread may use it; each stream does its work on its own I/O
// thread. It also holds this process's Server Dialback secret.

#include "core/rate_limit.hpp"
#include "core/stanza.hpp"
#include "stream/dialback_elements.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace starling {

class S2sInSession;
class WriteQueue;
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
    /// `stream` no longer carries `local` -> `remote` (its peer refused `local` on it).
    void forget(const std::string& local, const std::string& remote, const S2sOutSession* stream);
    /// Lets `stream`, an incoming stream its peer made bidirectional, carry stanzas from `local`
    /// to `remote` (the reverse of a pair it authenticated) until remove_routes().
    void add_route(const std::string& local, const std::string& remote,
                   const std::shared_ptr<S2sInSession>& stream);
    /// Forgets `stream`'s routes: it is closing.
    void remove_routes(const S2sInSession* stream);
    /// A stream ends: each stanza in `out` not written yet goes back to its sender with
    /// `condition` (remote-server-timeout is a wait error, the rest cancel) and `text`; the
    /// queue is then cleared. Written stanzas count as delivered, as on a client stream
    /// without XEP-0198; those the stream's XEP-0198 bookkeeping owns are its to bounce.
    void bounce_unwritten(WriteQueue& out, std::string_view condition, const std::string& text);
    /// Closes every stream (shutdown); what they still queue goes back to its senders.
    void close_all();
    /// The outgoing streams, each once.
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

    /// The incoming stream that carries `local` -> `remote` (XEP-0288), if one does and no
    /// outgoing stream is open for the pair.
    std::shared_ptr<S2sInSession> route_for(const std::string& local, const std::string& remote);

    Server& server_;
    const std::string dialback_secret_;
    std::mutex rate_mutex_;
    int rate_ = 0;  // the s2s.stanza_rate incoming_rate_ was made for
    std::unique_ptr<RateLimit> incoming_rate_;
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<S2sOutSession>> streams_;
    std::map<std::pair<std::string, std::string>, std::weak_ptr<S2sInSession>> routes_;
};

}  // namespace starling
