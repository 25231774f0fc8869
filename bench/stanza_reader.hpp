#pragma once
// A per-connection XMPP stream reader on expat that keeps only what the load generator acts on:
// the top-level stanza's name, type, id and from, a message's body text, SASL payloads, stream
// features and error conditions. Everything else is parsed (and checked) by expat and dropped,
// so tens of thousands of readers stay cheap.

#include <expat.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

/// Stream features the generator negotiates, as bits of `stanza::features`.
enum feature : std::uint32_t {
    feature_starttls = 1u << 0,
    feature_mechanisms = 1u << 1,
    feature_bind = 1u << 2,
    feature_session = 1u << 3,           ///< <session/> advertised
    feature_session_optional = 1u << 4,  ///< ... with <optional/> inside (RFC 3921bis)
    feature_register = 1u << 5,
};

/// MUC status codes of a presence's <x xmlns='http://jabber.org/protocol/muc#user'/>, as bits
/// of `stanza::muc_status` (only the ones the muc scenario acts on).
enum muc_status : std::uint32_t {
    muc_status_self = 1u << 0,     ///< 110: this presence is about the recipient itself
    muc_status_created = 1u << 1,  ///< 201: a new room was created
};

/// One top-level element of the stream (a stanza, features, a SASL or TLS element, an error).
/// Strings keep their capacity between stanzas, so a steady stream allocates nothing.
struct stanza {
    std::string name;       ///< local name: message, iq, presence, features, success, challenge ...
    std::string ns;         ///< namespace of the top-level element
    std::string type;       ///< 'type' attribute
    std::string id;         ///< 'id' attribute
    std::string from;       ///< 'from' attribute
    std::string text;       ///< character data directly inside it (SASL payloads)
    std::string body;       ///< text of a message's <body/>
    std::string jid;        ///< text of <bind><jid/></bind> in a bind result
    std::string condition;  ///< first child of <error/> (stanza, stream or SASL failure condition)
    std::string error_text;  ///< the <text/> of that error, if any
    std::string mechanisms;  ///< advertised SASL mechanisms, each followed by a space
    std::uint32_t features = 0;
    std::uint32_t muc_status = 0;  ///< bits of enum muc_status
    bool has_body = false;
    bool has_subject = false;  ///< a message with a <subject/> (a MUC join ends with one)

    void clear();
    bool offers_mechanism(std::string_view mechanism) const;
};

/// What a reader reports; called synchronously from `feed`.
class stanza_sink {
public:
    virtual void on_stream_start(std::string_view stream_id) = 0;
    virtual void on_stanza(const stanza& s) = 0;
    virtual void on_stream_end() = 0;

protected:
    ~stanza_sink() = default;
};

class stanza_reader {
public:
    explicit stanza_reader(stanza_sink& sink);
    ~stanza_reader();
    stanza_reader(const stanza_reader&) = delete;
    stanza_reader& operator=(const stanza_reader&) = delete;

    /// Parses the next bytes of the stream; false on malformed XML (see `error`).
    bool feed(const char* data, std::size_t size);
    /// Starts over for a new stream (after STARTTLS or SASL success). Must not be called from
    /// inside a sink callback.
    void reset();
    /// expat's description of the last parse error.
    std::string error() const;

private:
    static void on_start(void* self, const XML_Char* name, const XML_Char** attributes);
    static void on_end(void* self, const XML_Char* name);
    static void on_text(void* self, const XML_Char* text, int length);
    void install_handlers();

    stanza_sink& sink_;
    XML_Parser parser_;
    stanza current_;
    int depth_ = 0;
    // Which element the character data belongs to (only the ones that are kept).
    enum class capture : std::uint8_t { none, top, body, jid, mechanism, error_text };
    capture capture_ = capture::none;
    bool in_error_ = false;
    // Inside <bind/> (where the bound JID is) or a <session/> feature (which may be optional).
    bool in_bind_or_session_ = false;
    // Inside a presence's <x xmlns='http://jabber.org/protocol/muc#user'/>.
    bool in_muc_user_ = false;
};

}  // namespace bench
