#pragma once
// Requests pipelined in one write, as an attacker sends them to race a quota: every request is
// on the wire before the server has answered (or stored) the first. The replies are then read
// and tallied by outcome, so a scenario asserts exactly how many got in and what the rest got.

#include "raw_session.hpp"
#include "scenario.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace starling::scenarios {

/// The replies to pipelined iqs: how many were results, and the others by error condition.
struct pipelined_outcome {
    int results = 0;
    std::map<std::string, int> errors;  ///< condition -> count
    std::vector<xml_element> error_replies;

    std::string summary() const {
        std::string text = std::to_string(results) + " result(s)";
        for (const auto& [condition, count] : errors)
            text += ", " + std::to_string(count) + " <" + condition + "/>";
        return text;
    }
};

/// Reads until each of the iqs with ids `id_prefix` + 0 … count - 1 has its reply (other
/// stanzas in between, such as pushes, are skipped) and tallies them. Fails the scenario when
/// a reply does not come within `patience` of the one before.
inline pipelined_outcome collect_replies(
    raw_stream& stream, int count, const std::string& id_prefix,
    std::chrono::milliseconds patience = std::chrono::seconds(30)) {
    std::set<std::string> waiting;
    for (int i = 0; i < count; ++i) waiting.insert(id_prefix + std::to_string(i));
    pipelined_outcome outcome;
    while (!waiting.empty()) {
        auto element = stream.next_element(patience);
        require(element.has_value(), std::to_string(waiting.size()) + " of " +
                                         std::to_string(count) +
                                         " pipelined requests unanswered "
                                         "after " +
                                         outcome.summary());
        if (element->name != "iq" || !waiting.erase(element->attribute("id"))) continue;
        if (element->attribute("type") == "result") {
            ++outcome.results;
            continue;
        }
        const auto* error = element->child("error");
        ++outcome.errors[error ? error_condition(*error) : "no <error/>"];
        outcome.error_replies.push_back(std::move(*element));
    }
    return outcome;
}

/// The `count` iqs `request(i)`, each with id `id_prefix` + i, as one string for one write.
inline std::string pipeline(int count, const std::function<std::string(int)>& request) {
    std::string batch;
    for (int i = 0; i < count; ++i) batch += request(i);
    return batch;
}

/// Sends the pipeline in one write on `stream`, then collects its replies.
inline pipelined_outcome send_pipelined(raw_stream& stream, int count, const std::string& id_prefix,
                                        const std::function<std::string(int)>& request) {
    stream.send(pipeline(count, request));
    return collect_replies(stream, count, id_prefix);
}

}  // namespace starling::scenarios
