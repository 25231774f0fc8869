#include "strophe_client.hpp"

#include "scenario.hpp"

#include <cstring>

namespace starling::scenarios {
namespace {

constexpr const char* streams_ns = "urn:ietf:params:xml:ns:xmpp-streams";
bool debug_log = false;

xmpp_ctx_t* shared_context() {
    // One context for every client of a scenario, so waiting on one client keeps serving the
    // others (a session being replaced must see its stream error while the new one binds).
    static xmpp_ctx_t* context = [] {
        xmpp_initialize();
        return xmpp_ctx_new(nullptr, debug_log ? xmpp_get_default_logger(XMPP_LEVEL_DEBUG)
                                               : nullptr);
    }();
    return context;
}

void run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline)
        xmpp_run_once(shared_context(), 20);
}

}  // namespace

void enable_strophe_debug_log() { debug_log = true; }

void run_strophe_for(std::chrono::milliseconds duration) {
    run_until([] { return false; }, duration);
}

std::string stanza_text(xmpp_stanza_t* stanza) {
    char* buffer = nullptr;
    size_t length = 0;
    if (xmpp_stanza_to_text(stanza, &buffer, &length) != XMPP_EOK) return "<unprintable>";
    std::string text(buffer, length);
    xmpp_free(shared_context(), buffer);
    return text;
}

std::string stanza_attribute(xmpp_stanza_t* stanza, const char* name) {
    if (stanza == nullptr) return "";
    const char* value = xmpp_stanza_get_attribute(stanza, name);
    return value ? value : "";
}

xmpp_stanza_t* stanza_child(xmpp_stanza_t* stanza, const char* name, const char* ns) {
    if (stanza == nullptr) return nullptr;
    if (ns == nullptr) return xmpp_stanza_get_child_by_name(stanza, name);
    return xmpp_stanza_get_child_by_name_and_ns(stanza, name, ns);
}

std::string stanza_content(xmpp_stanza_t* stanza) {
    if (stanza == nullptr) return "";
    char* text = xmpp_stanza_get_text(stanza);
    if (text == nullptr) return "";
    std::string result(text);
    xmpp_free(shared_context(), text);
    return result;
}

strophe_client::strophe_client(std::string jid, std::string password, std::uint16_t port,
                               transport mode)
    : jid_(std::move(jid)), port_(port), conn_(xmpp_conn_new(shared_context())) {
    xmpp_conn_set_jid(conn_, jid_.c_str());
    xmpp_conn_set_pass(conn_, password.c_str());
    // Stream management off: tests send raw XML, which would otherwise upset its counters.
    long flags = XMPP_CONN_FLAG_TRUST_TLS | XMPP_CONN_FLAG_DISABLE_SM;
    flags |= mode == transport::direct_tls ? XMPP_CONN_FLAG_LEGACY_SSL
                                           : XMPP_CONN_FLAG_MANDATORY_TLS;
    xmpp_conn_set_flags(conn_, flags);
}

strophe_client::~strophe_client() {
    if (state_ == state::connected || state_ == state::connecting) {
        xmpp_disconnect(conn_);
        run_until([this] { return state_ == state::disconnected; }, std::chrono::seconds(2));
    }
    xmpp_conn_release(conn_);
}

void strophe_client::on_connection(xmpp_conn_t* conn, xmpp_conn_event_t event, int error,
                                   xmpp_stream_error_t* stream_error, void* userdata) {
    auto* self = static_cast<strophe_client*>(userdata);
    if (event == XMPP_CONN_CONNECT) {
        self->state_ = state::connected;
        xmpp_handler_add(conn, on_stanza, nullptr, nullptr, nullptr, self);
        return;
    }
    self->state_ = state::disconnected;
    self->socket_error_ = error;
    if (stream_error != nullptr && stream_error->stanza != nullptr) {
        self->stream_error_text_ = stanza_text(stream_error->stanza);
        for (xmpp_stanza_t* child = xmpp_stanza_get_children(stream_error->stanza); child;
             child = xmpp_stanza_get_next(child)) {
            const char* ns = xmpp_stanza_get_ns(child);
            const char* name = xmpp_stanza_get_name(child);
            if (xmpp_stanza_is_tag(child) && ns && std::strcmp(ns, streams_ns) == 0 &&
                std::strcmp(name, "text") != 0) {
                self->stream_error_ = name;
                break;
            }
        }
    }
}

