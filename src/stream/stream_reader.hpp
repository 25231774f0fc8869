#pragma once
// The read side every stream (c2s, component, later s2s) shares: waits for the socket to be
// readable, reads into one buffer per I/O thread (an idle stream holds none), hands the bytes
// to its stream (which feeds its XML parser), and gives the thread's other streams their turn
// after a few reads. A client's stream obeys the server's ingress gate: while storage is behind,
// nothing more is read, and TCP slows the peer down.
//
// Touched only on its stream's thread.

#include "net/byte_stream.hpp"

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

    protected:
        ~Owner() = default;
    };

    /// `paused_counter` counts the reads the ingress gate held back ("c2s.paused"); empty for
    /// a stream the gate does not pause (a component: the server's own service).
    StreamReader(net::ByteStream& socket, Server& server, Owner& owner,
                 std::string paused_counter)
        : socket_(socket),
          server_(server),
          owner_(owner),
          paused_counter_(std::move(paused_counter)) {}

    /// Reads whatever arrives from now on (after a handshake: what TLS already holds first).
    void start();
    /// Goes on after read_held() stopped reading, once it no longer holds.
    void resume();

private:
    void wait_readable();
    void on_readable(const boost::system::error_code& ec);

    net::ByteStream& socket_;
    Server& server_;
    Owner& owner_;
    std::string paused_counter_;
    bool parked_ = false;  // stopped for read_held(); resume() starts again
};

}  // namespace starling
