// mod_mam (XEP-0313 with XEP-0359 stanza ids and XEP-0441 preferences): both sides archived,
// the recipient's copy tagged before delivery and offline storage, queries by with/start/end and
// ids, XEP-0059 paging across 500 messages both ways, preferences, XEP-0334 hints, forged
// stanza ids, OMEMO payloads kept byte for byte, and retention.
#include "canonical_stanza.hpp"
#include "client_steps.hpp"
#include "ctl_checks.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include <unistd.h>

namespace starling::scenarios {
namespace {

constexpr const char* ns_mam = "urn:xmpp:mam:2";
constexpr const char* ns_sid = "urn:xmpp:sid:0";
constexpr const char* ns_forward = "urn:xmpp:forward:0";
constexpr const char* ns_rsm = "http://jabber.org/protocol/rsm";
const std::string mam_modules = "[disco, ping, roster, offline, mam]";
const test_account carol{"c", "c@example.test", "carol-secret-3"};
const test_account dave{"d", "d@example.test", "dave-secret-4"};

void start_mam_server(server_fixture& server, const std::string& modules = mam_modules) {
    server.modules = modules;
    server.write_config();
    server.add_account(carol.jid, carol.password);
    server.add_account(dave.jid, dave.password);
    start_with_accounts(server);
}

void send_chat(strophe_client& from, const std::string& to, const std::string& id,
               const std::string& body, const std::string& extra = "") {
    from.send("<message type='chat' to='" + to + "' id='" + id + "'>" +
              (body.empty() ? "" : "<body>" + body + "</body>") + extra + "</message>");
}

std::function<bool(xmpp_stanza_t*)> message_with_id(const std::string& id) {
    return [id](xmpp_stanza_t* stanza) {
        return std::strcmp(xmpp_stanza_get_name(stanza), "message") == 0 &&
               stanza_attribute(stanza, "id") == id;
    };
}

// The <stanza-id/> elements of a message as "by=id" strings, in order.
std::vector<std::string> stanza_ids(xmpp_stanza_t* message) {
    std::vector<std::string> ids;
    for (xmpp_stanza_t* child = xmpp_stanza_get_children(message); child;
         child = xmpp_stanza_get_next(child)) {
        const char* ns = xmpp_stanza_get_ns(child);
        if (xmpp_stanza_is_tag(child) &&
            std::strcmp(xmpp_stanza_get_name(child), "stanza-id") == 0 && ns &&
            std::strcmp(ns, ns_sid) == 0)
            ids.push_back(stanza_attribute(child, "by") + "=" + stanza_attribute(child, "id"));
    }
    return ids;
}

// The archive id the recipient's copy carries (by its bare JID), "" when there is none.
std::string archive_id_of(xmpp_stanza_t* message, const std::string& archive) {
    for (const auto& id : stanza_ids(message))
        if (id.rfind(archive + "=", 0) == 0) return id.substr(archive.size() + 1);
    return "";
}

struct result {
    std::string id;            // <result id/>
    std::string stamp;         // the delay stamp
    stanza_ptr stanza;         // the whole result message
    xmpp_stanza_t* forwarded;  // the archived message inside it
};

struct page {
    std::vector<result> results;
    stanza_ptr iq;
    xmpp_stanza_t* fin = nullptr;

