#include "xml_stream_reader.hpp"

namespace starling::scenarios {
namespace {

constexpr char ns_separator = '\x01';

// expat reports "namespace<sep>local"; split it back.
void split_name(const XML_Char* expanded, std::string& ns, std::string& local) {
    std::string name(expanded);
    auto pos = name.find(ns_separator);
    if (pos == std::string::npos) {
        ns.clear();
        local = name;
    } else {
        ns = name.substr(0, pos);
        local = name.substr(pos + 1);
    }
}

}  // namespace

xml_stream_reader::xml_stream_reader() { reset(); }

xml_stream_reader::~xml_stream_reader() {
    if (parser_) XML_ParserFree(parser_);
}

void xml_stream_reader::reset() {
    if (parser_) XML_ParserFree(parser_);
    parser_ = XML_ParserCreateNS(nullptr, ns_separator);
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, on_start, on_end);
    XML_SetCharacterDataHandler(parser_, on_text);
    header_.reset();
    elements_.clear();
    open_.clear();
    closed_ = false;
    error_.clear();
}

bool xml_stream_reader::feed(std::string_view bytes) {
    if (!error_.empty()) return false;
    if (XML_Parse(parser_, bytes.data(), static_cast<int>(bytes.size()), 0) == XML_STATUS_OK)
        return true;
    error_ = XML_ErrorString(XML_GetErrorCode(parser_));
    return false;
}

void xml_stream_reader::on_start(void* self_pointer, const XML_Char* name,
                                 const XML_Char** attributes) {
    auto* self = static_cast<xml_stream_reader*>(self_pointer);
    xml_element element;
    split_name(name, element.ns, element.name);
    for (int i = 0; attributes[i] != nullptr; i += 2) {
        std::string ns, local;
        split_name(attributes[i], ns, local);
        if (ns == "http://www.w3.org/XML/1998/namespace") local = "xml:" + local;
        element.attributes[local] = attributes[i + 1];
    }
    if (!self->header_) {
        self->header_ = std::move(element);
        return;
    }
    self->open_.push_back(std::move(element));
}

void xml_stream_reader::on_end(void* self_pointer, const XML_Char*) {
    auto* self = static_cast<xml_stream_reader*>(self_pointer);
    if (self->open_.empty()) {
        self->closed_ = true;
        return;
    }
    xml_element done = std::move(self->open_.back());
    self->open_.pop_back();
    if (self->open_.empty())
        self->elements_.push_back(std::move(done));
    else
        self->open_.back().children.push_back(std::move(done));
}

void xml_stream_reader::on_text(void* self_pointer, const XML_Char* text, int length) {
    auto* self = static_cast<xml_stream_reader*>(self_pointer);
    // Whitespace between top-level elements (keepalives) belongs to no element.
    if (!self->open_.empty()) self->open_.back().text.append(text, length);
}

}  // namespace starling::scenarios
