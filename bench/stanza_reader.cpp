#include "bench/stanza_reader.hpp"

#include <cstring>

namespace bench {
namespace {

// XML_ParserCreateNS joins namespace and local name with this separator.
constexpr char separator = '\x01';

constexpr std::string_view ns_streams = "http://etherx.jabber.org/streams";
constexpr std::string_view ns_stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
constexpr std::string_view ns_muc_user = "http://jabber.org/protocol/muc#user";

struct split_name {
    std::string_view ns;
    std::string_view local;
};

split_name split(const XML_Char* name) {
    std::string_view full(name);
    const auto at = full.find(separator);
    if (at == std::string_view::npos) return {{}, full};
    return {full.substr(0, at), full.substr(at + 1)};
}

}  // namespace

void stanza::clear() {
    name.clear();
    ns.clear();
    type.clear();
    id.clear();
    from.clear();
    text.clear();
    body.clear();
    jid.clear();
    condition.clear();
    error_text.clear();
    mechanisms.clear();
    features = 0;
    muc_status = 0;
    has_body = false;
    has_subject = false;
}

bool stanza::offers_mechanism(std::string_view mechanism) const {
    std::string_view list(mechanisms);
    while (!list.empty()) {
        const auto end = list.find(' ');
        if (list.substr(0, end) == mechanism) return true;
        if (end == std::string_view::npos) break;
        list.remove_prefix(end + 1);
    }
    return false;
}

stanza_reader::stanza_reader(stanza_sink& sink)
    : sink_(sink), parser_(XML_ParserCreateNS(nullptr, separator)) {
    install_handlers();
}

stanza_reader::~stanza_reader() {
    XML_ParserFree(parser_);
}

void stanza_reader::install_handlers() {
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &stanza_reader::on_start, &stanza_reader::on_end);
    XML_SetCharacterDataHandler(parser_, &stanza_reader::on_text);
    // Deferral would hold back a stanza that arrived complete until more bytes come, which on
    // a quiet stream is forever and on a busy one inflates the measured latency.
#if HAVE_DECL_XML_SETREPARSEDEFERRALENABLED
    XML_SetReparseDeferralEnabled(parser_, XML_FALSE);
#endif
}

void stanza_reader::reset() {
    XML_ParserReset(parser_, nullptr);
    install_handlers();
    current_.clear();
    depth_ = 0;
    capture_ = capture::none;
    in_error_ = false;
    in_bind_or_session_ = false;
    in_muc_user_ = false;
}

bool stanza_reader::feed(const char* data, std::size_t size) {
    return XML_Parse(parser_, data, static_cast<int>(size), XML_FALSE) == XML_STATUS_OK;
}

std::string stanza_reader::error() const {
    const auto code = XML_GetErrorCode(parser_);
    if (code == XML_ERROR_NONE) return "no error";
    return std::string(XML_ErrorString(code)) + " at line " +
           std::to_string(XML_GetCurrentLineNumber(parser_));
}

void stanza_reader::on_start(void* self_pointer, const XML_Char* name,
                             const XML_Char** attributes) {
    auto& self = *static_cast<stanza_reader*>(self_pointer);
    auto& s = self.current_;
    const auto [ns, local] = split(name);
    const int depth = self.depth_++;
    if (depth == 0) {
        std::string_view stream_id;
        for (auto a = attributes; *a; a += 2)
            if (std::strcmp(a[0], "id") == 0) stream_id = a[1];
        self.sink_.on_stream_start(stream_id);
        return;
    }
    if (depth == 1) {
        s.clear();
        s.name = local;
        s.ns = ns;
        for (auto a = attributes; *a; a += 2) {
            if (std::strcmp(a[0], "type") == 0)
                s.type = a[1];
            else if (std::strcmp(a[0], "id") == 0)
                s.id = a[1];
            else if (std::strcmp(a[0], "from") == 0)
                s.from = a[1];
        }
        self.capture_ = capture::top;
        // A stream error or a SASL failure names its condition with its first child.
        self.in_error_ = (local == "error" && ns == ns_streams) || local == "failure";
        return;
    }
    self.capture_ = capture::none;
    if (depth == 2) {
        if (local == "error")
            self.in_error_ = true;
        else if (self.in_error_ && local == "text")
            self.capture_ = capture::error_text;
        else if (self.in_error_ && s.condition.empty())
            s.condition = local;
        else if (local == "body" && s.name == "message") {
            s.has_body = true;
            self.capture_ = capture::body;
        } else if (local == "subject" && s.name == "message") {
            s.has_subject = true;
        } else if (local == "x" && ns == ns_muc_user && s.name == "presence") {
            self.in_muc_user_ = true;
        } else if (s.name == "features") {
            if (local == "starttls")
                s.features |= feature_starttls;
            else if (local == "mechanisms")
                s.features |= feature_mechanisms;
            else if (local == "bind")
                s.features |= feature_bind;
            else if (local == "session")
                s.features |= feature_session;
            else if (local == "register")
                s.features |= feature_register;
            self.in_bind_or_session_ = local == "session";
        } else if (local == "bind") {
            self.in_bind_or_session_ = true;
        }
        return;
    }
    if (depth == 3) {
        if (self.in_error_ && local == "text")
            self.capture_ = capture::error_text;
        else if (self.in_error_ && s.condition.empty() && ns == ns_stanzas)
            s.condition = local;
        else if (s.name == "features" && local == "mechanism")
            self.capture_ = capture::mechanism;
        else if (s.name == "features" && local == "optional" && self.in_bind_or_session_)
            s.features |= feature_session_optional;
        else if (s.name == "iq" && local == "jid" && self.in_bind_or_session_)
            self.capture_ = capture::jid;
        else if (self.in_muc_user_ && local == "status") {
            for (auto a = attributes; *a; a += 2) {
                if (std::strcmp(a[0], "code") != 0) continue;
                if (std::strcmp(a[1], "110") == 0) s.muc_status |= muc_status_self;
                if (std::strcmp(a[1], "201") == 0) s.muc_status |= muc_status_created;
            }
        }
    }
}

void stanza_reader::on_end(void* self_pointer, const XML_Char*) {
    auto& self = *static_cast<stanza_reader*>(self_pointer);
    const int depth = --self.depth_;
    if (depth == 0) {
        self.sink_.on_stream_end();
        return;
    }
    if (depth == 1) {
        self.capture_ = capture::none;
        self.in_error_ = false;
        self.in_bind_or_session_ = false;
        self.in_muc_user_ = false;
        self.sink_.on_stanza(self.current_);
        return;
    }
    if (depth == 2) {
        // Back at the top level: SASL text after a child is still the element's own.
        self.capture_ = capture::top;
        if (self.current_.name == "iq") self.in_bind_or_session_ = false;
        self.in_muc_user_ = false;
        return;
    }
    if (self.capture_ == capture::mechanism) self.current_.mechanisms += ' ';
    self.capture_ = capture::none;
}

void stanza_reader::on_text(void* self_pointer, const XML_Char* text, int length) {
    auto& self = *static_cast<stanza_reader*>(self_pointer);
    const std::string_view chunk(text, static_cast<std::size_t>(length));
    switch (self.capture_) {
        case capture::none:
            break;
        case capture::top:
            self.current_.text += chunk;
            break;
        case capture::body:
            self.current_.body += chunk;
            break;
        case capture::jid:
            self.current_.jid += chunk;
            break;
        case capture::mechanism:
            self.current_.mechanisms += chunk;
            break;
        case capture::error_text:
            self.current_.error_text += chunk;
            break;
    }
}

}  // namespace bench
