#pragma once
// Steps for the ordering scenarios: senders that number their messages, a sender that keeps
// sending on its own thread while the scenario does something else, and the check that a
// receiver got each sender's messages exactly in the order they were sent.

#include "client_steps.hpp"
#include "sm_client.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace starling::scenarios {

/// The quick start's modules (scripts/dev-server.sh), with room for `offline_cap` stored
/// messages from strangers: every module that may hold a message on its way is in the path. The
/// senders are strangers to the receiver, so spam_limits lets them send that many.
inline std::string quick_start_modules(int offline_cap) {
    const std::string cap = std::to_string(offline_cap);
    return "[disco, ping, version, time, roster, presence, last, {offline: {max_messages: " + cap +
           ", max_from_strangers: " + cap +
           "}}, vcard, private, blocking, {spam_limits: {strangers_per_minute: 100000}}, "
           "{smacks: {max_unacked: 5000}}, csi, carbons, mam, pep]";
}

/// Message `n` of the sender tagged `tag`: its id is "tag-n", its body "tag:n".
inline std::string numbered_message(const std::string& to, const std::string& tag, int n) {
    const std::string number = std::to_string(n);
    return "<message type='chat' to='" + to + "' id='" + tag + "-" + number + "'><body>" + tag +
           ":" + number + "</body></message>";
}

/// Messages [first, last) of `tag` to `to` in one write.
inline void send_numbered_burst(raw_stream& stream, const std::string& to, const std::string& tag,
                                int first, int last) {
    std::string burst;
    for (int n = first; n < last; ++n) burst += numbered_message(to, tag, n);
    stream.send(burst);
}

/// A raw client that sends messages [first, last) of `tag` on its own thread, one write of
/// `per_write` messages every millisecond, so that whatever the scenario does meanwhile falls in
/// the middle of the sequence. `sent()` says how many are written so far.
class paced_sender {
public:
    paced_sender(raw_stream& stream, std::string to, std::string tag, int first, int last,
                 int per_write = 1)
        : thread_(
              [this, &stream, to = std::move(to), tag = std::move(tag), first, last, per_write] {
                  for (int n = first; n < last; n += per_write) {
                      send_numbered_burst(stream, to, tag, n, std::min(last, n + per_write));
                      sent_.store(std::min(last, n + per_write) - first);
                      std::this_thread::sleep_for(std::chrono::milliseconds(1));
                  }
              }) {}
    ~paced_sender() { join(); }
    paced_sender(const paced_sender&) = delete;
    paced_sender& operator=(const paced_sender&) = delete;

    int sent() const { return sent_.load(); }
    /// Waits until at least `count` are written (at most 10 s).
    void wait_sent(int count) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (sent() < count && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        require(sent() >= count, "the sender wrote only " + std::to_string(sent()) + " of " +
                                     std::to_string(count) + " messages in 10 s");
    }
    void join() {
        if (thread_.joinable()) thread_.join();
    }

private:
    std::atomic<int> sent_{0};
    std::thread thread_;
};

/// Checks that numbered messages arrive, for each sender tag, as 0, 1, 2, … with none missing,
/// none twice and none out of place.
class sequence_check {
public:
    /// Takes the next message a receiver got; fails on the first one out of its sender's order.
    void take(const xml_element& message) {
        const std::string body = body_of(message);
        const auto colon = body.find(':');
        require(message.name == "message" && colon != std::string::npos,
                "expected a numbered message, got " + message.to_string());
        const std::string tag = body.substr(0, colon);
        const int n = std::stoi(body.substr(colon + 1));
        int& expected = next_[tag];
        require(n == expected, "from " + tag + ", message " + std::to_string(n) +
                                   " arrived where " + std::to_string(expected) +
                                   " was due (after " + std::to_string(total_) +
                                   " in order): " + message.to_string());
        ++expected;
        ++total_;
    }
    /// How many of `tag`'s messages arrived so far.
    int count(const std::string& tag) const {
        const auto it = next_.find(tag);
        return it == next_.end() ? 0 : it->second;
    }
    int total() const { return total_; }

private:
    std::map<std::string, int> next_;
    int total_ = 0;
};

/// Reads from `receiver` until `total` numbered messages have arrived, each checked by `check`;
/// any other stanza (presence, an iq) is skipped. Each message must come within 10 s.
inline void receive_in_order(sm_client& receiver, sequence_check& check, int total) {
    while (check.total() < total) {
        auto e = receiver.next(std::chrono::seconds(10));
        require(e.has_value(), "only " + std::to_string(check.total()) + " of " +
                                   std::to_string(total) + " messages arrived (" +
                                   receiver.stream().end_reason() + ")");
        if (e->name == "message" && e->ns == ns::client) check.take(*e);
    }
}

}  // namespace starling::scenarios
