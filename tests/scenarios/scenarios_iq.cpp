// IQs answered by the server itself: errors for unknown payloads and the four core modules.
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <ctime>
#include <regex>
#include <set>

namespace starling::scenarios {
namespace {

std::string server_iq(const std::string& type, const std::string& id, const std::string& payload) {
    return "<iq type='" + type + "' id='" + id + "' to='example.test'>" + payload + "</iq>";
}

void require_result_from_server(xmpp_stanza_t* reply, const std::string& id) {
    require(stanza_attribute(reply, "type") == "result", "iq " + id + " failed: " +
                                                             stanza_text(reply));
    require(stanza_attribute(reply, "from") == "example.test",
            "reply not from the server: " + stanza_text(reply));
}

}  // namespace

STARLING_SCENARIO(iq_unknown_namespace_service_unavailable) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    auto reply =
        a.request(server_iq("get", "u-1", "<query xmlns='urn:example:no-such-thing'/>"), "u-1");
    require(stanza_attribute(reply.get(), "type") == "error",
            "expected an error: " + stanza_text(reply.get()));
    require(stanza_error_condition(reply.get()) == "service-unavailable",
            "expected <service-unavailable/>: " + stanza_text(reply.get()));
    xmpp_stanza_t* error = xmpp_stanza_get_child_by_name(reply.get(), "error");
    require(stanza_attribute(error, "type") == "cancel",
            "error type is not cancel: " + stanza_text(reply.get()));
}

STARLING_SCENARIO(disco_info_of_server) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    auto reply = a.request(
        server_iq("get", "d-1", "<query xmlns='http://jabber.org/protocol/disco#info'/>"), "d-1");
    require_result_from_server(reply.get(), "d-1");
    xmpp_stanza_t* query = stanza_child(reply.get(), "query", ns::disco_info);
    require(query != nullptr, "no disco#info query: " + stanza_text(reply.get()));
    bool server_identity = false;
    std::set<std::string> features;
    for (xmpp_stanza_t* child = xmpp_stanza_get_children(query); child;
         child = xmpp_stanza_get_next(child)) {
        if (!xmpp_stanza_is_tag(child)) continue;
        std::string name = xmpp_stanza_get_name(child);
        if (name == "identity" && stanza_attribute(child, "category") == "server" &&
            stanza_attribute(child, "type") == "im")
            server_identity = true;
        if (name == "feature") features.insert(stanza_attribute(child, "var"));
    }
    require(server_identity, "no server/im identity: " + stanza_text(reply.get()));
    for (const char* feature : {ns::disco_info, ns::ping, ns::version, ns::time})
        require(features.count(feature) == 1,
                std::string("feature ") + feature + " missing: " + stanza_text(reply.get()));
}

STARLING_SCENARIO(ping_server) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    auto reply = a.request(server_iq("get", "p-1", "<ping xmlns='urn:xmpp:ping'/>"), "p-1");
    require_result_from_server(reply.get(), "p-1");
    require(stanza_attribute(reply.get(), "to") == a.bound_jid(),
            "reply not addressed to the full JID: " + stanza_text(reply.get()));
}

STARLING_SCENARIO(version_of_server) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    auto reply = a.request(server_iq("get", "v-1", "<query xmlns='jabber:iq:version'/>"), "v-1");
    require_result_from_server(reply.get(), "v-1");
    xmpp_stanza_t* query = stanza_child(reply.get(), "query", ns::version);
    require(query != nullptr, "no version query: " + stanza_text(reply.get()));
    xmpp_stanza_t* name = xmpp_stanza_get_child_by_name(query, "name");
    xmpp_stanza_t* version = xmpp_stanza_get_child_by_name(query, "version");
    require(name != nullptr && stanza_content(name) == "Starling",
            "name is not Starling: " + stanza_text(reply.get()));
    require(version != nullptr && std::regex_match(stanza_content(version),
                                                   std::regex(R"(\d+\.\d+\.\d+.*)")),
            "no x.y.z version: " + stanza_text(reply.get()));
}

STARLING_SCENARIO(time_of_server) {
    server_fixture server(options);
    start_with_accounts(server);
    strophe_client a(alice.jid, alice.password, server.c2s_port());
    a.login();
    auto reply = a.request(server_iq("get", "t-1", "<time xmlns='urn:xmpp:time'/>"), "t-1");
    require_result_from_server(reply.get(), "t-1");
    xmpp_stanza_t* time = stanza_child(reply.get(), "time", ns::time);
    require(time != nullptr, "no time element: " + stanza_text(reply.get()));
    xmpp_stanza_t* tzo = xmpp_stanza_get_child_by_name(time, "tzo");
    xmpp_stanza_t* utc = xmpp_stanza_get_child_by_name(time, "utc");
    require(tzo != nullptr && std::regex_match(stanza_content(tzo),
                                               std::regex(R"(Z|[+-]\d\d:\d\d)")),
            "bad tzo: " + stanza_text(reply.get()));
    std::smatch parts;
    std::string utc_text = utc ? stanza_content(utc) : "";
    require(std::regex_match(utc_text, parts,
                             std::regex(R"((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z)")),
            "bad utc: " + stanza_text(reply.get()));
    std::tm when{};
    when.tm_year = std::stoi(parts[1]) - 1900;
    when.tm_mon = std::stoi(parts[2]) - 1;
    when.tm_mday = std::stoi(parts[3]);
    when.tm_hour = std::stoi(parts[4]);
    when.tm_min = std::stoi(parts[5]);
    when.tm_sec = std::stoi(parts[6]);
    long skew = static_cast<long>(timegm(&when) - std::time(nullptr));
    require(skew > -60 && skew < 60,
            "server clock is " + std::to_string(skew) + " s off: " + utc_text);
}

}  // namespace starling::scenarios
