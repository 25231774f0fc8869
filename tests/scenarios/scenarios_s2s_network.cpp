// Outgoing server-to-server streams against the network as it is: a domain found only through
// DNS (an SRV record for direct TLS, XEP-0368, asked of a DNS server on loopback), a server that
// accepts the connection and never answers, and one that stops reading. What cannot be
// delivered comes back to its sender with the condition that says why; nothing is lost silently.
#include "../unit/net/dns_stub.hpp"
#include "client_steps.hpp"
#include "federation_fixture.hpp"
#include "free_port.hpp"
#include "loopback_listener.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"

#include <algorithm>
#include <csignal>
#include <set>
#include <string>
#include <thread>

namespace starling::scenarios {
namespace {

// A DNS server on 127.0.0.1 answering from its own thread. Records are added before start();
// questions() is read after stop().
class dns_server {
public:
    net::test::DnsStub& records() { return stub_; }
    void start() {
        thread_ = std::thread([this] { io_.run(); });
    }
    const std::vector<std::string>& stop() {
        io_.stop();
        if (thread_.joinable()) thread_.join();
        return stub_.questions();
    }
    ~dns_server() { stop(); }

private:
    boost::asio::io_context io_;
    net::test::DnsStub stub_{io_};
    std::thread thread_;
};

}  // namespace

STARLING_SCENARIO(s2s_domains_found_through_dns_with_direct_tls) {
    temp_dir pki;
    const auto ca = make_test_ca(pki.path());
    server_fixture home(options, {main_host, other_host, &ca});
    server_fixture away(options, {"remote.test", "other-remote.test", &ca});
    const auto home_port = free_loopback_port();
    auto away_port = free_loopback_port();
    while (away_port == home_port) away_port = free_loopback_port();

    // remote.test offers only direct TLS (XEP-0368), example.test only STARTTLS; each SRV
    // target is a host name with an A record.
    dns_server dns;
    dns.records().srv("_xmpps-server._tcp.remote.test", 0, 0, away_port, "xmpp.remote.test");
    dns.records().exists("_xmpp-server._tcp.remote.test");
    dns.records().a("xmpp.remote.test", "127.0.0.1");
    dns.records().srv("_xmpp-server._tcp.example.test", 0, 0, home_port, "xmpp.example.test");
    dns.records().a("xmpp.example.test", "127.0.0.1");
    dns.start();
    // One-way streams (no XEP-0288), so that each server looks the other up.
    const std::string s2s = "s2s:\n  bidi: false\n  ca_file: \"" + ca.certificate +
                            "\"\n  dns_servers: [\"" + dns.records().server() + "\"]\n";
    home.extra_listen += listen_entry("s2s", home_port);
    home.extra_config += s2s;
    home.write_config();
    away.extra_listen += listen_entry("s2s_tls", away_port);
    away.extra_config += s2s;
    away.write_config();
    home.add_account(alice.jid, alice.password);
    home.start();
    away.add_account(carol_jid, carol_password);
    away.start();

    strophe_client a(std::string(alice.jid) + "/desk", alice.password, home.c2s_port());
    a.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, away.c2s_port());
    c.login();
    a.send("<message to='" + c.bound_jid() + "' id='dns-1' type='chat'><body>1</body></message>");
    c.wait_for(stanza_named("message", "dns-1"), "alice's message, over direct TLS");
    c.send("<message to='" + a.bound_jid() + "' id='dns-2' type='chat'><body>2</body></message>");
    a.wait_for(stanza_named("message", "dns-2"), "carol's reply, over STARTTLS");

    const auto listed = home.ctl({"s2s"});
    require(
        listed.out.find("out\texample.test -> remote.test\t127.0.0.1:" + std::to_string(away_port) +
                        "\tready\tEXTERNAL\tTLSv1.") != std::string::npos,
        "home's stream does not go to the SRV target's port:\n" + listed.out);
    const auto& asked = dns.stop();
    const std::set<std::string> questions(asked.begin(), asked.end());
    for (const char* expected :
         {"_xmpps-server._tcp.remote.test SRV", "_xmpp-server._tcp.remote.test SRV",
          "xmpp.remote.test A", "_xmpp-server._tcp.example.test SRV", "xmpp.example.test A"})
        require(questions.count(expected) != 0,
                std::string("nobody asked the DNS server for ") + expected);
}

