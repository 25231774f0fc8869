// mod_carbons (XEP-0280): enable and disable, <sent/> copies to the sender's other enabled
// resources, <received/> copies (carrying mod_mam's stanza-id) to the enabled resources that
// routing did not deliver to, <private/> and <no-copy/>, and a message to the bare JID of a
// user with resources of different priorities.
#include "canonical_stanza.hpp"
#include "client_steps.hpp"
#include "stanza_matchers.hpp"
#include "test_accounts.hpp"
#include "xmpp_names.hpp"

#include <cstring>

namespace starling::scenarios {
namespace {

const std::string carbons_modules = "[disco, ping, roster, offline, mam, carbons]";
const std::string a_bare = alice.jid;
const std::string b_bare = bob.jid;

void enable(strophe_client& client, const char* verb = "enable") {
    const std::string id = std::string(verb) + "-carbons";
    auto reply = client.request(
        "<iq type='set' id='" + id + "'><" + verb + " xmlns='urn:xmpp:carbons:2'/></iq>", id);
    require_stanza(reply.get(), "<iq to='" + client.bound_jid() + "' type='result'/>",
                   std::string(verb) + " carbons on " + client.bound_jid());
}

// The next message `client` receives must be the one with `id` (so nothing came before it).
stanza_ptr next_is(strophe_client& client, const std::string& id, const std::string& what) {
    auto message = client.wait_for(any_message, what);
    require(stanza_attribute(message.get(), "id") == id, client.bound_jid() + " expected " + what +
                                                             " (id " + id + ") next, got " +
                                                             stanza_text(message.get()));
    return message;
}

// The archive id a copy carries for `archive`.
std::string stanza_id_by(xmpp_stanza_t* message, const std::string& archive) {
    for (xmpp_stanza_t* child = xmpp_stanza_get_children(message); child;
         child = xmpp_stanza_get_next(child)) {
        const char* ns = xmpp_stanza_get_ns(child);
        if (xmpp_stanza_is_tag(child) &&
            std::strcmp(xmpp_stanza_get_name(child), "stanza-id") == 0 && ns &&
            std::strcmp(ns, "urn:xmpp:sid:0") == 0 && stanza_attribute(child, "by") == archive)
            return stanza_attribute(child, "id");
    }
    return "";
}

// The carbon `kind` (sent or received) of a message with `inner` canonical text, to `to`.
std::string carbon(const std::string& kind, const std::string& to, const std::string& inner) {
    return "<message from='" + a_bare + "' to='" + to + "' type='chat'><" + kind +
           " xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>" + inner +
           "</forwarded></" + kind + "></message>";
}

// Canonical text of a forwarded message (inner, so its id is kept).
std::string inner_message(const std::string& from, const std::string& to, const std::string& id,
                          const std::string& content) {
    return "<message from='" + from + "' id='" + id + "' to='" + to +
           "' type='chat' xmlns='jabber:client'>" + content + "</message>";
}

// The <sent/> carbon of a message from `from` to `to` on `client`, exactly, carrying the
// sender's archive id (XEP-0313 §3.2); returns that id.
std::string require_sent(strophe_client& client, const std::string& from, const std::string& to,
                         const std::string& id) {
    auto copy = client.wait_for(any_message, "the sent carbon of " + id);
    xmpp_stanza_t* sent = stanza_child(copy.get(), "sent", "urn:xmpp:carbons:2");
    xmpp_stanza_t* forwarded =
        sent ? stanza_child(sent, "forwarded", "urn:xmpp:forward:0") : nullptr;
    xmpp_stanza_t* inner = forwarded ? stanza_child(forwarded, "message", ns::client) : nullptr;
    require(inner != nullptr, "not a sent carbon: " + stanza_text(copy.get()));
    const std::string sid = stanza_id_by(inner, a_bare);
    require(!sid.empty(), "the sent carbon lacks the archive id: " + stanza_text(copy.get()));
    require_stanza(copy.get(),
                   carbon("sent", client.bound_jid(),
                          inner_message(from, to, id,
                                        "<body>" + id + "</body><stanza-id by='" + a_bare +
                                            "' id='" + sid + "' xmlns='urn:xmpp:sid:0'/>")),
                   "the sent carbon of " + id + " on " + client.bound_jid());
    return sid;
}

}  // namespace

STARLING_SCENARIO(carbons_on_three_resources) {
    server_fixture server(options);
    server.modules = carbons_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client desk(a_bare + "/desk", alice.password, server.c2s_port());
    strophe_client phone(a_bare + "/phone", alice.password, server.c2s_port());
    strophe_client tablet(a_bare + "/tablet", alice.password, server.c2s_port());
    strophe_client b(b_bare + "/pc", bob.password, server.c2s_port());
    for (auto* client : {&desk, &phone, &tablet, &b}) come_online(*client);
    auto info = desk.request("<iq type='get' id='d1' to='example.test'><query xmlns='" +
                                 std::string(ns::disco_info) + "'/></iq>",
                             "d1");
    require(canonical_stanza(info.get()).find("<feature var='urn:xmpp:carbons:2'/>") !=
                std::string::npos,
            "the server does not announce carbons: " + stanza_text(info.get()));
    enable(desk);
    enable(phone);
    enable(phone);  // twice is no error (§9.1)
    auto to_alice = [&b](const std::string& to, const std::string& id, const std::string& extra) {
        b.send("<message type='chat' to='" + to + "' id='" + id + "'><body>" + id + "</body>" +
               extra + "</message>");
    };
    auto from_desk = [&desk](const std::string& id, const std::string& extra) {
        desk.send("<message type='chat' to='" + b_bare + "' id='" + id + "'><body>" + id +
                  "</body>" + extra + "</message>");
    };
    // The received copy of `original` (as its addressee got it) on `client`, exactly.
    auto require_received = [](strophe_client& client, xmpp_stanza_t* original,
                               const std::string& to, const std::string& id) {
        const std::string sid = stanza_id_by(original, a_bare);
        require(!sid.empty(), "the original has no stanza-id: " + stanza_text(original));
        auto copy = client.wait_for(any_message, "the received carbon of " + id);
        require_stanza(copy.get(),
                       carbon("received", client.bound_jid(),
                              inner_message(b_bare + "/pc", to, id,
                                            "<body>" + id + "</body><stanza-id by='" + a_bare +
                                                "' id='" + sid + "' xmlns='urn:xmpp:sid:0'/>")),
                       "the received carbon of " + id + " on " + client.bound_jid());
    };

    // Sent: desk writes to bob; the phone gets a <sent/> copy, the desk and the tablet none.
    from_desk("s1", "");
    auto s1 = next_is(b, "s1", "the original s1");
    require(stanza_id_by(s1.get(), a_bare).empty(),
            "the recipient got the sender's archive id: " + stanza_text(s1.get()));
    const std::string s1_id = require_sent(phone, desk.bound_jid(), b_bare, "s1");
    // The id in the carbon is the one alice's archive has the message under.
    auto found = desk.request(
        "<iq type='set' id='aq'><query xmlns='urn:xmpp:mam:2' queryid='aq'>"
        "<x xmlns='jabber:x:data' type='submit'><field var='ids'><value>" +
            s1_id + "</value></field></x></query></iq>",
        "aq");
    require(stanza_attribute(found.get(), "type") == "result", stanza_text(found.get()));
    auto results = desk.take_all([](xmpp_stanza_t* stanza) {
        return stanza_child(stanza, "result", "urn:xmpp:mam:2") != nullptr;
    });
    require(results.size() == 1 &&
                stanza_text(results[0].get()).find("<body>s1</body>") != std::string::npos,
            "alice's archive has no s1 under " + s1_id);

    // Received, to a full JID: the tablet gets the original, the desk and the phone copies
    // (which are their first messages: neither got anything of s1).
    to_alice(tablet.bound_jid(), "r1", "");
    auto r1 = next_is(tablet, "r1", "the original r1");
    require_received(desk, r1.get(), tablet.bound_jid(), "r1");
    require_received(phone, r1.get(), tablet.bound_jid(), "r1");
    to_alice(desk.bound_jid(), "r2", "");
    auto r2 = next_is(desk, "r2", "the original r2");
    require_received(phone, r2.get(), desk.bound_jid(), "r2");

    // <private/>, <no-copy/> and a carbon sent as a message: no copies either way, and bob and
    // the desk get <private/> removed.
    from_desk("x1", "<private xmlns='urn:xmpp:carbons:2'/>");
    auto x1 = next_is(b, "x1", "the private x1");
    require(stanza_child(x1.get(), "private", "urn:xmpp:carbons:2") == nullptr,
            "<private/> reached the recipient: " + stanza_text(x1.get()));
    to_alice(desk.bound_jid(), "x2", "<private xmlns='urn:xmpp:carbons:2'/>");
    auto x2 = next_is(desk, "x2", "the private x2");
    require(stanza_child(x2.get(), "private", "urn:xmpp:carbons:2") == nullptr,
            "<private/> reached the recipient: " + stanza_text(x2.get()));
    from_desk("y1", "<no-copy xmlns='urn:xmpp:hints'/>");
    next_is(b, "y1", "the no-copy y1");
    to_alice(desk.bound_jid(), "y2", "<no-copy xmlns='urn:xmpp:hints'/>");
    next_is(desk, "y2", "the no-copy y2");
    desk.send("<message type='chat' to='" + b_bare +
              "' id='z1'><sent xmlns='urn:xmpp:carbons:2'>"
              "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' to='" +
              b_bare + "' type='chat'><body>nested</body></message></forwarded></sent></message>");
    next_is(b, "z1", "the carbon-looking z1");
    to_alice(tablet.bound_jid(), "r3", "");
    auto r3 = next_is(tablet, "r3", "the original r3");
    require_received(desk, r3.get(), tablet.bound_jid(), "r3");
    require_received(phone, r3.get(), tablet.bound_jid(), "r3");  // nothing since r2

    // Disabled: the phone gets no more copies, sent or received.
    enable(phone, "disable");
    from_desk("s2", "");
    next_is(b, "s2", "the original s2");
    to_alice(tablet.bound_jid(), "r4", "");
    auto r4 = next_is(tablet, "r4", "the original r4");
    require_received(desk, r4.get(), tablet.bound_jid(), "r4");
    to_alice(phone.bound_jid(), "r5", "");
    auto r5 = next_is(phone, "r5", "the original r5");  // nothing of s2 or r4 before it
    require_received(desk, r5.get(), phone.bound_jid(), "r5");
}

STARLING_SCENARIO(carbons_bare_jid_message_to_two_priorities) {
    server_fixture server(options);
    server.modules = carbons_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client high(a_bare + "/high", alice.password, server.c2s_port());
    strophe_client low(a_bare + "/low", alice.password, server.c2s_port());
    strophe_client b(b_bare + "/pc", bob.password, server.c2s_port());
    come_online(high, 5);
    come_online(low, 1);
    come_online(b);
    enable(high);
    enable(low);
    // RFC 6121: a chat to the bare JID goes to the highest priority only; the other enabled
    // resource gets the received copy, addressed as the original was (to the bare JID).
    b.send("<message type='chat' to='" + a_bare + "' id='b1'><body>b1</body></message>");
    auto b1 = next_is(high, "b1", "the original b1");
    const std::string sid = stanza_id_by(b1.get(), a_bare);
    require(!sid.empty(), "the original has no stanza-id: " + stanza_text(b1.get()));
    auto copy = low.wait_for(any_message, "the received carbon of b1");
    require_stanza(copy.get(),
                   carbon("received", low.bound_jid(),
                          inner_message(b.bound_jid(), a_bare, "b1",
                                        "<body>b1</body><stanza-id by='" + a_bare + "' id='" + sid +
                                            "' xmlns='urn:xmpp:sid:0'/>")),
                   "the received carbon on the lower priority");
    // The lower priority resource writes: the higher one gets the sent copy.
    low.send("<message type='chat' to='" + b_bare + "' id='b2'><body>b2</body></message>");
    next_is(b, "b2", "the original b2");
    require_sent(high, low.bound_jid(), b_bare, "b2");
    // Equal priorities: both get the original, so neither gets a copy.
    low.send("<presence><priority>5</priority></presence>");
    low.request("<iq type='get' id='p5'><ping xmlns='urn:xmpp:ping'/></iq>", "p5");
    b.send("<message type='chat' to='" + a_bare + "' id='b3'><body>b3</body></message>");
    next_is(high, "b3", "the original b3 on high");
    next_is(low, "b3", "the original b3 on low");
    // A normal message with a body is eligible too; a headline is not.
    b.send("<message to='" + a_bare + "' id='b4' type='headline'><body>news</body></message>");
    next_is(high, "b4", "the headline on high");
    next_is(low, "b4", "the headline on low");
    low.send("<presence><priority>0</priority></presence>");
    low.request("<iq type='get' id='p0'><ping xmlns='urn:xmpp:ping'/></iq>", "p0");
    b.send("<message to='" + a_bare + "' id='b5'><body>b5</body></message>");
    next_is(high, "b5", "the normal b5");
    auto normal_copy = low.wait_for(any_message, "the received carbon of b5");
    xmpp_stanza_t* received = stanza_child(normal_copy.get(), "received", "urn:xmpp:carbons:2");
    require(received != nullptr && stanza_attribute(normal_copy.get(), "from") == a_bare &&
                stanza_attribute(normal_copy.get(), "type").empty(),
            "no received carbon of the normal b5: " + stanza_text(normal_copy.get()));
}

// A reload keeps the sessions, so it must keep their carbons too: the phone enabled carbons
// before the reload and still gets its copies after it, both ways, once each; the desk, which
// never enabled them, still gets none. A reload that fails changes nothing either.
STARLING_SCENARIO(carbons_survive_reload) {
    server_fixture server(options);
    server.modules = carbons_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client desk(a_bare + "/desk", alice.password, server.c2s_port());
    strophe_client phone(a_bare + "/phone", alice.password, server.c2s_port());
    strophe_client b(b_bare + "/pc", bob.password, server.c2s_port());
    for (auto* client : {&desk, &phone, &b}) come_online(*client);
    enable(phone);
    // A reload that fails after carbons' new instance was loaded unloads that instance again:
    // the old one goes on copying.
    server.modules = "[disco, ping, roster, offline, mam, carbons, no_such_module]";
    server.write_config();
    const auto failed = server.ctl({"reload"});
    require(!failed.exited_with(0), "a reload with a missing module: " + failed.describe());
    desk.send("<message type='chat' to='" + b_bare + "' id='s0'><body>s0</body></message>");
    next_is(b, "s0", "the original s0");
    require_sent(phone, desk.bound_jid(), b_bare, "s0");
    server.modules = carbons_modules;
    server.write_config();
    const auto reload = server.ctl({"reload"});
    require(reload.exited_with(0), "reload: " + reload.describe());
    desk.send("<message type='chat' to='" + b_bare + "' id='s1'><body>s1</body></message>");
    next_is(b, "s1", "the original s1");
    require_sent(phone, desk.bound_jid(), b_bare, "s1");
    b.send("<message type='chat' to='" + desk.bound_jid() + "' id='r1'><body>r1</body></message>");
    auto r1 = next_is(desk, "r1", "the original r1");
    auto copy = phone.wait_for(any_message, "the received carbon of r1 after the reload");
    const std::string sid = stanza_id_by(r1.get(), a_bare);
    require_stanza(copy.get(),
                   carbon("received", phone.bound_jid(),
                          inner_message(b.bound_jid(), desk.bound_jid(), "r1",
                                        "<body>r1</body><stanza-id by='" + a_bare + "' id='" + sid +
                                            "' xmlns='urn:xmpp:sid:0'/>")),
                   "the received carbon of r1 after the reload");
    // The desk's first message since the reload is r1 itself: it got no copy of s1.
    b.send("<message type='chat' to='" + phone.bound_jid() + "' id='r2'><body>r2</body></message>");
    next_is(phone, "r2", "the original r2");
    settle(desk);
    require(desk.take_all(any_message).empty(),
            "the desk, which never enabled carbons, got a copy after the reload");
}

// The pass-through rule: an OMEMO message (no body, only <encrypted/>) is carbon-copied
// with its payload exactly as the sender wrote it, both as a <sent/> and as a <received/> copy.
STARLING_SCENARIO(carbons_copy_encrypted_payloads_unchanged) {
    server_fixture server(options);
    server.modules = carbons_modules;
    server.write_config();
    start_with_accounts(server);
    strophe_client desk(a_bare + "/desk", alice.password, server.c2s_port());
    strophe_client phone(a_bare + "/phone", alice.password, server.c2s_port());
    strophe_client b(b_bare + "/pc", bob.password, server.c2s_port());
    for (auto* client : {&desk, &phone, &b}) come_online(*client);
    enable(phone);
    const std::string encrypted =
        "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='27183'>"
        "<key rid='31415'>MwohB4x9E+Kv0QzSMf2SnDRtOaFLR8bO/6UwcX2mpmz3i4gQARogKiCj9pF0qTcZ</key>"
        "<key prekey='true' rid='16180'>Mwgz7AESIQWPwzWvrMXqyBBOzuUD9AkvdOo/WVuI+hx3=</key>"
        "<iv>ZQvVtVy9+JDjJtAO</iv></header>"
        "<payload>KArl+7zVTTTDDhEFqwTqWB/wQqW1qcBdpA==</payload></encrypted>";
    // What libstrophe makes of the text sent, in the canonical form the copies are read in.
    xmpp_ctx_t* ctx = xmpp_ctx_new(nullptr, nullptr);
    xmpp_stanza_t* parsed = xmpp_stanza_new_from_string(ctx, encrypted.c_str());
    require(parsed != nullptr, "libstrophe cannot parse the payload");
    const std::string expected = canonical_stanza(parsed, "jabber:client", false);
    xmpp_stanza_release(parsed);
    xmpp_ctx_free(ctx);
    auto payload_in_copy = [](xmpp_stanza_t* copy, const char* kind) {
        xmpp_stanza_t* wrapper = stanza_child(copy, kind, "urn:xmpp:carbons:2");
        xmpp_stanza_t* forwarded =
            wrapper ? stanza_child(wrapper, "forwarded", "urn:xmpp:forward:0") : nullptr;
        xmpp_stanza_t* inner = forwarded ? stanza_child(forwarded, "message", ns::client) : nullptr;
        xmpp_stanza_t* payload =
            inner ? stanza_child(inner, "encrypted", "eu.siacs.conversations.axolotl") : nullptr;
        require(payload != nullptr,
                std::string("no <encrypted/> in the ") + kind + " carbon: " + stanza_text(copy));
        return canonical_stanza(payload, "jabber:client", false);
    };

    desk.send("<message type='chat' to='" + b_bare + "' id='e1'>" + encrypted + "</message>");
    next_is(b, "e1", "the encrypted e1");
    auto sent = next_is(phone, "", "the sent carbon of e1");
    const std::string in_sent = payload_in_copy(sent.get(), "sent");
    require(in_sent == expected, "the payload in the sent carbon changed: " + in_sent);

    b.send("<message type='chat' to='" + desk.bound_jid() + "' id='e2'>" + encrypted +
           "</message>");
    next_is(desk, "e2", "the encrypted e2");
    auto received = next_is(phone, "", "the received carbon of e2");
    const std::string in_received = payload_in_copy(received.get(), "received");
    require(in_received == expected, "the payload in the received carbon changed: " + in_received);
}

}  // namespace starling::scenarios