    std::string attribute(const char* name) const { return stanza_attribute(fin, name); }
    std::string rsm(const char* name) const {
        xmpp_stanza_t* set = stanza_child(fin, "set", ns_rsm);
        xmpp_stanza_t* child = set ? stanza_child(set, name, ns_rsm) : nullptr;
        return child ? stanza_content(child) : "";
    }
    std::string first_index() const {
        xmpp_stanza_t* set = stanza_child(fin, "set", ns_rsm);
        xmpp_stanza_t* first = set ? stanza_child(set, "first", ns_rsm) : nullptr;
        return first ? stanza_attribute(first, "index") : "";
    }
    bool complete() const { return attribute("complete") == "true"; }
    std::string bodies() const {
        std::string out;
        for (const auto& r : results) {
            xmpp_stanza_t* body = stanza_child(r.forwarded, "body", ns::client);
            out += (out.empty() ? "" : ",") + (body ? stanza_content(body) : std::string("?"));
        }
        return out;
    }
};

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
    if (fields.empty()) return "";
    std::string xml =
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
        "type='hidden'><value>urn:xmpp:mam:2</value></field>";
    for (const auto& [var, value] : fields)
        xml += "<field var='" + var + "'><value>" + value + "</value></field>";
    return xml + "</x>";
}

int query_counter = 0;

// Runs one query and collects its results (all queued before the iq that ends them).
page query(strophe_client& client, const std::string& inner,
           const std::string& expect_type = "result") {
    const std::string qid = "q" + std::to_string(++query_counter);
    page out;
    out.iq = client.request("<iq type='set' id='" + qid +
                                "'><query xmlns='urn:xmpp:mam:2' "
                                "queryid='" +
                                qid + "'>" + inner + "</query></iq>",
                            qid, std::chrono::seconds(15));
    require(stanza_attribute(out.iq.get(), "type") == expect_type,
            "query " + inner + ": " + stanza_text(out.iq.get()));
    auto taken = client.take_all([&qid](xmpp_stanza_t* stanza) {
        xmpp_stanza_t* r = stanza_child(stanza, "result", ns_mam);
        return std::strcmp(xmpp_stanza_get_name(stanza), "message") == 0 && r &&
               stanza_attribute(r, "queryid") == qid;
    });
    for (auto& stanza : taken) {
        xmpp_stanza_t* r = stanza_child(stanza.get(), "result", ns_mam);
        xmpp_stanza_t* forwarded = stanza_child(r, "forwarded", ns_forward);
        require(forwarded != nullptr,
                "a result without <forwarded/>: " + stanza_text(stanza.get()));
        xmpp_stanza_t* delay = stanza_child(forwarded, "delay", "urn:xmpp:delay");
        xmpp_stanza_t* message = stanza_child(forwarded, "message", ns::client);
        require(delay && message,
                "a result without delay or message: " + stanza_text(stanza.get()));
        require(stanza_attribute(stanza.get(), "from") ==
                    std::string(client.bound_jid()).substr(0, client.bound_jid().find('/')),
                "a result not from the archive's JID: " + stanza_text(stanza.get()));
        out.results.push_back({stanza_attribute(r, "id"), stanza_attribute(delay, "stamp"),
                               std::move(stanza), message});
    }
    if (expect_type == "result") {
        out.fin = stanza_child(out.iq.get(), "fin", ns_mam);
        require(out.fin != nullptr, "no <fin/>: " + stanza_text(out.iq.get()));
    }
    return out;
}

std::string rsm(const std::string& inside) {
    return "<set xmlns='http://jabber.org/protocol/rsm'>" + inside + "</set>";
}

std::int64_t parse_stamp(const std::string& stamp) {
    std::tm tm{};
    const char* end = strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    require(end != nullptr && (*end == 'Z' || *end == '.'), "stamp '" + stamp + "' is not UTC");
    return timegm(&tm);
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void require_equal(const std::string& actual, const std::string& expected,
                   const std::string& what) {
    require(actual == expected, what + ": expected '" + expected + "', got '" + actual + "'");
}

// Alice (a) sends Bob (b) `total` chats with ids PREFIX0... and bodies m0..., and Bob gets each,
// in order, with its body.
void exchange_chats(strophe_client& a, strophe_client& b, const std::string& prefix, int total) {
    for (int i = 0; i < total; ++i)
        send_chat(a, bob.jid, prefix + std::to_string(i), "m" + std::to_string(i));
    for (int i = 0; i < total; ++i) {
        const std::string id = prefix + std::to_string(i);
        auto got = b.wait_for(message_with_id(id), "message " + id, std::chrono::seconds(30));
        require_equal(stanza_content(stanza_child(got.get(), "body", ns::client)),
                      "m" + std::to_string(i), "the body of " + id);
    }
}

}  // namespace


STARLING_SCENARIO(mam_archives_both_sides_with_stanza_id) {
    server_fixture server(options);
    start_mam_server(server);
    const std::int64_t before = now_seconds();
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    // Account disco and the query form.
    auto info = b.request("<iq type='get' id='d1' to='" + std::string(bob.jid) +
                              "'><query xmlns='" + ns::disco_info + "'/></iq>",
                          "d1");
    const std::string info_text = canonical_stanza(info.get());
    for (const char* feature : {"urn:xmpp:mam:2", "urn:xmpp:mam:2#extended"})
        require(
            info_text.find(std::string("<feature var='") + feature + "'/>") != std::string::npos,
            std::string("account disco lacks ") + feature + ": " + info_text);
    auto form_reply =
        b.request("<iq type='get' id='f1'><query xmlns='urn:xmpp:mam:2'/></iq>", "f1");
    const std::string form_text = canonical_stanza(form_reply.get());
    for (const char* var : {"FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids"})
        require(form_text.find(std::string("var='") + var + "'") != std::string::npos,
                std::string("the form lacks ") + var + ": " + form_text);

    send_chat(a, bob.jid, "hello-1", "hello bob");
    auto got = b.wait_for(message_with_id("hello-1"), "alice's message");
    const std::string id = archive_id_of(got.get(), bob.jid);
    require(!id.empty() && stanza_ids(got.get()).size() == 1,
            "the delivered copy has no single stanza-id by bob: " + stanza_text(got.get()));
    b.send("<message type='chat' to='" + a.bound_jid() +
           "' id='reply-1'><body>hi alice</body></message>");
    auto reply = a.wait_for(message_with_id("reply-1"), "bob's reply");
    const std::string reply_id = archive_id_of(reply.get(), alice.jid);
    require(!reply_id.empty(), "the reply has no stanza-id by alice: " + stanza_text(reply.get()));

    const auto bobs = query(b, "");
    require_equal(std::to_string(bobs.results.size()), "2", "bob's archive size");
    require_equal(bobs.results[0].id, id, "bob's first archive id");
    require_stanza(bobs.results[0].forwarded,
                   "<message from='" + a.bound_jid() + "' to='" + bob.jid +
                       "' type='chat'><body>hello bob</body><stanza-id by='" + bob.jid + "' id='" +
                       id + "' xmlns='urn:xmpp:sid:0'/></message>",
                   "bob's archived copy of alice's message");
    // Bob's own outgoing copy carries no stanza-id of anybody's (XEP-0313 §3.2).
    require_stanza(bobs.results[1].forwarded,
                   "<message from='" + b.bound_jid() + "' to='" + a.bound_jid() +
                       "' type='chat'><body>hi alice</body></message>",
                   "bob's archived copy of his reply");
    require(bobs.results[1].id != reply_id, "one archive id served two archives");
    const std::int64_t stamp = parse_stamp(bobs.results[0].stamp);
    require(stamp >= before - 1 && stamp <= now_seconds() + 1,
            "stamp out of range: " + bobs.results[0].stamp);
    require(bobs.complete(),
            "a two-message archive is not complete: " + stanza_text(bobs.iq.get()));
    require_equal(bobs.rsm("first"), id, "<first/>");
    require_equal(bobs.first_index(), "0", "<first index/>");
    require_equal(bobs.rsm("last"), bobs.results[1].id, "<last/>");
    require_equal(bobs.rsm("count"), "2", "<count/>");

    const auto alices = query(a, "");
    require_equal(std::to_string(alices.results.size()), "2", "alice's archive size");
    require_equal(alices.results[1].id, reply_id, "alice's archive id of bob's reply");
    require_stanza(alices.results[0].forwarded,
                   "<message from='" + a.bound_jid() + "' to='" + bob.jid +
                       "' type='chat'><body>hello bob</body></message>",
                   "alice's archived copy of her message");
    // Nobody reads another's archive.
    auto forbidden = a.request("<iq type='set' id='steal' to='" + std::string(bob.jid) +
                                   "'><query xmlns='urn:xmpp:mam:2'/></iq>",
                               "steal");
    require_equal(stanza_error_condition(forbidden.get()), "forbidden", "querying bob's archive");
}

STARLING_SCENARIO(mam_offline_copy_carries_stanza_id) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    come_online(a);
    send_chat(a, bob.jid, "while-away", "stored for later");
    settle(a);
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(b);
    auto stored = b.wait_for(message_with_id("while-away"), "the offline message");
    require(stanza_child(stored.get(), "delay", "urn:xmpp:delay") != nullptr,
            "not delivered from offline storage: " + stanza_text(stored.get()));
    const std::string id = archive_id_of(stored.get(), bob.jid);
    require(!id.empty(), "the offline copy has no stanza-id: " + stanza_text(stored.get()));
    const auto bobs = query(b, "");
    require_equal(std::to_string(bobs.results.size()), "1", "bob's archive size");
    require_equal(bobs.results[0].id, id, "the archive id of the offline message");
}

