#pragma once
// The stanzas another server sends us, on whichever stream carries them: one it opened to us
// (S2sInSession), or one we opened that it made bidirectional (XEP-0288, S2sOutSession). Each
// must come from a domain the stream authenticated (RFC 6120 §4.9.3.9) and go to one served
// here (§4.9.3.6); it is then routed with no origin, in jabber:client, and counted against its
// domain's s2s.stanza_rate over all of that domain's streams: past it, the stream stops
// reading for a moment, so TCP slows the sender and nothing is dropped. One per stream, on the
// stream's thread.

#include "core/events.hpp"
#include "net/asio.hpp"
#include "xml/element.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace starling {

class Server;

class S2sInbound {
public:
    class Owner {
    public:
        virtual ~Owner() = default;
        /// Keeps the stream alive while reading is paused.
        virtual std::shared_ptr<void> keep_alive() = 0;
        /// Reading may go on.
        virtual void resume_reading() = 0;
        /// Names the stream in the log.
        virtual std::string stream_name() const = 0;
    };

    /// The stream error a stanza must end its stream with.
    struct Refusal {
        std::string condition;
        std::string text;
    };

    S2sInbound(Server& server, asio::any_io_executor executor, Owner& owner);

    /// Routes `element`, which the peer sent from one of `senders` (the domains the stream
    /// authenticated) to a domain served here, or to one of `targets` when given.
    /// `receipt` (XEP-0198, null without it) goes with the stanza until it is handled.
    std::optional<Refusal> route(xml::ElementPtr element, Receipt receipt,
                                 const std::vector<std::string>& senders,
                                 const std::vector<std::string>* targets = nullptr);
    /// Whether reading waits for the rate.
    bool held() const { return held_; }
    /// The stream ends: no more resuming.
    void cancel() { timer_.cancel(); }

private:
    void hold(const std::string& domain);

    Server& server_;
    Owner& owner_;
    asio::steady_timer timer_;
    bool held_ = false;
    bool logged_ = false;  // said once per stream, not per pause
};

}  // namespace starling
