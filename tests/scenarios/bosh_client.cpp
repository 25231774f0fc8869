#include "bosh_client.hpp"

#include "scenario.hpp"
#include "web_client_steps.hpp"
#include "xml_stream_reader.hpp"

#include <algorithm>
#include <random>

namespace starling::scenarios {
namespace {

constexpr const char* ns_httpbind = "http://jabber.org/protocol/httpbind";
constexpr const char* ns_sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr const char* ns_streams = "http://etherx.jabber.org/streams";
using clock = std::chrono::steady_clock;

std::chrono::milliseconds left_until(clock::time_point deadline) {
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()));
}

}  // namespace

struct bosh_client::connection {
    http_client http;
    bool busy = false;
    explicit connection(std::uint16_t port) : http(port) {}
};

bosh_reply parse_bosh_reply(const http_reply& http) {
    bosh_reply reply;
    reply.http = http;
    xml_stream_reader reader;
    require(reader.feed(http.body) && reader.header() && reader.closed(),
            "a BOSH answer is not one well-formed document: " + http.to_string() + " (" +
                reader.error() + ")");
    reply.body = *reader.header();
    require(reply.body.name == "body" && reply.body.ns == ns_httpbind,
            "a BOSH answer is not a <body/> of " + std::string(ns_httpbind) + ": " + http.body);
    reply.payloads.assign(reader.elements().begin(), reader.elements().end());
    return reply;
}

bosh_client::bosh_client(std::uint16_t port, settings how) : port_(port), how_(std::move(how)) {
    // XEP-0124 §14.1: a large random first rid, far enough below 2^53.
    std::mt19937_64 random(std::random_device{}());
    rid_ = 1'000'000 + random() % 1'000'000'000'000ULL;
}

bosh_client::~bosh_client() = default;

bosh_client::connection& bosh_client::free_connection() {
    for (auto& c : connections_)
        if (!c->busy && !c->http.stream().ended()) return *c;
    connections_.push_back(std::make_unique<connection>(port_));
    if (how_.tls) connections_.back()->http.start_tls(how_.to);
    return *connections_.back();
}

std::uint64_t bosh_client::post(std::uint64_t rid, const std::string& payload,
                                const std::string& attributes) {
    std::string body = "<body rid='" + std::to_string(rid) + "'";
    if (!sid_.empty() && attributes.find(" sid=") == std::string::npos) body += " sid='" + sid_ + "'";
    body += attributes;
    body += " xmlns='" + std::string(ns_httpbind) + "' xmlns:xmpp='urn:xmpp:xbosh'";
    body += payload.empty() ? "/>" : ">" + payload + "</body>";
    auto& c = free_connection();
    c.http.send("POST " + how_.path + " HTTP/1.1\r\nHost: " + how_.to +
                "\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
    c.busy = true;
    outstanding_.push_back(request{rid, &c});
    return rid;
}

bosh_reply bosh_client::create() {
    const auto rid = post(rid_++, "",
                          " to='" + how_.to + "' xml:lang='en' wait='" + std::to_string(how_.wait) +
                              "' hold='" + std::to_string(how_.hold) +
                              "' ver='1.6' xmpp:version='1.0'");
    auto reply = answer(rid);
    require(reply.http.status == 200 && !reply.terminated() && !reply.body.attribute("sid").empty(),
            "no BOSH session was created: " + reply.http.to_string());
    sid_ = reply.body.attribute("sid");
    last_ = reply;
    creation_ = reply;
    payloads_.insert(payloads_.end(), reply.payloads.begin(), reply.payloads.end());
    return reply;
}

std::uint64_t bosh_client::send(const std::string& payload, const std::string& attributes) {
    return post(rid_++, payload, attributes);
}

std::uint64_t bosh_client::send_rid(std::uint64_t rid, const std::string& payload,
                                    const std::string& attributes) {
    return post(rid, payload, attributes);
}

bosh_reply bosh_client::answer(std::uint64_t rid, std::chrono::milliseconds timeout) {
    const auto it = std::find_if(outstanding_.begin(), outstanding_.end(),
                                 [rid](const request& r) { return r.rid == rid; });
    require(it != outstanding_.end(), "no request " + std::to_string(rid) + " is outstanding");
    connection* via = it->via;
    outstanding_.erase(it);
    auto http = via->http.next_reply(timeout);
    via->busy = false;
    require(http.has_value(), "no answer to BOSH request " + std::to_string(rid) + " in time" +
                                  (via->http.stream().ended() ? " (connection closed)" : ""));
    return parse_bosh_reply(*http);
}

void bosh_client::drop(std::uint64_t rid) {
    const auto it = std::find_if(outstanding_.begin(), outstanding_.end(),
                                 [rid](const request& r) { return r.rid == rid; });
    require(it != outstanding_.end(), "no request " + std::to_string(rid) + " is outstanding");
    connection* via = it->via;
    outstanding_.erase(it);
    std::erase_if(connections_, [via](const auto& c) { return c.get() == via; });
}

std::size_t bosh_client::outstanding() const {
    return outstanding_.size();
}

xml_element bosh_client::next(std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (payloads_.empty()) {
        require(clock::now() < deadline, "no BOSH payload arrived in time");
        // One request waits at the server for whatever comes, as a real client keeps one.
        if (outstanding_.empty()) send("");
        auto reply = answer(outstanding_.front().rid, left_until(deadline));
        require(reply.http.status == 200, "BOSH request refused: " + reply.http.to_string());
        last_ = reply;
        payloads_.insert(payloads_.end(), reply.payloads.begin(), reply.payloads.end());
        require(!payloads_.empty() || !reply.terminated(),
                "the server ended the BOSH session: " + reply.http.body);
    }
    auto element = std::move(payloads_.front());
    payloads_.pop_front();
    return element;
}

xml_element bosh_client::expect(const std::string& name, const std::string& ns,
                                std::chrono::milliseconds timeout) {
    auto element = next(timeout);
    require(element.name == name && element.ns == ns,
            "expected <" + name + " xmlns='" + ns + "'>, got " + element.to_string());
    return element;
}

void bosh_client::authenticate(const std::string& jid, const std::string& password) {
    create();
    auto features = expect("features", ns_streams);
    require(features.child("mechanisms", ns_sasl) != nullptr,
            "no SASL mechanisms offered over BOSH: " + features.to_string());
    send(plain_auth(jid, password));
    expect("success", ns_sasl);
    // XEP-0206 §5: the stream restarts with a request of its own.
    send("", " to='" + how_.to + "' xml:lang='en' xmpp:restart='true'");
    require_bind_offered(expect("features", ns_streams));
}

std::string bosh_client::login(const std::string& jid, const std::string& password,
                               const std::string& resource) {
    authenticate(jid, password);
    send(bind_request(resource));
    return bound_jid(expect("iq", "jabber:client"));
}

}  // namespace starling::scenarios