STARLING_SCENARIO(mam_query_by_with_start_end) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client a2(std::string(alice.jid) + "/phone", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/pad", carol.password, server.c2s_port());
    come_online(a);
    come_online(a2);
    come_online(b);
    come_online(c);
    // Bob gets, in order: alice/desk 1, carol 2, alice/phone 3, alice/desk 4, carol 5.
    const std::vector<std::pair<strophe_client*, std::string>> sends{
        {&a, "w1"}, {&c, "w2"}, {&a2, "w3"}, {&a, "w4"}, {&c, "w5"}};
    for (const auto& [client, id] : sends) {
        send_chat(*client, bob.jid, id, id);
        b.wait_for(message_with_id(id), "message " + id);
        // Distinct stamps (they have microseconds), so start and end can split them: this pause
        // waits for the clock, not for the server.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto all = query(b, "");
    require_equal(all.bodies(), "w1,w2,w3,w4,w5", "the whole archive");
    auto metadata =
        b.request("<iq type='get' id='meta'><metadata xmlns='urn:xmpp:mam:2'/></iq>", "meta");
    require_stanza(metadata.get(),
                   "<iq to='" + b.bound_jid() +
                       "' type='result'><metadata xmlns='urn:xmpp:mam:2'>"
                       "<start id='" +
                       all.results[0].id + "' timestamp='" + all.results[0].stamp + "'/><end id='" +
                       all.results[4].id + "' timestamp='" + all.results[4].stamp +
                       "'/></metadata></iq>",
                   "the archive metadata");
    require_equal(query(b, form({{"with", alice.jid}})).bodies(), "w1,w3,w4",
                  "with alice's bare JID");
    require_equal(query(b, form({{"with", a.bound_jid()}})).bodies(), "w1,w4",
                  "with alice's full JID");
    require_equal(query(b, form({{"with", carol.jid}})).bodies(), "w2,w5", "with carol");
    require_equal(query(b, form({{"with", "nobody@example.test"}})).bodies(), "",
                  "with a stranger");
    require_equal(
        query(b, form({{"start", all.results[1].stamp}, {"end", all.results[3].stamp}})).bodies(),
        "w2,w3,w4", "between the stamps of w2 and w4");
    require_equal(query(b, form({{"start", all.results[3].stamp}})).bodies(), "w4,w5",
                  "from the stamp of w4");
    require_equal(query(b, form({{"end", all.results[0].stamp}})).bodies(), "w1",
                  "up to the stamp of w1");
    require_equal(query(b, form({{"with", alice.jid}, {"start", all.results[2].stamp}})).bodies(),
                  "w3,w4", "alice's from w3 on");
    require_equal(
        query(b, form({{"start", "2000-01-01T00:00:00Z"}, {"end", "2000-01-02T00:00:00+01:00"}}))
            .bodies(),
        "", "a day in 2000");
    // The extended fields: after-id, before-id, ids; and a flipped page.
    require_equal(
        query(b, form({{"after-id", all.results[0].id}, {"before-id", all.results[4].id}}))
            .bodies(),
        "w2,w3,w4", "between w1 and w5 by id");
    require_equal(query(b, form({{"ids", all.results[2].id}})).bodies(), "w3", "w3 by id");
    require_equal(query(b, rsm("<max>2</max>") + "<flip-page/>").bodies(), "w2,w1",
                  "a flipped first page");
    // Errors.
    const auto bad_date = query(b, form({{"start", "yesterday"}}), "error");
    require_equal(stanza_error_condition(bad_date.iq.get()), "bad-request", "a malformed start");
    const auto bad_jid = query(b, form({{"with", "a@@example.test"}}), "error");
    require_equal(stanza_error_condition(bad_jid.iq.get()), "bad-request", "a malformed with");
    const auto unknown_field = query(b, form({{"color", "blue"}}), "error");
    require_equal(stanza_error_condition(unknown_field.iq.get()), "feature-not-implemented",
                  "an unknown field");
    const auto bad_max = query(b, rsm("<max>many</max>"), "error");
    require_equal(stanza_error_condition(bad_max.iq.get()), "bad-request", "a malformed max");
    for (const auto& inner : {rsm("<after>no-such-id</after>"), rsm("<before>no-such-id</before>"),
                              form({{"after-id", "no-such-id"}}), form({{"ids", "no-such-id"}})}) {
        const auto unknown = query(b, inner, "error");
        require_equal(stanza_error_condition(unknown.iq.get()), "item-not-found",
                      "an unknown id in " + inner);
    }
}

STARLING_SCENARIO(mam_paging_across_500_messages) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    constexpr int total = 500;
    exchange_chats(a, b, "p", total);
    auto expected_bodies = [](int from, int to) {
        std::string out;
        for (int i = from; i < to; ++i) out += (out.empty() ? "m" : ",m") + std::to_string(i);
        return out;
    };
    // Forwards, 100 at a time.
    std::vector<std::string> ids;
    std::string after;
    for (int first = 0; first < total; first += 100) {
        const auto p =
            query(b, rsm("<max>100</max>" + (after.empty() ? "" : "<after>" + after + "</after>")));
        const std::string what = "the forward page from " + std::to_string(first);
        require_equal(p.bodies(), expected_bodies(first, first + 100), what);
        require_equal(p.rsm("count"), "500", what + ": count");
        require_equal(p.first_index(), std::to_string(first), what + ": index");
        require_equal(p.rsm("first"), p.results.front().id, what + ": first");
        require_equal(p.rsm("last"), p.results.back().id, what + ": last");
        require(p.complete() == (first == 400),
                what + ": complete is wrong: " + stanza_text(p.iq.get()));
        for (const auto& r : p.results) ids.push_back(r.id);
        after = p.results.back().id;
    }
    const auto past_end = query(b, rsm("<max>100</max><after>" + after + "</after>"));
    require(past_end.results.empty() && past_end.complete(),
            "after the last message: " + stanza_text(past_end.iq.get()));
    // Backwards from the end (an empty <before/>), 150 at a time: 350-499, 200-349, 50-199, 0-49.
    std::string before;
    int last = total;
    for (int page_number = 0; page_number < 4; ++page_number) {
        const auto p = query(b, rsm("<max>150</max><before>" + before + "</before>"));
        const int first = std::max(0, last - 150);
        const std::string what = "the backward page ending at " + std::to_string(last);
        require_equal(p.bodies(), expected_bodies(first, last), what);
        require_equal(p.rsm("count"), "500", what + ": count");
        require_equal(p.first_index(), std::to_string(first), what + ": index");
        require(p.complete() == (first == 0),
                what + ": complete is wrong: " + stanza_text(p.iq.get()));
        require_equal(p.results.front().id, ids[first],
                      what + ": ids differ from the forward pass");
        before = p.results.front().id;
        last = first;
    }
    // The server caps a page; a page without <max/> has the default size.
    const auto capped = query(b, rsm("<max>1000</max>"));
    require_equal(std::to_string(capped.results.size()), "250", "a page asked for 1000");
    require(!capped.complete(), "a capped page claims completeness");
    const auto unlimited = query(b, "");
    require_equal(std::to_string(unlimited.results.size()), "50", "a page without max");
    const auto counted = query(b, rsm("<max>0</max>"));
    require(counted.results.empty(), "max 0 returned messages");
    require_equal(counted.rsm("count"), "500", "the count alone");
    // Within a 'with' selection and a time span, paging still counts exactly.
    const auto tail = query(
        b, form({{"with", alice.jid}, {"after-id", ids[489]}}) + rsm("<max>4</max><before/>"));
    require_equal(tail.bodies(), "m496,m497,m498,m499", "the last page after m489");
    require_equal(tail.rsm("count"), "10", "the count after m489");
    require_equal(tail.first_index(), "6", "the index of m496 after m489");
    require(!tail.complete(), "m490-m495 remain before that page");
}

