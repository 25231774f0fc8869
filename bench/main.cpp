// xmpp-bench: a load generator for any XMPP server (see bench/README.md). This file only reads
// the command line; the scenarios live in bench/scenarios/.
#include "bench/bench_error.hpp"
#include "bench/options.hpp"
#include "bench/process_stats.hpp"
#include "bench/scenarios/scenarios.hpp"

#include <boost/program_options.hpp>

#include <csignal>
#include <iostream>
#include <sstream>

namespace po = boost::program_options;

namespace {

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::istringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty()) items.push_back(item);
    return items;
}

bench::options parse(int argc, char** argv, bool& help) {
    bench::options o;
    std::string tls = "starttls", mechanism = "SCRAM-SHA-256", sources = "127.0.0.1",
                output = "text";
    po::options_description d(
        "xmpp-bench: drives an XMPP server with N client connections\n\n"
        "Options");
    // clang-format off
    d.add_options()
        ("help,h", "this text")
        ("scenario", po::value(&o.scenario)->required(),
         "register | idle | login | chat | offline | preauth | muc")
        ("host", po::value(&o.host)->default_value(o.host), "server IP address")
        ("port", po::value(&o.port)->default_value(o.port), "c2s port")
        ("domain", po::value(&o.domain)->default_value(o.domain), "XMPP domain of the accounts")
        ("users", po::value(&o.users)->default_value(o.users), "number of accounts N")
        ("user-prefix", po::value(&o.user_prefix)->default_value(o.user_prefix),
         "accounts are <prefix><i>@<domain>")
        ("first", po::value(&o.first)->default_value(o.first), "i runs from first to first+N-1")
        ("password", po::value(&o.password)->default_value(o.password), "password of every account")
        ("tls", po::value(&tls)->default_value(tls), "none | starttls | direct (not verified)")
        ("websocket", po::value(&o.websocket),
         "XMPP over WebSocket (RFC 7395) at this path of --port, e.g. /xmpp-websocket: wss with "
         "--tls direct, ws with --tls none")
        ("mechanism", po::value(&mechanism)->default_value(mechanism),
         "SCRAM-SHA-256 | SCRAM-SHA-1 | PLAIN")
        ("sources", po::value(&sources)->default_value(sources),
         "comma-separated source addresses, used round robin")
        ("server-pid", po::value(&o.server_pids)->composing(),
         "repeatable: server processes whose RSS and CPU are measured")
        ("concurrency", po::value(&o.concurrency)->default_value(o.concurrency),
         "logins or registrations in flight at once")
        ("roster-get", po::bool_switch(&o.roster_get), "roster get after bind, before presence")
        ("threads", po::value(&o.threads)->default_value(o.threads), "generator threads")
        ("hold", po::value(&o.hold_seconds)->default_value(o.hold_seconds),
         "idle, preauth: seconds to hold")
        ("rate", po::value(&o.rate)->default_value(o.rate),
         "chat: aggregate messages/s; 0 = as fast as the server takes them. muc: groupchat "
         "messages/s spread over the rooms (over the others if --big-room-rate is given)")
        ("window", po::value(&o.window)->default_value(o.window),
         "chat with rate 0: messages outstanding per client")
        ("duration", po::value(&o.duration_seconds)->default_value(o.duration_seconds),
         "chat, muc: seconds of sending")
        ("grace", po::value(&o.grace_seconds)->default_value(o.grace_seconds),
         "chat, muc, offline: seconds to wait for late deliveries")
        ("rooms", po::value(&o.rooms)->default_value(o.rooms), "muc: number of rooms")
        ("occupants", po::value(&o.occupants)->default_value(o.occupants),
         "muc: occupants of each room (the big one excepted)")
        ("big-room", po::value(&o.big_room)->default_value(o.big_room),
         "muc: occupants of the first room instead (0: no big room)")
        ("big-room-rate", po::value(&o.big_room_rate),
         "muc: messages/s into the big room alone (then --rate goes to the other rooms)")
        ("chat-rate", po::value(&o.chat_rate)->default_value(o.chat_rate),
         "muc: 1:1 chat messages/s between the occupants at the same time (latency reported "
         "apart)")
        ("join-window", po::value(&o.join_window)->default_value(o.join_window),
         "muc: room entries sent and not yet answered at once, over all rooms (0: all at once)")
        ("muc-domain", po::value(&o.muc_domain),
         "muc: the chat service's domain (default conference.<domain>)")
        ("peer-domain", po::value(&o.peer_domain),
         "chat: the receivers are accounts of this domain on a second server, so every message "
         "crosses one s2s stream from --domain to it")
        ("peer-host", po::value(&o.peer_host), "chat: the peer server's IP address (default --host)")
        ("peer-port", po::value(&o.peer_port), "chat: the peer server's c2s port")
        ("peer-user-prefix", po::value(&o.peer_user_prefix),
         "chat: the peer's accounts are <prefix><i>@<peer-domain> (default --user-prefix)")
        ("messages", po::value(&o.messages)->default_value(o.messages),
         "offline: messages queued for the offline account")
        ("output", po::value(&output)->default_value(output), "json | text");
    // clang-format on
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, d), vm);
    if (vm.count("help")) {
        help = true;
        std::cout << d << "\n";
        return o;
    }
    po::notify(vm);

    if (o.scenario != "register" && o.scenario != "idle" && o.scenario != "login" &&
        o.scenario != "chat" && o.scenario != "offline" && o.scenario != "preauth" &&
        o.scenario != "muc")
        throw usage_error("--scenario: '" + o.scenario +
                          "' is not one of register, idle, login, chat, offline, preauth, muc");
    if (tls == "none")
        o.tls = bench::tls_mode::none;
    else if (tls == "starttls")
        o.tls = bench::tls_mode::starttls;
    else if (tls == "direct")
        o.tls = bench::tls_mode::direct;
    else
        throw usage_error("--tls: '" + tls + "' is not one of none, starttls, direct");
    if (!o.websocket.empty() && o.tls == bench::tls_mode::starttls)
        throw usage_error("--websocket: there is no STARTTLS over WebSocket; give --tls direct "
                          "(wss) or --tls none (ws)");
    if (!o.websocket.empty() && o.websocket.front() != '/')
        throw usage_error("--websocket: the path must start with '/'");
    if (mechanism == "SCRAM-SHA-256")
        o.sasl = bench::mechanism::scram_sha256;
    else if (mechanism == "SCRAM-SHA-1")
        o.sasl = bench::mechanism::scram_sha1;
    else if (mechanism == "PLAIN")
        o.sasl = bench::mechanism::plain;
    else
        throw usage_error("--mechanism: '" + mechanism +
                          "' is not one of SCRAM-SHA-256, SCRAM-SHA-1, PLAIN");
    if (output != "json" && output != "text")
        throw usage_error("--output: '" + output + "' is not one of json, text");
    o.json = output == "json";
    o.sources = split_list(sources);
    if (o.sources.empty()) throw usage_error("--sources: give at least one address");
    if (o.scenario == "muc") {
        if (o.rooms == 0) throw usage_error("--rooms: must be at least 1");
        if (o.occupants == 0)
            throw usage_error("--occupants: must be at least 1");
        if (o.rate < 0 || o.chat_rate < 0) throw usage_error("--rate, --chat-rate: not negative");
        if (vm.count("big-room-rate") && o.big_room == 0)
            throw usage_error("--big-room-rate: needs --big-room");
        if (vm.count("big-room-rate") && o.big_room_rate < 0)
            throw usage_error("--big-room-rate: must not be negative");
        // Every account is in exactly one room: the room sizes say how many accounts.
        const auto needed = o.muc_accounts();
        if (vm["users"].defaulted())
            o.users = static_cast<std::uint32_t>(needed);
        else if (o.users != needed)
            throw usage_error("--users: the rooms need " + std::to_string(needed) +
                              " accounts; leave --users out or give that");
        if (o.muc_domain.empty()) o.muc_domain = "conference." + o.domain;
    }
    if (o.users == 0) throw usage_error("--users: must be at least 1");
    if (vm.count("peer-domain") || vm.count("peer-host") || vm.count("peer-port") ||
        vm.count("peer-user-prefix")) {
        if (o.scenario != "chat") throw usage_error("--peer-*: only the chat scenario has a peer");
        if (o.peer_domain.empty()) throw usage_error("--peer-domain: give the peer's domain");
        if (o.peer_domain == o.domain)
            throw usage_error("--peer-domain: must differ from --domain, or no s2s stream is used");
        if (o.peer_port == 0) throw usage_error("--peer-port: give the peer's c2s port");
    }
    if (o.scenario == "offline" && o.users < 2)
        throw usage_error("--users: offline needs 2 accounts (first sends to first+1)");
    if (o.scenario == "chat" && o.rate == 0 && o.window == 0)
        throw usage_error("--window: must be at least 1 when --rate is 0");
    if (o.rate < 0) throw usage_error("--rate: must not be negative");
    if (o.duration_seconds <= 0) throw usage_error("--duration: must be positive");
    if (o.grace_seconds < 0 || o.hold_seconds < 0)
        throw usage_error("--grace and --hold must not be negative");
    if (o.threads == 0 || o.threads > 64) throw usage_error("--threads: 1 to 64");
    if (o.concurrency == 0) throw usage_error("--concurrency: must be at least 1");
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    bench::options opts;
    try {
        bool help = false;
        opts = parse(argc, argv, help);
        if (help) return 0;
    } catch (const std::exception& e) {
        std::cerr << "xmpp-bench: " << e.what() << " (see --help)\n";
        return 2;
    }
    // A server that resets a connection must not kill the generator mid-write.
    std::signal(SIGPIPE, SIG_IGN);
    const auto limit = bench::raise_file_limit();
    // Chat across servers holds each account's connection on both of them.
    const std::uint64_t connections = std::uint64_t{opts.users} * (opts.s2s() ? 2 : 1);
    if (limit < connections + 64) {
        std::cerr << "xmpp-bench: only " << limit << " file descriptors for " << connections
                  << " connections; raise the hard limit (ulimit -Hn)\n";
        return 1;
    }
    try {
        bench::report r;
        if (opts.scenario == "register")
            r = bench::run_register(opts);
        else if (opts.scenario == "idle")
            r = bench::run_idle(opts);
        else if (opts.scenario == "login")
            r = bench::run_login(opts);
        else if (opts.scenario == "chat")
            r = bench::run_chat(opts);
        else if (opts.scenario == "preauth")
            r = bench::run_preauth(opts);
        else if (opts.scenario == "muc")
            r = bench::run_muc(opts);
        else
            r = bench::run_offline(opts);
        std::cout << (opts.json ? r.json() + "\n" : r.text()) << std::flush;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "xmpp-bench: " << e.what() << "\n";
        return 1;
    }
}
