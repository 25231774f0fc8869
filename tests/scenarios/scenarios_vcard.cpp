// XEP-0054 vcard-temp through mod_vcard: set and get one's own, read another's, an empty vCard
// for an account that never set one, and no setting of someone else's.
#include "stanza_matchers.hpp"
#include "strophe_client.hpp"
#include "test_accounts.hpp"

namespace starling::scenarios {
namespace {

constexpr const char* with_vcard = "[disco, ping, vcard]";

}  // namespace

STARLING_SCENARIO(vcard_set_get_own_and_others) {
    server_fixture server(options);
    server.modules = with_vcard;
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    strophe_client b(std::string(bob.jid) + "/phone", bob.password, server.c2s_port());
    a.login();
    b.login();
    const std::string card =
        "<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN><NICKNAME>al &amp; co</NICKNAME>"
        "</vCard>";
    auto set = a.request("<iq type='set' id='v1'>" + card + "</iq>", "v1");
    require(stanza_attribute(set.get(), "type") == "result", "set: " + stanza_text(set.get()));
    require(xmpp_stanza_get_children(set.get()) == nullptr, "set result has a payload");

    for (strophe_client* reader : {&a, &b}) {
        auto got = reader->request("<iq type='get' id='v2' to='" + std::string(alice.jid) +
                                       "'><vCard xmlns='vcard-temp'/></iq>",
                                   "v2");
        const std::string text = stanza_text(got.get());
        require(stanza_attribute(got.get(), "type") == "result", "get: " + text);
        require(stanza_attribute(got.get(), "from") == alice.jid, "get from: " + text);
        xmpp_stanza_t* vcard = stanza_child(got.get(), "vCard", "vcard-temp");
        require(vcard != nullptr, "no vCard: " + text);
        xmpp_stanza_t* fn = stanza_child(vcard, "FN", "vcard-temp");
        xmpp_stanza_t* nick = stanza_child(vcard, "NICKNAME", "vcard-temp");
        require(fn && stanza_content(fn) == "Alice Liddell", "FN: " + text);
        require(nick && stanza_content(nick) == "al & co", "NICKNAME: " + text);
    }

    // Bob never set one: an empty vCard, to his own get with no 'to' as to alice's.
    auto own_empty = b.request("<iq type='get' id='v3'><vCard xmlns='vcard-temp'/></iq>", "v3");
    xmpp_stanza_t* own_vcard = stanza_child(own_empty.get(), "vCard", "vcard-temp");
    require(own_vcard && xmpp_stanza_get_children(own_vcard) == nullptr,
            "expected an empty vCard: " + stanza_text(own_empty.get()));
    auto empty = a.request("<iq type='get' id='v4' to='" + std::string(bob.jid) +
                               "'><vCard xmlns='vcard-temp'/></iq>",
                           "v4");
    xmpp_stanza_t* vcard = stanza_child(empty.get(), "vCard", "vcard-temp");
    require(vcard && xmpp_stanza_get_children(vcard) == nullptr,
            "expected an empty vCard: " + stanza_text(empty.get()));

    auto forbidden = b.request("<iq type='set' id='v5' to='" + std::string(alice.jid) + "'>" +
                                   "<vCard xmlns='vcard-temp'><FN>Mallory</FN></vCard></iq>",
                               "v5");
    require(stanza_error_condition(forbidden.get()) == "forbidden",
            "setting another's vCard: " + stanza_text(forbidden.get()));
    auto still = a.request("<iq type='get' id='v6'><vCard xmlns='vcard-temp'/></iq>", "v6");
    xmpp_stanza_t* fn = stanza_child(stanza_child(still.get(), "vCard", "vcard-temp"), "FN",
                                     "vcard-temp");
    require(fn && stanza_content(fn) == "Alice Liddell",
            "the vCard changed: " + stanza_text(still.get()));
}

STARLING_SCENARIO(vcard_size_limit) {
    server_fixture server(options);
    server.modules = "[disco, ping, {vcard: {max_size: 256}}]";
    server.write_config();
    start_with_accounts(server);
    strophe_client a(std::string(alice.jid) + "/desk", alice.password, server.c2s_port());
    a.login();
    auto big = a.request("<iq type='set' id='big'><vCard xmlns='vcard-temp'><DESC>" +
                             std::string(300, 'x') + "</DESC></vCard></iq>",
                         "big");
    require(stanza_error_condition(big.get()) == "not-acceptable",
            "an oversized vCard: " + stanza_text(big.get()));
}

}  // namespace starling::scenarios