// Back-pressure: with the archive's queue bound at one byte, every archived message closes the
// ingress gate until the writer has caught up, so the streams keep stopping and starting
// reading; all 500 messages still arrive, in order, and are in both archives.
STARLING_SCENARIO(mam_back_pressure_loses_nothing) {
    server_fixture server(options);
    start_mam_server(server, "[disco, ping, roster, offline, {mam: {max_queued: 1}}]");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    exchange_chats(a, b, "bp", 500);
    // A query waits for the rows still with the writer: what was delivered is in the archive.
    require_equal(query(b, rsm("<max>0</max>")).rsm("count"), "500", "bob's archive");
    require_equal(query(a, rsm("<max>0</max>")).rsm("count"), "500", "alice's archive");
    const auto last = query(b, rsm("<max>3</max><before/>"));
    require_equal(last.bodies(), "m497,m498,m499", "the end of bob's archive");
    const auto status = server.ctl({"status"});
    require(status.exited_with(0), "status: " + status.describe());
    // The gate closed, and a stream found it closed and stopped reading.
    auto counter = [&status](const std::string& name) -> long long {
        for (const auto& line : lines_of(status.out))
            if (line.rfind(name + " ", 0) == 0) return std::stoll(line.substr(name.size() + 1));
        return -1;
    };
    require(counter("mam.throttled") >= 1, "the gate never closed: " + status.describe());
    require(counter("c2s.paused") >= 1, "no stream paused its reading: " + status.describe());
    require_contains(status.out, "mam.failed 0\n", "status");
}

