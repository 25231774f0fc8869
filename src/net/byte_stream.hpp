#pragma once
// What an XMPP stream reads and writes through: a TCP connection with or without TLS
// (TcpTlsSocket), a WebSocket connection (WebSocketStream, RFC 7395), or a BOSH session's HTTP
// requests (BoshStream, XEP-0206). StreamReader and WriteQueue see only this, so that a client's
// stream over WebSocket or BOSH is the same C2sSession, with the same limits, stream management
// and everything else, as one over TCP.
//
// Reads and writes never block: they do what they can at once, and say what must happen before
// they can go on (IoStatus), which async_wait waits for.

#include "net/asio.hpp"

#include <openssl/ssl.h>

#include <cstddef>
#include <functional>
#include <string>

namespace starling::net {

/// What a read or write needs before it can go on.
enum class IoStatus { ok, want_read, want_write, eof, error };

class ByteStream {
public:
    virtual ~ByteStream() = default;

    /// The stream's thread: every call below is made on it, and every wait ends on it.
    virtual asio::any_io_executor get_executor() = 0;
    /// "address:port" of the peer, for the log ("?" when unknown); `ip` gets the address alone,
    /// which the connection limits and the authentication throttle count by.
    virtual std::string peer(std::string* ip = nullptr) = 0;
    /// True when what the stream carries is encrypted on the way (TLS, or HTTPS requests).
    virtual bool confidential() const = 0;
    /// The one TLS connection carrying the whole stream, whose channel a SASL mechanism may bind
    /// to; null without TLS, and for a stream spread over several connections (BOSH).
    virtual SSL* ssl() const = 0;
    /// How the stream reaches the client, for `starlingctl` and the log: "WebSocket", "BOSH";
    /// empty for plain TCP.
    virtual const char* transport() const { return ""; }
    /// True when every write is one message of the transport (a WebSocket message) and must
    /// hold one complete element: the writer hands over one element at a time.
    virtual bool framed() const { return false; }

    /// Reads up to `size` bytes: how many (status ok), or 0 and why not.
    virtual std::size_t read(char* data, std::size_t size, IoStatus& status) = 0;
    /// Writes up to `size` bytes: how many (status ok), or 0 and why not. A framed stream takes
    /// all of them or none: want_write while its message is on the way, then, asked again with
    /// the same bytes, all of them.
    virtual std::size_t write(const char* data, std::size_t size, IoStatus& status) = 0;
    /// True when bytes were read ahead (by TLS, or a whole message) that no readiness event
    /// will announce.
    virtual bool has_buffered_input() const = 0;
    /// True when another read would only find nothing, and a new arrival will raise a readiness
    /// event of its own.
    virtual bool drained() const = 0;
    /// Calls `then(ec)` once the stream can go on after `status` (want_read or want_write).
    virtual void async_wait(IoStatus status, std::function<void(const error_code&)> then) = 0;

    /// Ends the connection politely (TLS close_notify, a WebSocket close) after what was
    /// written, best effort.
    virtual void shutdown() = 0;
    /// Ends the connection; a framed stream still finishes a polite end under way.
    virtual void close() = 0;

protected:
    ByteStream() = default;
    ByteStream(const ByteStream&) = delete;
    ByteStream& operator=(const ByteStream&) = delete;
};

}  // namespace starling::net
