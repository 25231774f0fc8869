#pragma once
// Records every event a StreamParser emits as a line of text, so tests compare whole event
// sequences (and split-feed runs compare against a single-feed run) with one assertion.

#include "xml/serializer.hpp"
#include "xml/stream_parser.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace starling::xml::test {

inline constexpr std::string_view client_header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' "
    "xml:lang='en'>";

class ParserHarness {
public:
    explicit ParserHarness(ParserLimits limits = {}) : parser(make_events(), limits) {}

    bool feed(std::string_view bytes) { return parser.feed(bytes); }

    /// Feeds the client header, then `bytes`; returns what the second feed returned.
    bool feed_after_header(std::string_view bytes) {
        feed(client_header);
        return feed(bytes);
    }

    std::size_t count_errors() const { return errors.size(); }
    ParseError first_error() const { return errors.at(0); }

    StreamParser parser;
    /// "open <default_ns>", "stanza <xml>", "close", "error <condition>", in order.
    std::vector<std::string> log;
    std::vector<StreamHeader> headers;
    std::vector<ElementPtr> stanzas;
    std::vector<ParseError> errors;
    /// Runs after a stanza is recorded, from inside the parser's callback.
    std::function<void(StreamParser&, const Element&)> after_stanza;

private:
    ParserEvents make_events() {
        ParserEvents events;
        events.on_stream_open = [this](StreamHeader header) {
            log.push_back("open " + header.default_ns);
            default_ns_ = header.default_ns;
            headers.push_back(std::move(header));
        };
        events.on_stanza = [this](ElementPtr stanza) {
            log.push_back("stanza " + to_string(*stanza, default_ns_));
            stanzas.push_back(stanza);
            if (after_stanza) after_stanza(parser, *stanza);
        };
        events.on_stream_close = [this] { log.push_back("close"); };
        events.on_error = [this](ParseError error, std::string) {
            log.push_back("error " + std::string(to_condition(error)));
            errors.push_back(error);
        };
        return events;
    }

    std::string default_ns_;
};

/// Deep structural equality: names, namespaces, attributes in order, children in order.
inline bool same_tree(const Element& a, const Element& b) {
    if (a.name() != b.name() || a.xmlns() != b.xmlns()) return false;
    if (a.attributes().size() != b.attributes().size()) return false;
    for (std::size_t i = 0; i < a.attributes().size(); ++i) {
        if (a.attributes()[i].name != b.attributes()[i].name ||
            a.attributes()[i].value != b.attributes()[i].value) {
            return false;
        }
    }
    if (a.children().size() != b.children().size()) return false;
    for (std::size_t i = 0; i < a.children().size(); ++i) {
        const Node& x = a.children()[i];
        const Node& y = b.children()[i];
        if (x.index() != y.index()) return false;
        if (const auto* text = std::get_if<std::string>(&x)) {
            if (*text != std::get<std::string>(y)) return false;
        } else if (!same_tree(*std::get<ElementPtr>(x), *std::get<ElementPtr>(y))) {
            return false;
        }
    }
    return true;
}

}  // namespace starling::xml::test