namespace {

// Takes the database away from the server for a while, as a restart of it does: on PostgreSQL
// every connection of the server's database is terminated, three times 400 ms apart; on SQLite
// another process holds the write lock for 6 s, past the server's 5 s busy timeout. Returns once
// the first disruption is in effect; the thread goes on with the rest.
std::thread disrupt_database(server_fixture& server, const runner_options& options) {
    if (options.driver == "postgres") {
        auto terminate = [conninfo = server.postgres_conninfo()] {
            auto r = run_command({"psql", "-X", "-q", "-d", conninfo, "-c",
                                  // Waits (PostgreSQL 14 and later) until each is gone.
                                  "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> "
                                  "pg_backend_pid()"},
                                 std::chrono::seconds(30));
            require(r.exited_with(0),
                    "psql could not terminate the server's connections: " + r.output);
        };
        terminate();
        return std::thread([terminate] {
            for (int i = 0; i < 2; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the disruption
                terminate();
            }
        });
    }
    const std::string marker = server.sqlite_path() + ".locked";
    const std::string script =
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "open(sys.argv[2], 'w').close()\n"
        "time.sleep(6)\n"
        "c.execute('COMMIT')\n";
    std::thread holder([python = options.python, script, path = server.sqlite_path(), marker] {
        run_command({python, "-c", script, path, marker}, std::chrono::seconds(30));
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::access(marker.c_str(), F_OK) != 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            holder.join();
            throw scenario_failure("the SQLite lock was not taken within 10 s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return holder;
}

}  // namespace

// Reproduced before the fix: while PostgreSQL restarted under load, 106 archive rows were
// dropped ("a message could not be archived"). A batch that cannot reach the database is
// written again once it is back, with the ingress gate closed meanwhile: nothing is lost.
STARLING_SCENARIO(mam_database_outage_loses_no_row) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    constexpr int total = 300;
    std::thread disruption = disrupt_database(server, options);
    exchange_chats(a, b, "out", total);
    disruption.join();
    require_equal(query(b, rsm("<max>0</max>")).rsm("count"), std::to_string(total),
                  "bob's archive after the outage");
    require_equal(query(a, rsm("<max>0</max>")).rsm("count"), std::to_string(total),
                  "alice's archive after the outage");
    require(server.log_text().find("could not be archived") == std::string::npos,
            "a row was dropped: " + server.log_text());
    const auto status = server.ctl({"status"});
    require(status.exited_with(0), "status: " + status.describe());
    require_contains(status.out, "mam.failed 0\n", "status");
}

// The archive had no per-user quota: anyone could fill a user's archive without bound. With
// max_messages 50, 200 messages sent in one write leave the newest 50 in both archives, the
// oldest dropped like a ring, and the next message from someone else pushes out one more.
STARLING_SCENARIO(mam_archive_quota_keeps_the_newest) {
    server_fixture server(options);
    start_mam_server(server, "[disco, ping, roster, offline, {mam: {max_messages: 50}}]");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/pad", carol.password, server.c2s_port());
    come_online(a);
    come_online(b);
    c.login();
    constexpr int total = 200;
    std::string burst;
    for (int i = 0; i < total; ++i)
        burst += "<message type='chat' to='" + std::string(bob.jid) + "' id='q" +
                 std::to_string(i) + "'><body>m" + std::to_string(i) + "</body></message>";
    a.send(burst);
    for (int i = 0; i < total; ++i)
        b.wait_for(message_with_id("q" + std::to_string(i)), "message q" + std::to_string(i),
                   std::chrono::seconds(30));
    std::string newest;
    for (int i = total - 50; i < total; ++i)
        newest += (newest.empty() ? "m" : ",m") + std::to_string(i);
    const auto bobs = query(b, rsm("<max>100</max>"));
    require_equal(bobs.bodies(), newest, "bob's archive");
    require_equal(bobs.rsm("count"), "50", "bob's count");
    const auto alices = query(a, rsm("<max>100</max>"));
    require_equal(alices.bodies(), newest, "alice's archive");
    require_equal(alices.rsm("count"), "50", "alice's count");
    send_chat(c, bob.jid, "from-carol", "hello");
    b.wait_for(message_with_id("from-carol"), "carol's message");
    const auto after = query(b, rsm("<max>2</max>"));
    require_equal(after.bodies(), "m151,m152", "the oldest two of bob's archive now");
    require_equal(after.rsm("count"), "50", "bob's count after carol's message");
    require_equal(query(b, rsm("<max>1</max><before/>")).bodies(), "hello", "the newest");
    require_equal(query(c, rsm("<max>0</max>")).rsm("count"), "1", "carol's own archive");
}

STARLING_SCENARIO(mam_prefs_always_never_roster) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    strophe_client c(std::string(carol.jid) + "/pad", carol.password, server.c2s_port());
    strophe_client d(std::string(dave.jid) + "/pc", dave.password, server.c2s_port());
    for (auto* client : {&a, &b, &c, &d}) come_online(*client);
    auto prefs_text = [&b](const std::string& id) {
        return canonical_stanza(
            b.request("<iq type='get' id='" + id + "'><prefs xmlns='urn:xmpp:mam:2'/></iq>", id)
                .get());
    };
    const std::string to_bob = " to='" + b.bound_jid() + "' type='result'";
    require_equal(prefs_text("p0"),
                  "<iq" + to_bob +
                      "><prefs default='always' xmlns='urn:xmpp:mam:2'><always/>"
                      "<never/></prefs></iq>",
                  "the default prefs");
    auto set_prefs = [&b, &to_bob](const std::string& id, const std::string& inner,
                                   const std::string& applied) {
        auto reply = b.request("<iq type='set' id='" + id + "'>" + inner + "</iq>", id);
        require_stanza(reply.get(), "<iq" + to_bob + ">" + applied + "</iq>", "prefs set " + id);
    };
    // Archived means: the delivered copy has a stanza-id; and whatever happens, the archive agrees.
    auto archived = [&b](strophe_client& from, const std::string& id) {
        send_chat(from, bob.jid, id, id);
        auto got = b.wait_for(message_with_id(id), "message " + id);
        return !archive_id_of(got.get(), bob.jid).empty();
    };

    set_prefs("p1",
              "<prefs xmlns='urn:xmpp:mam:2' default='never'><always><jid>" +
                  std::string(alice.jid) + "</jid></always><never/></prefs>",
              "<prefs default='never' xmlns='urn:xmpp:mam:2'><always><jid>" +
                  std::string(alice.jid) + "</jid></always><never/></prefs>");
    require(archived(a, "n1"), "never + always alice: alice's message was not archived");
    require(!archived(c, "n2"), "never: carol's message was archived");
    send_chat(b, carol.jid, "n3", "n3");  // bob's own message to carol: not archived either
    c.wait_for(message_with_id("n3"), "bob's message n3");
    require_equal(query(b, "").bodies(), "n1", "bob's archive under default=never");

    // Roster: carol is a contact, dave is not; alice is listed as never.
    auto added = b.request("<iq type='set' id='r1'><query xmlns='jabber:iq:roster'><item jid='" +
                               std::string(carol.jid) + "'/></query></iq>",
                           "r1");
    require(stanza_attribute(added.get(), "type") == "result", stanza_text(added.get()));
    set_prefs("p2",
              "<prefs xmlns='urn:xmpp:mam:2' default='roster'><always/><never><jid>" +
                  std::string(alice.jid) + "</jid></never></prefs>",
              "<prefs default='roster' xmlns='urn:xmpp:mam:2'><always/><never><jid>" +
                  std::string(alice.jid) + "</jid></never></prefs>");
    require_equal(prefs_text("p3"),
                  "<iq" + to_bob +
                      "><prefs default='roster' xmlns='urn:xmpp:mam:2'><always/>"
                      "<never><jid>" +
                      std::string(alice.jid) + "</jid></never></prefs></iq>",
                  "the stored prefs");
    require(archived(c, "r2"), "roster: carol's message was not archived");
    require(!archived(d, "r3"), "roster: dave's message was archived");
    require(!archived(a, "r4"), "roster + never alice: alice's message was archived");
    send_chat(b, carol.jid, "r5", "r5");
    c.wait_for(message_with_id("r5"), "bob's message r5");
    send_chat(b, dave.jid, "r6", "r6");
    d.wait_for(message_with_id("r6"), "bob's message r6");
    // Dave joins the roster: from now on he is archived too (the roster push reaches mod_mam).
    b.request("<iq type='set' id='r7'><query xmlns='jabber:iq:roster'><item jid='" +
                  std::string(dave.jid) + "'/></query></iq>",
              "r7");
    require(archived(d, "r8"), "roster: dave's message after he was added was not archived");
    require_equal(query(b, "").bodies(), "n1,r2,r5,r8", "bob's archive under default=roster");
    // Bad preferences are refused and change nothing.
    auto bad = b.request(
        "<iq type='set' id='p4'><prefs xmlns='urn:xmpp:mam:2' default='sometimes'/>"
        "</iq>",
        "p4");
    require_equal(stanza_error_condition(bad.get()), "bad-request", "default='sometimes'");
    // And preferences are per user: alice archives everything by default.
    require_equal(query(a, "").bodies(), "n1,r4", "alice's archive");
}

STARLING_SCENARIO(mam_no_store_hints_are_honoured) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    const std::vector<std::pair<std::string, std::string>> not_archived{
        {"h1", "<body>secret</body><no-store xmlns='urn:xmpp:hints'/>"},
        {"h2", "<body>fleeting</body><no-permanent-store xmlns='urn:xmpp:hints'/>"},
        {"h3", "<composing xmlns='http://jabber.org/protocol/chatstates'/>"},
    };
    for (const auto& [id, payload] : not_archived) {
        a.send("<message type='chat' to='" + std::string(bob.jid) + "' id='" + id + "'>" + payload +
               "</message>");
        auto got = b.wait_for(message_with_id(id), "message " + id);
        require(stanza_ids(got.get()).empty(),
                "a message not archived has a stanza-id: " + stanza_text(got.get()));
    }
    a.send("<message to='" + std::string(bob.jid) + "' id='h4'><body>kept</body></message>");
    b.wait_for(message_with_id("h4"), "message h4");
    a.send("<message type='chat' to='" + std::string(bob.jid) +
           "' id='h5'><displayed xmlns='urn:xmpp:chat-markers:0' id='h4'/>"
           "<store xmlns='urn:xmpp:hints'/></message>");
    auto marker = b.wait_for(message_with_id("h5"), "message h5");
    require(!archive_id_of(marker.get(), bob.jid).empty(),
            "a <store/> hint was not archived: " + stanza_text(marker.get()));
    a.send("<message type='headline' to='" + std::string(bob.jid) +
           "' id='h6'><body>news</body></message>");
    b.wait_for(message_with_id("h6"), "message h6");
    const auto bobs = query(b, "");
    require_equal(std::to_string(bobs.results.size()), "2", "bob's archive size");
    require_equal(bobs.bodies(), "kept,?", "bob's archive");
    require_equal(query(a, "").bodies(), "kept,?", "alice's archive");
}

