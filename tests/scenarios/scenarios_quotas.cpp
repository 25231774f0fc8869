// Quotas raced by pipelining (issue 14, items 5 and 7; upload slots, issue 17): each scenario
// writes far more requests than a limit allows in one write, over a real socket, before the
// server has stored the first, and asserts exactly how many got in and the exact error every
// other one got. Before, each request counted what was stored, then wrote: all of them found
// room.
#include "pipelined_requests.hpp"
#include "raw_session.hpp"
#include "scenario.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <memory>
#include <string>
#include <vector>

namespace starling::scenarios {
namespace {

constexpr const char* ns_pubsub = "http://jabber.org/protocol/pubsub";
constexpr const char* ns_pubsub_errors = "http://jabber.org/protocol/pubsub#errors";

/// Starts the server with `modules`, alice and bob, and logs alice in on a raw stream.
std::unique_ptr<raw_session> start_and_log_in_alice(server_fixture& server,
                                                    const std::string& modules) {
    server.modules = modules;
    server.write_config();
    start_with_accounts(server);
    auto session = std::make_unique<raw_session>(server.c2s_port());
    session->login("SCRAM-SHA-256", alice.localpart, alice.password, "r");
    return session;
}

void require_outcome(const pipelined_outcome& outcome, int results, const std::string& condition,
                     int refused, const std::string& what) {
    require(outcome.results == results && outcome.errors.size() == 1 &&
                outcome.errors.count(condition) && outcome.errors.at(condition) == refused,
            what + ": expected " + std::to_string(results) + " result(s) and " +
                std::to_string(refused) + " <" + condition + "/>, got " + outcome.summary());
}

/// Every error reply carries `type` and, when given, the application condition `app` in `ns`.
void require_each_error(const pipelined_outcome& outcome, const std::string& type,
                        const std::string& app = "", const std::string& ns = "") {
    for (const auto& reply : outcome.error_replies) {
        const auto* error = reply.child("error");
        require(error && error->attribute("type") == type &&
                    (app.empty() || error->child(app, ns) != nullptr),
                "expected <error type='" + type + "'> with <" + app + "/>: " + reply.to_string());
    }
}

/// A PEP publish of one item whose payload is <data xmlns='urn:test'>text</data>.
std::string publish_iq(const std::string& id, const std::string& node, const std::string& item,
                       const std::string& text) {
    return "<iq type='set' id='" + id + "'><pubsub xmlns='" + std::string(ns_pubsub) +
           "'><publish node='" + node + "'><item id='" + item + "'><data xmlns='urn:test'>" + text +
           "</data></item></publish></pubsub></iq>";
}

std::string roster_set(int i) {
    return "<iq type='set' id='rs" + std::to_string(i) +
           "'><query xmlns='jabber:iq:roster'><item jid='contact" + std::to_string(i) +
           "@example.test'/></query></iq>";
}

}  // namespace

// 1,100 roster sets in one write left 1,100 items where max_items is 1,000 (RFC 6121 §2.3.3).
STARLING_SCENARIO(roster_sets_pipelined_past_max_items_stop_at_the_limit) {
    server_fixture server(options);
    auto session = start_and_log_in_alice(server, "[disco, ping, roster]");
    const auto outcome = send_pipelined(session->stream(), 1100, "rs", roster_set);
    require_outcome(outcome, 1000, "not-allowed", 100, "1,100 pipelined roster sets");
    require_each_error(outcome, "cancel");
    session->stream().send("<iq type='get' id='all'><query xmlns='jabber:iq:roster'/></iq>");
    auto roster = session->stream().expect_element("iq", ns::client);
    const auto* query = roster.child("query", "jabber:iq:roster");
    require(query && query->children.size() == 1000,
            "the roster holds " + std::to_string(query ? query->children.size() : 0) + " items");
}

// 50 in-band registrations in one write created 4 accounts where registrations_per_ip is 3.
// Here they come on five connections from the one address, ten in one write on each, all
// written before any is answered: the count is the address's, whatever the stream.
STARLING_SCENARIO(registrations_pipelined_on_many_connections_stop_at_the_per_ip_limit) {
    server_fixture server(options);
    server.modules =
        "\n  - disco\n  - ping\n  - register: {allow_registration: true, registrations_per_ip: 3}";
    server.write_config();
    start_with_accounts(server);
    std::vector<std::unique_ptr<raw_session>> streams;
    for (int c = 0; c < 5; ++c) {
        streams.push_back(std::make_unique<raw_session>(server.c2s_port()));
        streams.back()->open();
        streams.back()->starttls();
    }
    // Every connection's ten requests are written before any reply is read.
    for (int c = 0; c < 5; ++c)
        streams[c]->stream().send(pipeline(10, [c](int i) {
            const auto name = "u" + std::to_string(c) + "x" + std::to_string(i);
            return "<iq type='set' id='reg" + std::to_string(i) +
                   "'><query xmlns='jabber:iq:register'><username>" + name +
                   "</username><password>pw-" + name + "</password></query></iq>";
        }));
    pipelined_outcome total;
    for (int c = 0; c < 5; ++c) {
        const auto outcome = collect_replies(streams[c]->stream(), 10, "reg");
        total.results += outcome.results;
        for (const auto& [condition, count] : outcome.errors) total.errors[condition] += count;
        for (const auto& reply : outcome.error_replies) total.error_replies.push_back(reply);
    }
    require_outcome(total, 3, "resource-constraint", 47, "50 registrations from one address");
    require_each_error(total, "wait");
    const auto users = server.ctl({"users", "example.test"});
    int accounts = 0;
    for (char ch : users.out) accounts += ch == '\n';
    require(accounts == 2 + 3, "accounts after the registrations:\n" + users.out);
}

// PEP nodes were counted before the node was written: publishes to new nodes (auto-create)
// pipelined past max_nodes all created theirs.
STARLING_SCENARIO(pep_publishes_to_new_nodes_pipelined_past_max_nodes_stop_at_the_limit) {
    server_fixture server(options);
    auto session =
        start_and_log_in_alice(server, "[disco, ping, roster, presence, {pep: {max_nodes: 5}}]");
    const auto outcome = send_pipelined(session->stream(), 20, "p", [](int i) {
        const auto n = std::to_string(i);
        return publish_iq("p" + n, "urn:test:node" + n, "one", n);
    });
    require_outcome(outcome, 5, "not-allowed", 15, "20 publishes to new nodes");
    require_each_error(outcome, "cancel", "max-nodes-exceeded", ns_pubsub_errors);
    // Creates race the same count: the five nodes are all there is room for.
    const auto creates = send_pipelined(session->stream(), 3, "c", [](int i) {
        return "<iq type='set' id='c" + std::to_string(i) + "'><pubsub xmlns='" +
               std::string(ns_pubsub) + "'><create node='urn:test:made" + std::to_string(i) +
               "'/></pubsub></iq>";
    });
    require_outcome(creates, 0, "not-allowed", 3, "creates past max_nodes");
}

// PEP had no per-account storage quota (item 7): one account could fill the disk with items.
// With max_bytes_per_account at 65,536, 40 items of about 4,000 bytes each pipelined, one to each
// of 40 nodes (a PEP node keeps one item unless configured otherwise): exactly 16 fit.
STARLING_SCENARIO(pep_publishes_pipelined_past_the_storage_quota_stop_at_the_quota) {
    server_fixture server(options);
    auto session = start_and_log_in_alice(
        server, "[disco, ping, roster, presence, {pep: {max_bytes_per_account: 65536}}]");
    const std::string filler(3950, 'z');
    const auto outcome = send_pipelined(session->stream(), 40, "q", [&filler](int i) {
        const auto n = std::to_string(i);
        return publish_iq("q" + n, "urn:test:big" + n, "i" + n, filler);
    });
    require_outcome(outcome, 16, "resource-constraint", 24, "40 publishes of ~4 KB");
    require_each_error(outcome, "wait");
    // Retracting frees room: one more item fits, and the one after it does not.
    session->stream().send(
        "<iq type='set' id='rt'><pubsub xmlns='" + std::string(ns_pubsub) +
        "'><retract node='urn:test:big0'><item id='i0'/></retract></pubsub></iq>");
    auto retracted = session->stream().expect_element("iq", ns::client);
    require(retracted.attribute("type") == "result", "retract: " + retracted.to_string());
    const auto after = send_pipelined(session->stream(), 2, "a", [&filler](int i) {
        const auto n = std::to_string(i);
        return publish_iq("a" + n, "urn:test:again" + n, "again" + n, filler);
    });
    require_outcome(after, 1, "resource-constraint", 1, "publishes after a retract");
}

// Push registrations were counted before the write: 30 enables pipelined past
// max_registrations (10) all got in.
STARLING_SCENARIO(push_enables_pipelined_past_max_registrations_stop_at_the_limit) {
    server_fixture server(options);
    auto session = start_and_log_in_alice(server, "[disco, ping, push]");
    const auto outcome = send_pipelined(session->stream(), 30, "e", [](int i) {
        return "<iq type='set' id='e" + std::to_string(i) +
               "'><enable xmlns='urn:xmpp:push:0' jid='push.example.test' node='node-" +
               std::to_string(i) + "'/></iq>";
    });
    require_outcome(outcome, 10, "resource-constraint", 20, "30 pipelined push enables");
    require_each_error(outcome, "wait");
}

// The blocklist was counted from the committed list in memory: 20 blocks pipelined past
// max_items (5) all got in.
STARLING_SCENARIO(blocks_pipelined_past_max_items_stop_at_the_limit) {
    server_fixture server(options);
    auto session = start_and_log_in_alice(
        server, "[disco, ping, roster, presence, {blocking: {max_items: 5}}]");
    const auto outcome = send_pipelined(session->stream(), 20, "b", [](int i) {
        return "<iq type='set' id='b" + std::to_string(i) +
               "'><block xmlns='urn:xmpp:blocking'><item jid='spam" + std::to_string(i) +
               ".test'/></block></iq>";
    });
    require_outcome(outcome, 5, "resource-constraint", 15, "20 pipelined blocks");
    require_each_error(outcome, "wait");
    session->stream().send("<iq type='get' id='list'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    auto list = session->stream().expect_element("iq", ns::client);
    const auto* blocklist = list.child("blocklist", "urn:xmpp:blocking");
    require(blocklist && blocklist->children.size() == 5,
            "the blocklist holds " + std::to_string(blocklist ? blocklist->children.size() : 0));
}

// XEP-0363 slots count against the upload quota from the moment they are given: 600 slot
// requests of one byte each in one write, with a quota of 500 bytes, give exactly 500 slots.
STARLING_SCENARIO(upload_slots_pipelined_past_the_quota_stop_at_the_quota) {
    server_fixture server(options);
    auto session = start_and_log_in_alice(
        server, "[disco, ping, {http_upload: {quota: 500, url: 'https://files.example.test'}}]");
    const auto outcome = send_pipelined(session->stream(), 600, "u", [](int i) {
        return "<iq type='get' to='upload.example.test' id='u" + std::to_string(i) +
               "'><request xmlns='urn:xmpp:http:upload:0' filename='f" + std::to_string(i) +
               ".txt' size='1'/></iq>";
    });
    require_outcome(outcome, 500, "resource-constraint", 100, "600 pipelined slot requests");
    require_each_error(outcome, "wait");
}

}  // namespace starling::scenarios
