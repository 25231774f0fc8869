#pragma once
// A BOSH session (XEP-0124, XMPP over it per XEP-0206) seen as a ByteStream, so that a client's
// stream over BOSH is the same C2sSession as over TCP or WebSocket. The session is a series of
// HTTP requests, each carrying a <body/>: their payloads are read in 'rid' order as the stream's
// bytes; what the stream writes waits, one element at a time, for a request to answer with.
//
// Requests are held (at most 'hold' at once, each for at most 'wait' seconds) so that the server
// can answer as soon as it has something; a client without a request held for 'inactivity'
// seconds has gone, and the stream sees its connection dropped (stream management may then
// keep it for resumption). A request's payload is read only once the stream has read the last
// one: a stream that stops reading (the ingress gate, a storage lookup) leaves the client's
// requests unanswered, which stops it, as TCP would. Each answer is kept until the client's
// later requests show it arrived, so a request repeated after a dropped connection gets it again.
//
// Touched only on the session's thread (its executor); the HTTP requests reach it from their
// own connections' threads through BoshEndpoint.

#include "core/http_routes.hpp"
#include "net/asio.hpp"
#include "net/byte_stream.hpp"
#include "net/input_buffer.hpp"
#include "stream/bosh_body.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace starling {

class BoshStream final : public net::ByteStream, public std::enable_shared_from_this<BoshStream> {
public:
    struct Settings {
        unsigned wait = 60;        // seconds a request is held at most
        unsigned hold = 1;         // requests held at once
        unsigned inactivity = 60;  // seconds without a request before the client counts as gone
        std::size_t pending_bytes = 256 * 1024;  // written and unanswered before writes wait
    };

    /// `on_end` runs once the session is over, to forget its sid.
    BoshStream(asio::any_io_executor executor, std::string sid, std::string peer, bool secure,
               Settings settings, std::function<void()> on_end);

    /// Opened over HTTPS: its requests must all come that way.
    bool secure() const { return secure_; }

    /// The session creation request: the stream's header, and the first request held.
    void open(bosh::Request request, HttpRespond respond);
    /// Every later request of the session.
    void handle(bosh::Request request, HttpRespond respond);

    // ByteStream
    asio::any_io_executor get_executor() override { return executor_; }
    std::string peer(std::string* ip = nullptr) override;
    bool confidential() const override { return secure_; }
    SSL* ssl() const override { return nullptr; }
    const char* transport() const override { return "BOSH"; }
    bool framed() const override { return true; }
    std::size_t read(char* data, std::size_t size, net::IoStatus& status) override;
    std::size_t write(const char* data, std::size_t size, net::IoStatus& status) override;
    bool has_buffered_input() const override { return !input_.empty(); }
    bool drained() const override { return !has_buffered_input(); }
    void async_wait(net::IoStatus status, std::function<void(const error_code&)> then) override;
    void shutdown() override;
    void close() override;

private:
    using Clock = std::chrono::steady_clock;
    struct Held {
        std::uint64_t rid;
        HttpRespond respond;
        Clock::time_point deadline;
    };
    struct Queued {
        bosh::Request request;
        HttpRespond respond;
    };

    std::uint64_t window() const { return requests_ + 1; }
    /// Takes the requests whose turn has come, then answers what can be answered.
    void pump();
    void schedule_pump();
    void take(bosh::Request request, HttpRespond respond);
    void answer_oldest();
    /// A terminal binding error (XEP-0124 §17.2): `respond` gets it, and the session ends as a
    /// dropped connection would.
    void fail(std::string_view condition, HttpRespond respond);
    void arm_timer();
    void on_timer();
    void wake(std::function<void(const error_code&)>& waiter, const error_code& ec);
    std::string creation_attributes() const;

    asio::any_io_executor executor_;
    const std::string sid_;
    const std::string peer_;
    const bool secure_;
    const Settings settings_;
    const unsigned requests_;  // simultaneous requests allowed: hold + 1, at least 2
    std::function<void()> on_end_;
    asio::steady_timer timer_;

    std::string to_;    // the session's domain and language, for the restart's header
    std::string lang_;
    std::string ver_;
    std::uint64_t next_rid_ = 0;        // the request whose payload is read next
    std::map<std::uint64_t, Queued> queued_;  // arrived, not yet taken (early, or the stream busy)
    std::deque<Held> held_;                   // taken, unanswered, oldest first
    std::map<std::uint64_t, std::string> answered_;  // the last answers, for a repeated rid
    Clock::time_point idle_since_;

    net::InputBuffer input_;  // payloads taken, for read()
    std::string pending_;  // what the stream wrote, for the next answer
    // From the stream's <open/>: what the creation answer carries of the stream header.
    std::string stream_from_;
    std::string stream_id_;
    bool created_ = false;       // the creation answer went out
    bool stream_error_ = false;  // the stream wrote <stream:error/>
    bool ending_ = false;        // the stream closed (<close/>, shutdown): answers terminate
    bool closed_ = false;
    bool pump_posted_ = false;
    net::IoStatus failure_ = net::IoStatus::ok;  // eof once the client has gone
    std::function<void(const error_code&)> read_waiter_;
    std::function<void(const error_code&)> write_waiter_;
};

}  // namespace starling