STARLING_SCENARIO(mam_forged_stanza_id_is_stripped) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    send_chat(a, bob.jid, "forged", "trust me",
              "<stanza-id xmlns='urn:xmpp:sid:0' by='" + std::string(bob.jid) +
                  "' id='fake-1'/>"
                  "<stanza-id xmlns='urn:xmpp:sid:0' by='example.test' id='fake-2'/>"
                  "<stanza-id xmlns='urn:xmpp:sid:0' by='B@Example.Test' id='fake-3'/>"
                  "<stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.other.test' id='theirs'/>");
    auto got = b.wait_for(message_with_id("forged"), "the forged message");
    const auto ids = stanza_ids(got.get());
    const std::string id = archive_id_of(got.get(), bob.jid);
    require(ids.size() == 2 && ids[0] == "room@muc.other.test=theirs" && !id.empty() &&
                id.rfind("fake", 0) != 0,
            "forged stanza-ids were not replaced by the archive's: " + stanza_text(got.get()));
    const auto bobs = query(b, "");
    require_equal(std::to_string(bobs.results.size()), "1", "bob's archive size");
    require_equal(bobs.results[0].id, id, "the archive id");
    const auto archived_ids = stanza_ids(bobs.results[0].forwarded);
    require(archived_ids == ids, "the archived copy differs from the delivered one: " +
                                     stanza_text(bobs.results[0].stanza.get()));
    // A forged id is not an id of the archive.
    const auto unknown = query(b, form({{"after-id", "fake-1"}}), "error");
    require_equal(stanza_error_condition(unknown.iq.get()), "item-not-found", "after-id fake-1");
}

