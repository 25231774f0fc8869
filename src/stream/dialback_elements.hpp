#pragma once
// The Server Dialback elements (XEP-0220) both stream directions write and read: requests
// (<db:result/> with a key, <db:verify/> with a key and a stream id) and their answers, whose
// 'type' is valid, invalid or error (with a stanza error condition, §2.4).

#include "xml/element.hpp"

#include <string>
#include <string_view>

namespace starling::dialback {

/// How a dialback request was answered.
struct Verdict {
    enum class Kind { valid, invalid, error };
    Kind kind = Kind::error;
    /// For errors: the stanza error condition (XEP-0220 §2.4), e.g. "remote-connection-failed".
    std::string condition;

    static Verdict valid() { return {Kind::valid, {}}; }
    static Verdict invalid() { return {Kind::invalid, {}}; }
    static Verdict error(std::string condition) { return {Kind::error, std::move(condition)}; }
};

/// <db:result from to>key</db:result>: the Initiating Server asks to send from `from` to `to`.
std::string result_request(std::string_view from, std::string_view to, std::string_view key);
/// The Receiving Server's answer to it, from `from` (the Target Domain) to `to`.
std::string result_answer(std::string_view from, std::string_view to, const Verdict& verdict);
/// <db:verify from to id>key</db:verify>: the Receiving Server asks the Authoritative Server.
std::string verify_request(std::string_view from, std::string_view to, std::string_view id,
                           std::string_view key);
/// The Authoritative Server's answer to it.
std::string verify_answer(std::string_view from, std::string_view to, std::string_view id,
                          const Verdict& verdict);

/// The verdict an answer element carries in its 'type' (and <error/> child); an unknown type
/// reads as an error with "undefined-condition".
Verdict read_verdict(const xml::Element& answer);

}  // namespace starling::dialback
