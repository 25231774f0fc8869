#include "bench/message_body.hpp"

#include <charconv>

namespace bench {
namespace {

template <typename Number>
void append_number(std::string& out, Number value, int base = 10) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value, base).ptr;
    out.append(digits, end);
}

// Reads one space-terminated (or final) number and moves past it.
template <typename Number>
bool take_number(std::string_view& text, Number& value, bool last, int base = 10) {
    const auto* begin = text.data();
    const auto* end = begin + text.size();
    const auto [ptr, error] = std::from_chars(begin, end, value, base);
    if (error != std::errc() || ptr == begin) return false;
    if (last) return ptr == end;
    if (ptr == end || *ptr != ' ') return false;
    text.remove_prefix(static_cast<std::size_t>(ptr - begin) + 1);
    return true;
}

}  // namespace

void append_body(std::string& out, const message_body& body) {
    out += "b ";
    append_number(out, body.run, 16);
    out += ' ';
    append_number(out, body.sender);
    out += ' ';
    append_number(out, body.seq);
    out += ' ';
    append_number(out, body.sent_ns);
}

std::string encode_body(const message_body& body) {
    std::string out;
    append_body(out, body);
    return out;
}

std::optional<message_body> decode_body(std::string_view text) {
    if (text.size() < 2 || text[0] != 'b' || text[1] != ' ') return std::nullopt;
    text.remove_prefix(2);
    message_body body;
    if (!take_number(text, body.run, false, 16) || !take_number(text, body.sender, false) ||
        !take_number(text, body.seq, false) || !take_number(text, body.sent_ns, true))
        return std::nullopt;
    return body;
}

}  // namespace bench
