#include "raw_session.hpp"

#include "scenario.hpp"
#include "scram_client.hpp"
#include "xmpp_names.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace starling::scenarios {

std::string stream_header(const std::string& to) {
    return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams' to='" +
           to + "' version='1.0' xml:lang='en'>";
}

std::string error_condition(const xml_element& error) {
    for (const auto& child : error.children)
        if (child.name != "text") return child.name;
    return "";
}

raw_session::raw_session(std::uint16_t port, transport mode, const std::string& server_name,
                         int receive_buffer)
    : stream_(port, receive_buffer) {
    if (mode == transport::direct_tls) stream_.start_tls(server_name);
}

const xml_element& raw_session::open(const std::string& to) {
    to_ = to;
    stream_.send(stream_header(to));
    const xml_element& header = stream_.expect_header();
    require(header.name == "stream" && header.ns == ns::streams,
            "expected a stream header, got " + header.to_string());
    auto next = stream_.next_element(std::chrono::seconds(5));
    require(next.has_value(), "no stream features after the stream header");
    require(next->name == "features" && next->ns == ns::streams,
            "expected <stream:features/>, got " + next->to_string());
    features_ = std::move(*next);
    return features_;
}

void raw_session::starttls() {
    require(features_.child("starttls", ns::tls) != nullptr,
            "STARTTLS not offered: " + features_.to_string());
    stream_.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    stream_.expect_element("proceed", ns::tls);
    stream_.start_tls(to_);
    stream_.restart_stream();
    open(to_);
}

bool raw_session::offers_mechanism(const std::string& mechanism) const {
    const xml_element* mechanisms = features_.child("mechanisms", ns::sasl);
    if (mechanisms == nullptr) return false;
    for (const auto& offered : mechanisms->children)
        if (offered.name == "mechanism" && offered.text == mechanism) return true;
    return false;
}

std::string raw_session::channel_binding_data(const std::string& binding_type) const {
    SSL* ssl = stream_.ssl();
    require(ssl != nullptr, "channel binding needs TLS");
    if (binding_type == "tls-exporter") {
        static const char label[] = "EXPORTER-Channel-Binding";
        unsigned char out[32];
        require(SSL_export_keying_material(ssl, out, sizeof out, label, sizeof label - 1, nullptr,
                                           0, 0) == 1,
                "SSL_export_keying_material failed");
        return std::string(reinterpret_cast<char*>(out), sizeof out);
    }
    require(binding_type == "tls-server-end-point", "unknown channel binding " + binding_type);
    // RFC 5929 §4.1: the certificate's signature hash, with MD5 and SHA-1 upgraded to SHA-256.
    X509* certificate = stream_.peer_certificate();
    int digest_nid = 0;
    X509_get_signature_info(certificate, &digest_nid, nullptr, nullptr, nullptr);
    const EVP_MD* digest = EVP_get_digestbynid(digest_nid);
    if (digest == nullptr || digest_nid == NID_md5 || digest_nid == NID_sha1) digest = EVP_sha256();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    X509_digest(certificate, digest, out, &length);
    return std::string(reinterpret_cast<char*>(out), length);
}

xml_element raw_session::authenticate(const std::string& mechanism, const std::string& username,
                                      const std::string& password,
                                      const std::string& binding_type) {
    const std::string auth_open =
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mechanism + "'>";
    if (mechanism == "PLAIN") {
        stream_.send(
            auth_open +
            base64_encode(std::string("\0", 1) + username + std::string("\0", 1) + password) +
            "</auth>");
        auto result = stream_.next_element(std::chrono::seconds(10));
        require(result.has_value(), "no answer to PLAIN authentication");
        if (result->name == "success") {
            stream_.restart_stream();
            open(to_);
        }
        return *result;
    }
    require(mechanism.rfind("SCRAM-", 0) == 0, "unsupported mechanism " + mechanism);
    const bool plus = mechanism.size() > 5 && mechanism.substr(mechanism.size() - 5) == "-PLUS";
    std::string hash = mechanism.substr(6, mechanism.size() - 6 - (plus ? 5 : 0));
    scram_client scram(hash, username, password, plus ? binding_type : "",
                       plus ? channel_binding_data(binding_type) : "");
    stream_.send(auth_open + base64_encode(scram.first_message()) + "</auth>");
    auto challenge = stream_.next_element(std::chrono::seconds(10));
    require(challenge.has_value(), "no answer to the SCRAM client-first-message");
    if (challenge->name != "challenge") return *challenge;
    stream_.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
                 base64_encode(scram.final_message(base64_decode(challenge->text))) +
                 "</response>");
    auto result = stream_.next_element(std::chrono::seconds(10));
    require(result.has_value(), "no answer to the SCRAM client-final-message");
    // RFC 6120 §6.4.6 lets the server-final-message come in a last challenge instead of in
    // <success/>.
    std::string server_final;
    if (result->name == "challenge") {
        server_final = base64_decode(result->text);
        stream_.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        result = stream_.next_element(std::chrono::seconds(10));
        require(result.has_value(), "no answer after the server-final-message");
    } else if (result->name == "success") {
        server_final = base64_decode(result->text);
    }
    if (result->name == "success") {
        require(scram.server_signature_valid(server_final),
                "wrong server signature in " + server_final);
        stream_.restart_stream();
        open(to_);
    }
    return *result;
}

std::string raw_session::bind(const std::string& resource) {
    require(features_.child("bind", ns::bind) != nullptr,
            "resource binding not offered: " + features_.to_string());
    stream_.send(
        "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        "<resource>" +
        resource + "</resource></bind></iq>");
    auto reply = stream_.expect_element("iq", ns::client);
    require(reply.attribute("type") == "result" && reply.attribute("id") == "bind1",
            "bind failed: " + reply.to_string());
    const xml_element* bound = reply.child("bind", ns::bind);
    require(bound != nullptr && bound->child("jid") != nullptr,
            "bind result without a JID: " + reply.to_string());
    return bound->child("jid")->text;
}

std::string raw_session::login(const std::string& mechanism, const std::string& username,
                               const std::string& password, const std::string& resource) {
    if (features_.name.empty()) open(to_);
    if (stream_.ssl() == nullptr) starttls();
    auto result = authenticate(mechanism, username, password);
    require(result.name == "success",
            mechanism + " login of " + username + " failed: " + result.to_string());
    return bind(resource);
}

std::string raw_session::expect_stream_error(std::chrono::milliseconds timeout) {
    auto error = stream_.next_element(timeout);
    require(error.has_value(),
            "expected a stream error, got " +
                std::string(stream_.reader().closed() ? "end of stream" : "nothing"));
    require(error->name == "error" && error->ns == ns::streams,
            "expected a stream error, got " + error->to_string());
    std::string condition = error_condition(*error);
    const xml_element* defined = error->child(condition, ns::stream_errors);
    require(defined != nullptr,
            "stream error condition not in the streams namespace: " + error->to_string());
    require(stream_.wait_closed(),
            "the server did not close the stream after <" + condition + "/>");
    return condition;
}

}  // namespace starling::scenarios
