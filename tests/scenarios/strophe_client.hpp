#pragma once

#include <strophe.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace starling::scenarios {

/// Turns on libstrophe's debug log (stderr) for every client created afterwards.
void enable_strophe_debug_log();

/// Runs the shared libstrophe event loop for about `duration`, serving every client.
void run_strophe_for(std::chrono::milliseconds duration);

struct stanza_release {
    void operator()(xmpp_stanza_t* stanza) const { xmpp_stanza_release(stanza); }
};
using stanza_ptr = std::unique_ptr<xmpp_stanza_t, stanza_release>;

/// The stanza as XML text, for assertions and failure messages.
std::string stanza_text(xmpp_stanza_t* stanza);
// These take a null stanza (what a missing child gives) as an empty one, so that a chain of
// lookups fails its assertion instead of crashing the scenario.
/// The attribute's value, or "" when it is absent.
std::string stanza_attribute(xmpp_stanza_t* stanza, const char* name);
/// The first child element called `name` in namespace `ns` (any namespace when null), or
/// nullptr.
xmpp_stanza_t* stanza_child(xmpp_stanza_t* stanza, const char* name, const char* ns);
/// The concatenated text content of the element, "" if there is none.
std::string stanza_content(xmpp_stanza_t* stanza);

/// A libstrophe client for one account. It always connects to 127.0.0.1 and the given port (so
/// libstrophe never resolves the domain), trusts the test certificate, and records every stanza
/// it receives after login and the stream error that ended the stream, if any.
class strophe_client {
public:
    enum class transport { starttls, direct_tls };

    strophe_client(std::string jid, std::string password, std::uint16_t port,
                   transport mode = transport::starttls);
    ~strophe_client();
    strophe_client(const strophe_client&) = delete;
    strophe_client& operator=(const strophe_client&) = delete;

    /// Connects, authenticates and binds within `timeout`; fails the scenario otherwise.
    void login(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    /// Starts a login and waits for its outcome; true on success, false if the stream ended.
    bool try_login(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    /// Sends XML text as it is (the caller writes exactly what goes on the wire).
    void send(const std::string& xml);

    /// Waits for a received stanza that `matches`, removes it from the backlog and returns it;
    /// fails the scenario with `what` and everything received so far after `timeout`.
    stanza_ptr wait_for(const std::function<bool(xmpp_stanza_t*)>& matches,
                        const std::string& what,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Removes and returns, in arrival order, every stanza already received that `matches`
    /// (no waiting: for what the server sent before a reply the caller already has).
    std::vector<stanza_ptr> take_all(const std::function<bool(xmpp_stanza_t*)>& matches);

    /// Sends an iq and waits for the reply with the same id.
    stanza_ptr request(const std::string& iq_xml, const std::string& id,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Waits until the stream ends; true if it did within `timeout`.
    bool wait_disconnected(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    bool connected() const { return state_ == state::connected; }
    /// How the stream ended (the stream error, or the socket error), "" while it has not.
    std::string end_reason() const;
    /// The full JID the server bound.
    std::string bound_jid() const;
    /// The defined condition of the stream error that ended the stream (e.g. "conflict").
    const std::optional<std::string>& stream_error() const { return stream_error_; }
    /// The whole <stream:error/> element as text, "" if none arrived.
    const std::string& stream_error_text() const { return stream_error_text_; }

private:
    enum class state { idle, connecting, connected, disconnected };

    static void on_connection(xmpp_conn_t* conn, xmpp_conn_event_t event, int error,
                              xmpp_stream_error_t* stream_error, void* userdata);
    static int on_stanza(xmpp_conn_t* conn, xmpp_stanza_t* stanza, void* userdata);
    std::string backlog_text() const;

    std::string jid_;
    std::uint16_t port_;
    xmpp_conn_t* conn_;
    state state_ = state::idle;
    int socket_error_ = 0;
    std::optional<std::string> stream_error_;
    std::string stream_error_text_;
    std::deque<stanza_ptr> received_;
};

}  // namespace starling::scenarios
