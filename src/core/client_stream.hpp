#pragma once
// Seams through which a module takes part in a client stream's own protocol, below stanzas:
// XEP-0198 stream management and XEP-0352 client state indication are built on them.
//
// A module registers a StreamExtension factory for an XML namespace on its host
// (ModuleContext::add_stream_extension). The first top-level element in that namespace that a
// client sends after authenticating (a "nonza": neither message, presence nor iq) creates the
// stream's instance; a stream that never sends one pays nothing. Every call into an extension
// runs on the stream's own I/O thread.

#include "core/session.hpp"
#include "core/stanza.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace starling {

class Host;
class StreamExtension;

/// What a stream extension may ask of its client stream. Only on the stream's thread, except
/// post(), which any thread may call.
class ClientStream {
public:
    virtual ~ClientStream() = default;

    virtual Host& host() = 0;
    /// The bound full JID; empty before binding.
    virtual const Jid& jid() const = 0;
    /// The authenticated account (bare JID); empty before authentication.
    virtual Jid account() const = 0;
    /// True once a resource is bound (or a session was resumed onto this stream).
    virtual bool bound() const = 0;
    /// True while a TCP connection carries the stream (false once hibernated or closed).
    virtual bool connected() const = 0;
    /// The stream as a routable session (the one in the session table once bound).
    virtual SessionPtr session() = 0;

    /// Writes stream-level XML the extension made (a nonza such as <a/> or <enabled/>).
    virtual void send_nonza(std::string xml) = 0;
    /// Sends a stanza on through the extensions after `from` (null: all of them), then to the
    /// socket. `owned` says `from` keeps the stanza until the client acknowledges it, so the
    /// core must not bounce it when the connection dies.
    virtual void pass_on(StanzaPtr stanza, const StreamExtension* from, bool owned) = 0;
    /// Ends the stream with a stream error; `app_xml` is an application-specific condition
    /// element (RFC 6120 §4.9.4) written after the defined one.
    virtual void stream_error(std::string_view condition, std::string_view text = {},
                              std::string app_xml = {}) = 0;
    /// An extension can take more stanzas again (the client acknowledged some): the stream
    /// goes on queueing what it delivers paced (Session::deliver_paced).
    virtual void room_made() = 0;
    /// Drops the TCP connection without a word, as if the peer had gone (a dead connection);
    /// the extensions' on_connection_lost decides whether the session hibernates.
    virtual void drop_connection() = 0;
    /// Ends a hibernated session for good: unbinds it and runs every on_session_end.
    virtual void end_session(std::string_view reason) = 0;

    /// Runs `fn` on the stream's thread (from any thread).
    virtual void post(std::function<void()> fn) = 0;
    /// Calls `fn` on the stream's thread after `delay`; destroying the handle cancels it.
    virtual std::shared_ptr<void> after(std::chrono::milliseconds delay,
                                        std::function<void()> fn) = 0;

    /// XEP-0198 resumption: `old` (another stream's session, on any thread) hands over its
    /// bound JID, presence state and extensions to this authenticated stream; the old stream,
    /// still connected or hibernated, ends with <conflict/> without bouncing anything. `done`
    /// runs on this stream's thread: true once this stream is bound in the old one's place and
    /// the extensions are attached here, false if the old session had ended meanwhile.
    virtual void take_over(const SessionPtr& old, std::function<void(bool)> done) = 0;
};

/// What a stream extension does with a stanza the client is about to be sent.
enum class Outbound {
    pass,   ///< let it go on (to later extensions, then the socket); not this extension's
    track,  ///< let it go on, but this extension keeps it until the client acknowledges it
    hold,   ///< this extension keeps it and will pass_on() it later (or dispose of it)
};

/// A module's per-stream state. Extensions run in order of their registration's `order`
/// (lower first) for outbound stanzas, and in reverse order on resumption and session end.
class StreamExtension {
public:
    virtual ~StreamExtension() = default;

    /// A top-level element in this extension's namespace.
    virtual void on_nonza(ClientStream& stream, const xml::Element& element) = 0;
    /// A stanza the client sent, before routing. The returned receipt, if any, rides along
    /// with the stanza (see Receipt in events.hpp) and is released where the stanza ends.
    virtual std::shared_ptr<const void> on_inbound(ClientStream&, const xml::Element&) {
        return {};
    }
    /// A stanza for the client, before it is queued for the socket.
    virtual Outbound on_outbound(ClientStream&, const StanzaPtr&) { return Outbound::pass; }
    /// False while the extension had rather not be given more stanzas of a paced delivery
    /// (XEP-0198: half its unacknowledged window is in use); it calls room_made() when that
    /// changes. Live stanzas are given to it regardless.
    virtual bool has_room(const ClientStream&) const { return true; }
    /// The TCP connection died while bound (read/write failure, EOF without </stream:stream>,
    /// drop_connection). Return true to keep the session bound without a connection.
    virtual bool on_connection_lost(ClientStream&) { return false; }
    /// On the old stream's thread, just before the extensions move to a stream that resumes the
    /// session (ClientStream::take_over): cancel what runs on this thread (timers).
    virtual void on_detach(ClientStream&) {}
    /// The extensions now live on a new stream that resumed the session.
    virtual void on_resumed(ClientStream&) {}
    /// The session ends for good: what the extension still holds must be disposed of
    /// (Router::undeliverable), never dropped.
    virtual void on_session_end(ClientStream&) {}
};

using StreamExtensionFactory = std::function<std::shared_ptr<StreamExtension>(ClientStream&)>;

}  // namespace starling
