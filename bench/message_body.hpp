#pragma once
// The body of every chat message the generator sends: "b <run> <sender> <seq> <sent-ns>". The
// run id tells this run's messages from ones a previous run left in an offline queue; the
// sender index and sequence number identify the message for loss and duplicate accounting; the
// send time (steady clock, shared in-process by sender and receiver) gives the latency.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bench {

struct message_body {
    std::uint32_t run = 0;
    std::uint32_t sender = 0;
    std::uint32_t seq = 0;
    std::uint64_t sent_ns = 0;
};

/// Appends the encoded body to `out` (no allocation once `out` has capacity).
void append_body(std::string& out, const message_body& body);
std::string encode_body(const message_body& body);
/// The fields of a body this generator wrote; nothing for any other text.
std::optional<message_body> decode_body(std::string_view text);

}  // namespace bench
