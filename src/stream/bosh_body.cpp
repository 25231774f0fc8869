#include "stream/bosh_body.hpp"

#include "xml/serializer.hpp"

#include <expat.h>

#include <charconv>
#include <climits>
#include <memory>

namespace starling::bosh {
namespace {

constexpr char separator = '\x01';
// XEP-0124 §14.1: rids stay below 2^53, which clients whose numbers are doubles can count.
constexpr std::uint64_t max_rid = (std::uint64_t(1) << 53) - 1;

struct Parse {
    XML_Parser parser = nullptr;
    Request request;
    std::string error;
    int depth = 0;
    std::string rid;
    std::size_t payload_start = 0;
    std::size_t payload_end = 0;

    void fail(std::string why) {
        if (error.empty()) error = std::move(why);
        XML_StopParser(parser, XML_FALSE);
    }
};

std::string qualified(std::string_view ns, std::string_view name) {
    std::string out(ns);
    out += separator;
    out += name;
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

template <class Number>
std::optional<Number> number(std::string_view text) {
    Number value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

void on_root(Parse& parse, const XML_Char* name, const XML_Char** attributes) {
    if (name != qualified(ns_httpbind, "body"))
        return parse.fail("the request is not a <body/> of namespace " + std::string(ns_httpbind));
    auto& request = parse.request;
    for (auto* a = attributes; *a; a += 2) {
        const std::string_view attribute(a[0]);
        const std::string_view value(a[1]);
        if (attribute == "rid") {
            parse.rid = value;
        } else if (attribute == "sid") {
            request.sid = value;
        } else if (attribute == "to") {
            request.to = value;
        } else if (attribute == qualified("http://www.w3.org/XML/1998/namespace", "lang")) {
            request.lang = value;
        } else if (attribute == "ver") {
            request.ver = value;
        } else if (attribute == "type") {
            request.terminate = value == "terminate";
        } else if (attribute == qualified(ns_xbosh, "restart")) {
            request.restart = value == "true" || value == "1";
        } else if (attribute == "wait" || attribute == "hold") {
            const auto n = number<unsigned>(value);
            if (!n) return parse.fail("'" + std::string(attribute) + "' is not a number");
            (attribute == "wait" ? request.wait : request.hold) = *n;
        }
    }
    const auto rid = number<std::uint64_t>(parse.rid);
    if (!rid || *rid == 0 || *rid > max_rid)
        return parse.fail("'rid' must be a positive integer below 2^53 (XEP-0124 §14.1)");
    request.rid = *rid;
    parse.payload_start = static_cast<std::size_t>(XML_GetCurrentByteIndex(parse.parser) +
                                                   XML_GetCurrentByteCount(parse.parser));
}

}  // namespace

std::optional<Request> parse_request(std::string_view text, std::string& error) {
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(
        XML_ParserCreateNS("UTF-8", separator), &XML_ParserFree);
    if (!parser || text.size() > static_cast<std::size_t>(INT_MAX)) {
        error = "the request cannot be read";
        return std::nullopt;
    }
    Parse parse;
    parse.parser = parser.get();
    XML_SetUserData(parser.get(), &parse);
    XML_SetElementHandler(
        parser.get(),
        [](void* data, const XML_Char* name, const XML_Char** attributes) {
            auto& parse = *static_cast<Parse*>(data);
            if (parse.depth++ == 0) on_root(parse, name, attributes);
        },
        [](void* data, const XML_Char*) {
            auto& parse = *static_cast<Parse*>(data);
            if (--parse.depth == 0)
                parse.payload_end = static_cast<std::size_t>(XML_GetCurrentByteIndex(parse.parser));
        });
    XML_SetCharacterDataHandler(parser.get(), [](void* data, const XML_Char* s, int length) {
        auto& parse = *static_cast<Parse*>(data);
        if (parse.depth != 1) return;
        for (int i = 0; i < length; ++i)
            if (!is_space(s[i]))
                return parse.fail("character data in <body/> (XEP-0124 §4: only elements)");
    });
    // XEP-0124 §4: none of these in a body; a DOCTYPE could declare entities besides.
    XML_SetCommentHandler(parser.get(), [](void* data, const XML_Char*) {
        static_cast<Parse*>(data)->fail("a comment in the request (XEP-0124 §4)");
    });
    XML_SetProcessingInstructionHandler(
        parser.get(), [](void* data, const XML_Char*, const XML_Char*) {
            static_cast<Parse*>(data)->fail("a processing instruction in the request (XEP-0124 §4)");
        });
    XML_SetStartDoctypeDeclHandler(
        parser.get(), [](void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
            static_cast<Parse*>(data)->fail("a DOCTYPE in the request (XEP-0124 §4)");
        });
    const auto status =
        XML_Parse(parser.get(), text.data(), static_cast<int>(text.size()), XML_TRUE);
    if (!parse.error.empty()) {
        error = std::move(parse.error);
        return std::nullopt;
    }
    if (status != XML_STATUS_OK) {
        error = std::string("the request is not well-formed XML: ") +
                XML_ErrorString(XML_GetErrorCode(parser.get()));
        return std::nullopt;
    }
    // An empty <body/> ends where it starts: no payload.
    if (parse.payload_end > parse.payload_start)
        parse.request.payload =
            text.substr(parse.payload_start, parse.payload_end - parse.payload_start);
    return std::move(parse.request);
}

std::string response(std::string_view attributes, std::string_view payload) {
    std::string out;
    out.reserve(64 + attributes.size() + payload.size());
    out += "<body xmlns='";
    out += ns_httpbind;
    out += '\'';
    out += attributes;
    if (payload.empty()) return out + "/>";
    out += '>';
    out += payload;
    out += "</body>";
    return out;
}

HttpResponse http_response(std::string body) {
    HttpResponse out;
    out.headers = {{"Content-Type", "text/xml; charset=utf-8"},
                   {"Cache-Control", "no-store"},
                   {"Access-Control-Allow-Origin", "*"}};
    out.body = std::move(body);
    return out;
}

std::string terminate(std::string_view condition) {
    std::string attributes = " type='terminate' condition='";
    xml::escape(condition, attributes);
    attributes += '\'';
    return response(attributes, "");
}

}  // namespace starling::bosh
