#include "websocket_client.hpp"

#include "scenario.hpp"
#include "web_client_steps.hpp"
#include "xml_stream_reader.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <variant>

namespace starling::scenarios {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* ns_framing = "urn:ietf:params:xml:ns:xmpp-framing";
constexpr const char* ns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";

}  // namespace

struct websocket_client::impl {
    asio::io_context io;
    asio::ssl::context tls{asio::ssl::context::tls_client};
    std::variant<std::unique_ptr<websocket::stream<tcp::socket>>,
                 std::unique_ptr<websocket::stream<asio::ssl::stream<tcp::socket>>>>
        ws;
    beast::flat_buffer buffer;
    bool reading = false;
    std::optional<std::string> arrived;  // a message read, not yet taken
    beast::error_code read_error;

    template <class Fn>
    void visit(Fn&& fn) {
        std::visit([&](auto& stream) { fn(*stream); }, ws);
    }
};

websocket_client::websocket_client(std::uint16_t port, settings how)
    : impl_(std::make_unique<impl>()) {
    impl_->tls.set_verify_mode(asio::ssl::verify_none);
    tcp::socket socket(impl_->io);
    socket.open(tcp::v4());
    if (how.receive_buffer > 0)
        socket.set_option(asio::socket_base::receive_buffer_size(how.receive_buffer));
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    if (how.tls) {
        auto stream = std::make_unique<websocket::stream<asio::ssl::stream<tcp::socket>>>(
            std::move(socket), impl_->tls);
        SSL_set_tlsext_host_name(stream->next_layer().native_handle(), how.server_name.c_str());
        stream->next_layer().handshake(asio::ssl::stream_base::client);
        impl_->ws = std::move(stream);
    } else {
        impl_->ws = std::make_unique<websocket::stream<tcp::socket>>(std::move(socket));
    }
    websocket::response_type response;
    beast::error_code ec;
    impl_->visit([&](auto& ws) {
        ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& request) {
            if (!how.protocol.empty())
                request.set(beast::http::field::sec_websocket_protocol, how.protocol);
        }));
        ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::ping) ++pings_;
        });
        ws.handshake(response, how.server_name, how.path, ec);
    });
    require(!ec, "the WebSocket handshake failed: " + ec.message() + " (HTTP " +
                     std::to_string(response.result_int()) + ")");
    accepted_protocol_ =
        std::string(response[beast::http::field::sec_websocket_protocol]);
}

websocket_client::~websocket_client() = default;

void websocket_client::send(std::string_view text) {
    beast::error_code ec;
    impl_->visit([&](auto& ws) {
        ws.text(true);
        ws.write(asio::buffer(text.data(), text.size()), ec);
    });
    require(!ec, "a WebSocket message could not be sent: " + ec.message());
}

std::optional<std::string> websocket_client::next_message(std::chrono::milliseconds timeout) {
    if (closed_) return std::nullopt;
    auto& state = *impl_;
    if (!state.reading && !state.arrived) {
        state.reading = true;
        state.visit([&](auto& ws) {
            ws.async_read(state.buffer, [&state, &ws, this](beast::error_code ec, std::size_t) {
                state.reading = false;
                if (ec) {
                    state.read_error = ec;
                    closed_ = true;
                    close_code_ = ws.reason().code;
                    return;
                }
                state.arrived = beast::buffers_to_string(state.buffer.data());
                state.buffer.consume(state.buffer.size());
            });
        });
    }
    // Until the read completes (a message, or the end); pings are answered meanwhile.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (state.reading && std::chrono::steady_clock::now() < deadline) {
        state.io.restart();
        state.io.run_one_until(deadline);
    }
    if (!state.arrived) return std::nullopt;
    auto message = std::move(state.arrived);
    state.arrived.reset();
    return message;
}

xml_element websocket_client::next_element(std::chrono::milliseconds timeout) {
    auto message = next_message(timeout);
    require(message.has_value(), closed_ ? "the server ended the WebSocket (close code " +
                                               std::to_string(close_code_) + ")"
                                         : "no WebSocket message arrived in time");
    // A document of its own: inside a wrapper that declares nothing, so an element relying on
    // a namespace declared elsewhere fails here.
    xml_stream_reader reader;
    require(reader.feed("<message-wrapper>") && reader.feed(*message),
            "a WebSocket message is not well-formed XML on its own: " + *message + " (" +
                reader.error() + ")");
    require(reader.elements().size() == 1,
            "a WebSocket message must hold exactly one element: " + *message);
    return reader.elements().front();
}

xml_element websocket_client::expect(const std::string& name, const std::string& ns,
                                     std::chrono::milliseconds timeout) {
    auto element = next_element(timeout);
    require(element.name == name && element.ns == ns,
            "expected <" + name + " xmlns='" + ns + "'>, got " + element.to_string());
    return element;
}

bool websocket_client::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline)
        next_message(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
    return closed_;
}

void websocket_client::drop() {
    impl_->visit([](auto& ws) {
        beast::error_code ec;
        beast::get_lowest_layer(ws).close(ec);
    });
    closed_ = true;
}

std::string websocket_client::login(const std::string& jid, const std::string& password,
                                    const std::string& resource) {
    const std::string domain = jid.substr(jid.find('@') + 1);
    const std::string open = "<open xmlns='" + std::string(ns_framing) + "' to='" + domain +
                             "' version='1.0'/>";
    send(open);
    expect("open", ns_framing);
    auto features = expect("features", "http://etherx.jabber.org/streams");
    require(features.child("mechanisms", ns_sasl) != nullptr,
            "no SASL mechanisms offered over the WebSocket: " + features.to_string());
    send(plain_auth(jid, password));
    expect("success", ns_sasl);
    send(open);
    expect("open", ns_framing);
    require_bind_offered(expect("features", "http://etherx.jabber.org/streams"));
    send(bind_request(resource));
    return bound_jid(expect("iq", "jabber:client"));
}

}  // namespace starling::scenarios