STARLING_SCENARIO(mam_encrypted_payload_archived_byte_for_byte) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    // An OMEMO (axolotl) message as Conversations sends it, without a body.
    const std::string encrypted =
        "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='27183'>"
        "<key rid='31415'>MwohB4x9E+Kv0QzSMf2SnDRtOaFLR8bO/6UwcX2mpmz3i4gQARogKiCj9pF0qTcZ</key>"
        "<key prekey='true' rid='16180'>Mwgz7AESIQWPwzWvrMXqyBBOzuUD9AkvdOo/WVuI+hx3="
        "</key><iv>ZQvVtVy9+JDjJtAO</iv></header>"
        "<payload>KArl+7zVTTTDDhEFqwTqWB/wQqW1qcBdpA==</payload></encrypted>";
    const std::string omemo2 =
        "<encrypted xmlns='urn:xmpp:omemo:2'><header sid='99'><keys jid='b@example.test'>"
        "<key rid='7' kex='true'>AAECAwQFBgcICQ==</key></keys></header>"
        "<payload>3q2+7w==</payload></encrypted>";
    send_chat(a, bob.jid, "omemo-1", "",
              encrypted +
                  "<encryption xmlns='urn:xmpp:eme:0' namespace='eu.siacs.conversations."
                  "axolotl'/><store xmlns='urn:xmpp:hints'/>");
    send_chat(a, bob.jid, "omemo-2", "", omemo2);
    auto canonical_child = [](xmpp_stanza_t* message, const char* ns) {
        xmpp_stanza_t* child = stanza_child(message, "encrypted", ns);
        require(child != nullptr,
                std::string("no <encrypted/> in ") + ns + ": " + stanza_text(message));
        return canonical_stanza(child, "jabber:client", false);
    };
    // What libstrophe makes of the text we sent, written the same canonical way.
    xmpp_ctx_t* ctx = xmpp_ctx_new(nullptr, nullptr);
    auto sent_form = [ctx](const std::string& text) {
        xmpp_stanza_t* parsed = xmpp_stanza_new_from_string(ctx, text.c_str());
        require(parsed != nullptr, "libstrophe cannot parse " + text);
        const std::string out = canonical_stanza(parsed, "jabber:client", false);
        xmpp_stanza_release(parsed);
        return out;
    };
    const std::string expected_axolotl = sent_form(encrypted);
    const std::string expected_omemo2 = sent_form(omemo2);
    xmpp_ctx_free(ctx);
    auto got1 = b.wait_for(message_with_id("omemo-1"), "the axolotl message");
    auto got2 = b.wait_for(message_with_id("omemo-2"), "the OMEMO 2 message");
    require_equal(canonical_child(got1.get(), "eu.siacs.conversations.axolotl"), expected_axolotl,
                  "the delivered axolotl payload");
    require_equal(canonical_child(got2.get(), "urn:xmpp:omemo:2"), expected_omemo2,
                  "the delivered OMEMO 2 payload");
    require(
        !archive_id_of(got1.get(), bob.jid).empty() && !archive_id_of(got2.get(), bob.jid).empty(),
        "an encrypted message was not archived");
    for (auto* client : {&b, &a}) {
        const auto archive = query(*client, "");
        const std::string whose = client == &b ? "bob's" : "alice's";
        require_equal(std::to_string(archive.results.size()), "2", whose + " archive size");
        require_equal(
            canonical_child(archive.results[0].forwarded, "eu.siacs.conversations.axolotl"),
            expected_axolotl, whose + " archived axolotl payload");
        require_equal(canonical_child(archive.results[1].forwarded, "urn:xmpp:omemo:2"),
                      expected_omemo2, whose + " archived OMEMO 2 payload");
    }
}

