#pragma once

#include "xml_element.hpp"

#include <deque>
#include <expat.h>
#include <optional>
#include <string>
#include <string_view>

namespace starling::scenarios {

/// Feeds the bytes a server sends into expat and hands back the stream header and each complete
/// top-level element, so raw-stream scenarios can assert on structure instead of on byte strings.
class xml_stream_reader {
public:
    xml_stream_reader();
    ~xml_stream_reader();
    xml_stream_reader(const xml_stream_reader&) = delete;
    xml_stream_reader& operator=(const xml_stream_reader&) = delete;

    /// Parses more bytes; returns false (and sets `error`) once the server's XML is malformed.
    bool feed(std::string_view bytes);

    /// Starts over for a restarted stream (after STARTTLS or SASL success).
    void reset();

    /// The server's <stream:stream> element, without children, once it arrived.
    const std::optional<xml_element>& header() const { return header_; }
    /// Complete top-level elements not yet taken.
    std::deque<xml_element>& elements() { return elements_; }
    /// True once the server closed its stream with </stream:stream>.
    bool closed() const { return closed_; }
    const std::string& error() const { return error_; }

private:
    static void on_start(void* self, const XML_Char* name, const XML_Char** attributes);
    static void on_end(void* self, const XML_Char* name);
    static void on_text(void* self, const XML_Char* text, int length);

    XML_Parser parser_ = nullptr;
    std::optional<xml_element> header_;
    std::deque<xml_element> elements_;
    std::vector<xml_element> open_;  ///< the element being built, outermost first
    bool closed_ = false;
    std::string error_;
};

}  // namespace starling::scenarios