STARLING_SCENARIO(s2s_a_server_that_never_answers_times_out_and_bounces) {
    loopback_listener silent;  // never accepts
    server_fixture server(options);
    server.extra_listen += listen_entry("s2s", free_loopback_port());
    server.extra_config +=
        "limits: {preauth_timeout: 2s}\ns2s:\n  hosts: {silent.test: "
        "\"127.0.0.1:" +
        std::to_string(silent.port()) + "\"}\n";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    a.send("<message to='x@silent.test' id='hang' type='chat'><body>?</body></message>");
    auto bounce = a.wait_for(stanza_named("message", "hang"), "the bounce from silent.test",
                             std::chrono::seconds(10));
    require(
        stanza_attribute(bounce.get(), "type") == "error" &&
            stanza_error_condition(bounce.get()) == "remote-server-timeout" &&
            stanza_text(bounce.get()).find("took too long") != std::string::npos,
        "no remote-server-timeout for a server that never answers: " + stanza_text(bounce.get()));
}

STARLING_SCENARIO(s2s_a_server_that_stops_reading_bounces_what_does_not_fit) {
    // carol's own stream must not be what overflows when away catches up (her client reads
    // some 10 MB in a burst).
    federation servers(options, "[disco, ping, version, time]", "",
                       federation::trust::certificates, std::nullopt,
                       "limits: {outbound_queue_bytes: 33554432}\n");
    auto& home = servers.home;
    auto& away = servers.away;
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, home.c2s_port());
    a.login();
    strophe_client c(std::string(carol_jid) + "/phone", carol_password, away.c2s_port());
    c.login();
    a.send("<message to='" + c.bound_jid() + "' id='first' type='chat'><body>1</body></message>");
    c.wait_for(stanza_named("message", "first"), "the first message");

    // away stops reading (stopped, not gone): the kernel's buffers fill (some 10 MB on
    // loopback), then home's bounded queue (limits.outbound_queue_bytes, 1 MiB); past it each
    // message comes back to alice. alice sends one message at a time, reading between sends,
    // and stops at the first bounce: each bounce carries its message back, and the same bound
    // guards her own stream.
    kill(away.pid(), SIGSTOP);
    // Whatever happens next, away runs again before its fixture stops it.
    const struct resume_away {
        pid_t pid;
        ~resume_away() { kill(pid, SIGCONT); }
    } resume{away.pid()};
    const std::string body(16 * 1024, 'x');
    constexpr int most = 3000;
    std::set<std::string> settled;
    std::string first_bounce, first_condition;
    const auto collect = [&] {
        for (auto* client : {&a, &c})
            for (const auto& s : client->take_all([](xmpp_stanza_t* s) {
                     return std::string(xmpp_stanza_get_name(s)) == "message" &&
                            stanza_attribute(s, "id").rfind("big-", 0) == 0;
                 })) {
                settled.insert(stanza_attribute(s.get(), "id"));
                if (client == &a && first_bounce.empty()) {
                    // The error, not the body it carries back.
                    const auto text = stanza_text(s.get());
                    first_bounce = text.substr(std::min(text.find("<error"), text.size()));
                    first_condition = stanza_error_condition(s.get());
                }
            }
    };
    int count = 0;
    for (; count < most && first_bounce.empty(); ++count) {
        a.send("<message to='" + c.bound_jid() + "' id='big-" + std::to_string(count) +
               "' type='chat'><body>" + body + "</body></message>");
        run_strophe_for(std::chrono::milliseconds(1));
        collect();
    }
    const auto bounce_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (first_bounce.empty() && std::chrono::steady_clock::now() < bounce_deadline) {
        run_strophe_for(std::chrono::milliseconds(100));
        collect();
    }
    kill(away.pid(), SIGCONT);
    require(first_condition == "resource-constraint" &&
                first_bounce.find("does not read what it is sent") != std::string::npos,
            "no bounce saying the peer stopped reading after " + std::to_string(count) +
                " messages: " + first_bounce);

    // After away reads again, every message has been delivered or bounced: none is lost.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (settled.size() < std::size_t(count) && std::chrono::steady_clock::now() < deadline) {
        run_strophe_for(std::chrono::milliseconds(100));
        collect();
    }
    require(a.connected(), "alice's stream ended: " + a.end_reason());
    require(settled.size() == std::size_t(count), "only " + std::to_string(settled.size()) +
                                                      " of " + std::to_string(count) +
                                                      " messages were delivered or bounced");
}

}  // namespace starling::scenarios
