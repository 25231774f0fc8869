#pragma once
// The read side every stream (c2s, component, later s2s) shares: waits for the socket to be
// readable, reads into one buffer per I/O thread (an idle stream holds none), hands the bytes
// to its stream (which feeds its XML parser), and gives the thread's other streams their turn
// after a few reads. A client's stream obeys the server's ingress gate: while storage is behind,
// nothing more is read, and TCP slows the peer down.
//
// Touched only on its stream's thread.

#include "net/byte_stream.hpp"
#include "stream/stream_shaper.hpp"

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace starling {

class Server;

class StreamReader {
public:
    /// The stream the reader reads for.
    class Owner {
    public:
        /// Keeps the stream alive while a read waits for the socket.
        virtual std::shared_ptr<void> keep_alive() = 0;
        /// True once the stream reads no more (closed, or its connection gone).
        virtual bool read_stopped() const = 0;
        /// True while the stream cannot take more bytes yet (a lookup it waits for): reading
        /// stops until resume().
        virtual bool read_held() const = 0;
        /// Bytes from the peer.
        virtual void on_bytes(std::string_view bytes) = 0;
        /// Asked after each on_bytes: false stops reading (a TLS handshake or the stream's end
        /// comes next; whatever else the read held is never processed).
        virtual bool keep_reading() const = 0;
        /// The peer closed the connection (eof) or it failed (error).
        virtual void on_read_failed(net::IoStatus status) = 0;
        /// The stream stayed over its rates for rate_limits.hard_after: it is to end with
        /// <policy-violation/>.
        virtual void on_over_rate() = 0;

    protected:
        ~Owner() = default;
    };

    /// `kind` ("c2s", "component", "s2s") names the stream's shaping counters
    /// ("c2s.throttled", "c2s.rate_closed"). `paused_counter` counts the reads the ingress gate
    /// held back ("c2s.paused"); empty for a stream the gate does not pause (a component: the
    /// server's own service).
    StreamReader(net::ByteStream& socket, Server& server, Owner& owner, const char* kind,
                 std::string paused_counter)
        : socket_(socket),
          server_(server),
          owner_(owner),
          kind_(kind),
          paused_counter_(std::move(paused_counter)) {}

    /// Reads whatever arrives from now on (after a handshake: what TLS already holds first).
    void start();
    /// Goes on after read_held() stopped reading, once it no longer holds.
    void resume();

    /// The stream's rates (rate_limits.*): the owner sets them and counts each top-level
    /// element it parses; the reader counts the bytes and pauses reading over them.
    StreamShaper& shaper() { return shaper_; }
    void take_element() { shaper_.count_element(); }

private:
    void wait_readable();
    void on_readable(const boost::system::error_code& ec);
    /// Charges a read of `bytes` (and the elements parsed from it): false, and reading paused
    /// (or the stream closed), when the stream went over its rates.
    bool within_rates(std::size_t bytes);

    net::ByteStream& socket_;
    Server& server_;
    Owner& owner_;
    const char* kind_;
    std::string paused_counter_;
    bool parked_ = false;  // stopped for read_held(); resume() starts again
    StreamShaper shaper_;
    std::unique_ptr<boost::asio::steady_timer> pause_;  // made the first time the rates pause it
};

}  // namespace starling