STARLING_SCENARIO(mam_retention_expires_old_messages) {
    server_fixture server(options);
    start_mam_server(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    send_chat(a, bob.jid, "old", "old news");
    b.wait_for(message_with_id("old"), "the old message");
    require_equal(query(b, "").bodies(), "old news", "bob's archive before expiry");
    // A reload moves the module's clock 31 days on, past the default retention of 30 days.
    server.modules = "[disco, ping, roster, offline, {mam: {clock_offset: 31d, expire_check: 1s}}]";
    server.write_config();
    const auto reload = server.ctl({"reload"});
    require(reload.exited_with(0), "reload: " + reload.describe());
    // Messages archived from now on carry the moved clock and are kept.
    send_chat(a, bob.jid, "new", "fresh");
    b.wait_for(message_with_id("new"), "the new message");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    std::string bodies;
    while (std::chrono::steady_clock::now() < deadline) {
        bodies = query(b, "").bodies();
        if (bodies == "fresh") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    require_equal(bodies, "fresh", "bob's archive after expiry");
    require_equal(query(a, "").bodies(), "fresh", "alice's archive after expiry");
}

}  // namespace starling::scenarios

namespace starling::scenarios {

// XEP-0313 §7.1: a message the server rejects (here, XEP-0191 blocking) is in no archive.
STARLING_SCENARIO(mam_blocked_messages_are_not_archived) {
    server_fixture server(options);
    start_mam_server(server, "[disco, ping, roster, offline, blocking, mam]");
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    come_online(a);
    come_online(b);
    auto blocked =
        b.request("<iq type='set' id='blk'><block xmlns='urn:xmpp:blocking'><item jid='" +
                      std::string(alice.jid) + "'/></block></iq>",
                  "blk");
    require(stanza_attribute(blocked.get(), "type") == "result", stanza_text(blocked.get()));
    send_chat(a, bob.jid, "in-1", "let me in");
    auto bounce = a.wait_for(message_with_id("in-1"), "the bounce of in-1");
    require_equal(stanza_error_condition(bounce.get()), "service-unavailable", "alice's message");
    send_chat(b, a.bound_jid(), "out-1", "go away");
    auto refused = b.wait_for(message_with_id("out-1"), "the refusal of out-1");
    require_equal(stanza_error_condition(refused.get()), "not-acceptable", "bob's message");
    b.request("<iq type='set' id='unblk'><unblock xmlns='urn:xmpp:blocking'/></iq>", "unblk");
    send_chat(a, bob.jid, "in-2", "friends again");
    b.wait_for(message_with_id("in-2"), "in-2");
    require_equal(query(b, "").bodies(), "friends again", "bob's archive");
    require_equal(query(a, "").bodies(), "let me in,friends again", "alice's archive");
}

}  // namespace starling::scenarios
