#include "stream/stream_reader.hpp"

#include "core/server.hpp"

namespace starling {
namespace {

// Reads go into one buffer per I/O thread, so an idle stream holds none (DESIGN.md, memory).
// 16 KiB takes a whole TLS record at once.
constexpr std::size_t read_buffer_size = 16 * 1024;
// Reads per readiness event before other streams of the thread get their turn.
constexpr int reads_per_turn = 8;

char* thread_read_buffer() {
    thread_local std::unique_ptr<char[]> buffer(new char[read_buffer_size]);
    return buffer.get();
}

const std::string throttled_help =
    "Times a stream went over its rate_limits and its reading paused, by limit.";
const std::string rate_closed_help =
    "Streams closed with policy-violation for staying over their rate_limits.";

}  // namespace

void StreamReader::start() {
    if (owner_.read_stopped()) return;
    // Bytes TLS already decrypted raise no readiness event: go on at once.
    if (socket_.has_buffered_input())
        return asio::post(socket_.get_executor(),
                          [this, keep = owner_.keep_alive()] { on_readable(error_code()); });
    wait_readable();
}

void StreamReader::resume() {
    if (!parked_ || owner_.read_held()) return;
    parked_ = false;
    start();
}

void StreamReader::wait_readable() {
    socket_.async_wait(net::IoStatus::want_read, [this, keep = owner_.keep_alive()](
                                                     const error_code& ec) { on_readable(ec); });
}

void StreamReader::on_readable(const error_code& ec) {
    if (owner_.read_stopped()) return;
    if (ec) return owner_.on_read_failed(net::IoStatus::error);
    if (owner_.read_held()) {
        parked_ = true;
        return;
    }
    // Back-pressure: nothing more is read (TCP then slows the peer) until the gate opens.
    if (!paused_counter_.empty() && server_.ingress().closed()) {
        server_.metrics().counter(paused_counter_).add();
        return server_.ingress().when_open([this, keep = owner_.keep_alive()] {
            asio::post(socket_.get_executor(), [this, keep] { on_readable(error_code()); });
        });
    }
    char* buffer = thread_read_buffer();
    for (int turn = 0; turn < reads_per_turn; ++turn) {
        net::IoStatus status;
        const std::size_t n = socket_.read(buffer, read_buffer_size, status);
        // The socket is drained: wait for it (not start(), which would see a partial record
        // TLS holds and come straight back).
        if (status == net::IoStatus::want_read) {
            shaper_.caught_up();
            return wait_readable();
        }
        if (status == net::IoStatus::want_write) {
            // TLS needs to send (a key update) before it can read on.
            return socket_.async_wait(status, [this, keep = owner_.keep_alive()](
                                                  const error_code& ec) { on_readable(ec); });
        }
        if (status != net::IoStatus::ok) return owner_.on_read_failed(status);
        owner_.on_bytes(std::string_view(buffer, n));
        if (!owner_.keep_reading() || owner_.read_stopped()) return;
        if (shaper_.limited() && !within_rates(n)) return;
        if (owner_.read_held()) {
            parked_ = true;
            return;
        }
        // Saves the read that would only say "nothing more": one system call per message.
        if (socket_.drained()) return wait_readable();
    }
    asio::post(socket_.get_executor(),
               [this, keep = owner_.keep_alive()] { on_readable(error_code()); });
}

bool StreamReader::within_rates(std::size_t bytes) {
    // One clock read per read, for the bytes and the elements alike.
    const auto now = StreamShaper::clock::now();
    shaper_.take_read(bytes, now);
    bool bytes_over = false;
    const auto wait = shaper_.wait(now, bytes_over);
    if (wait == StreamShaper::clock::duration::zero()) return true;
    if (shaper_.paused_too_long(now, wait)) {
        server_.metrics().counter(std::string(kind_) + ".rate_closed", {}, rate_closed_help).add();
        owner_.on_over_rate();
        return false;
    }
    // Back-pressure, as for the ingress gate: nothing is dropped, TCP slows the peer down.
    server_.metrics()
        .counter(std::string(kind_) + ".throttled", {{"limit", bytes_over ? "bytes" : "stanzas"}},
                 throttled_help)
        .add();
    if (!pause_) pause_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
    pause_->expires_after(wait);
    pause_->async_wait([this, keep = owner_.keep_alive()](const error_code& ec) {
        if (!ec) on_readable(error_code());
    });
    return false;
}

}  // namespace starling
