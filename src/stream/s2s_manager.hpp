#pragma once
// The outgoing server-to-server streams: one per pair of domains (ours, theirs), opened by the
// first stanza for the remote domain and forgotten when it ends, so that the next stanza opens
// a new one. Any thread may send; each stream does its work on its own I/O thread.

#include "core/stanza.hpp"

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
    explicit S2sManager(Server& server) : server_(server) {}

    /// Sends a stanza to the domain of its 'to' over the stream from the domain of its 'from'.
    void send(StanzaPtr stanza);
    /// Closes every stream (shutdown); what they still queue goes back to its senders.
    void close_all();
    /// The outgoing streams.
    std::vector<std::shared_ptr<S2sOutSession>> streams() const;

private:
    Server& server_;
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<S2sOutSession>> streams_;
};

}  // namespace starling