int strophe_client::on_stanza(xmpp_conn_t*, xmpp_stanza_t* stanza, void* userdata) {
    auto* self = static_cast<strophe_client*>(userdata);
    self->received_.emplace_back(xmpp_stanza_copy(stanza));
    return 1;
}

bool strophe_client::try_login(std::chrono::milliseconds timeout) {
    require(state_ == state::idle, "client " + jid_ + " already used");
    state_ = state::connecting;
    int rc = xmpp_connect_client(conn_, "127.0.0.1", port_, on_connection, this);
    require(rc == XMPP_EOK, "xmpp_connect_client failed for " + jid_);
    run_until([this] { return state_ != state::connecting; }, timeout);
    return state_ == state::connected;
}

void strophe_client::login(std::chrono::milliseconds timeout) {
    if (try_login(timeout)) return;
    std::string reason = state_ == state::connecting ? "timed out"
                                                     : "stream ended (socket error " +
                                                           std::to_string(socket_error_) + ")";
    if (!stream_error_text_.empty()) reason += " with " + stream_error_text_;
    throw scenario_failure("login of " + jid_ + " failed: " + reason);
}

void strophe_client::send(const std::string& xml) {
    require(state_ == state::connected, "cannot send as " + jid_ + ": not connected");
    xmpp_send_raw(conn_, xml.data(), xml.size());
}

std::string strophe_client::backlog_text() const {
    std::string text;
    for (const auto& stanza : received_) text += stanza_text(stanza.get()) + "\n";
    return text.empty() ? "nothing" : text;
}

stanza_ptr strophe_client::wait_for(const std::function<bool(xmpp_stanza_t*)>& matches,
                                    const std::string& what, std::chrono::milliseconds timeout) {
    stanza_ptr found;
    auto take_match = [&] {
        for (auto it = received_.begin(); it != received_.end(); ++it) {
            if (matches(it->get())) {
                found = std::move(*it);
                received_.erase(it);
                return true;
            }
        }
        return state_ == state::disconnected;
    };
    run_until(take_match, timeout);
    if (found) return found;
    std::string ended = state_ == state::disconnected ? " (" + end_reason() + ")" : "";
    throw scenario_failure(jid_ + " did not receive " + what + ended + "; received: " +
                           backlog_text());
}

std::vector<stanza_ptr> strophe_client::take_all(
    const std::function<bool(xmpp_stanza_t*)>& matches) {
    std::vector<stanza_ptr> taken;
    for (auto it = received_.begin(); it != received_.end();) {
        if (matches(it->get())) {
            taken.push_back(std::move(*it));
            it = received_.erase(it);
        } else {
            ++it;
        }
    }
    return taken;
}

stanza_ptr strophe_client::request(const std::string& iq_xml, const std::string& id,
                                   std::chrono::milliseconds timeout) {
    send(iq_xml);
    return wait_for(
        [&](xmpp_stanza_t* stanza) {
            return std::strcmp(xmpp_stanza_get_name(stanza), "iq") == 0 &&
                   stanza_attribute(stanza, "id") == id;
        },
        "the reply to iq " + id, timeout);
}

std::string strophe_client::end_reason() const {
    if (state_ != state::disconnected) return "";
    if (!stream_error_text_.empty()) return "stream ended: " + stream_error_text_;
    if (socket_error_ == 0) return "stream ended: the connection was closed";
    return "stream ended: socket error " + std::to_string(socket_error_) + " (" +
           std::strerror(socket_error_) + ")";
}

bool strophe_client::wait_disconnected(std::chrono::milliseconds timeout) {
    run_until([this] { return state_ == state::disconnected; }, timeout);
    return state_ == state::disconnected;
}

std::string strophe_client::bound_jid() const {
    const char* jid = xmpp_conn_get_bound_jid(conn_);
    return jid ? jid : "";
}

}  // namespace starling::scenarios
