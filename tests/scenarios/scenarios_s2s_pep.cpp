// PEP across domains (XEP-0163 §4.3): a contact on another domain subscribed to the owner's
// presence hears of the owner's nodes as a local contact does. Its server's presence to the owner
// carries its resources' caps (XEP-0115), which the owner's server verifies by asking each
// resource over s2s; each resource then gets the last item of the nodes it asks for, and later
// notifications while it is available. Regression: Starling read caps from local sessions only,
// so no notification ever left for another domain (found against Prosody and ejabberd).
#include "client_steps.hpp"
#include "federation_fixture.hpp"
#include "pep_steps.hpp"

#include <string>

namespace starling::scenarios {
namespace {

using namespace pep;
const std::string a_bare = alice.jid;
const std::string c_bare = carol_jid;
const std::string devicelist = "eu.siacs.conversations.axolotl.devicelist";
const std::string secret_node = "urn:example:secret";
const std::vector<std::string> both_servers = {remote_main, main_host};

std::string device_list(const std::string& id) {
    return "<list xmlns='eu.siacs.conversations.axolotl'><device id='" + id + "'/></list>";
}

// The devicelist notification carrying item `current` with `payload`, as sent to `to`.
std::string devicelist_event(const std::string& to, const std::string& payload) {
    return "<message from='" + a_bare + "' to='" + to + "' type='headline'><event xmlns='" +
           ns_event + "'><items node='" + devicelist + "'><item id='current'>" + payload +
           "</item></items></event></message>";
}

}  // namespace

STARLING_SCENARIO(s2s_pep_notifies_remote_contacts_through_their_caps) {
    federation servers(options, pep_modules);
    strophe_client a(a_bare + "/desk", alice.password, servers.home.c2s_port());
    a.login();
    go_online(a);
    strophe_client phone(c_bare + "/phone", carol_password, servers.away.c2s_port());
    phone.login();
    go_online(phone);
    // carol subscribes to alice (alice's roster: carol, from), and alice to carol, so that
    // carol's server sends her presence to alice.
    subscribe(phone, c_bare, a, a_bare);
    phone.wait_for(presence_from(a.bound_jid()), "alice's presence after she approved");
    subscribe(a, a_bare, phone, c_bare);
    a.wait_for(presence_from(phone.bound_jid()), "carol's presence after she approved");

    // Both servers ask carol's resource for its caps: hers, and alice's now that the caps come
    // to alice from a subscriber.
    const caps_profile conversations{
        "Conversations",
        {"eu.siacs.conversations.axolotl.devicelist+notify", "http://jabber.org/protocol/caps",
         "http://jabber.org/protocol/disco#info", "urn:example:secret+notify"}};
    online_with_caps(phone, conversations, "", both_servers);
    strophe_client laptop(c_bare + "/laptop", carol_password, servers.away.c2s_port());
    laptop.login();
    online_with_caps(
        laptop,
        caps_profile{"Gajim",
                     {"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info"}},
        "", both_servers);

    // A publish reaches the resource that asks for the node, on the other domain.
    publish(a, "dl1", devicelist, "current", device_list("1111"));
    require_stanza(phone.wait_for(event_for(devicelist), "alice's device list at carol").get(),
                   devicelist_event(phone.bound_jid(), device_list("1111")),
                   "the devicelist notification across domains");
    require_nothing(laptop, event_for(devicelist), "a resource without +notify was notified");

    // The access model holds for remote contacts too: a whitelist node that does not name carol.
    publish(a, "s1", secret_node, "s", "<secret xmlns='urn:example:secret'/>",
            publish_options({{"pubsub#access_model", "whitelist"}}));
    require_nothing(phone, event_for(secret_node), "a whitelist node notified a stranger to it");

    // A resource that comes online later gets the last item once its caps are verified.
    strophe_client tablet(c_bare + "/tablet", carol_password, servers.away.c2s_port());
    tablet.login();
    online_with_caps(
        tablet,
        caps_profile{"Dino",
                     {"eu.siacs.conversations.axolotl.devicelist+notify",
                      "http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info"}},
        "", both_servers);
    require_stanza(tablet.wait_for(event_for(devicelist), "the last item at the tablet").get(),
                   devicelist_event(tablet.bound_jid(), device_list("1111")),
                   "the last published item to a remote resource that came online");

    // Unavailable presence from the phone forgets it (it stays connected, so a notification
    // would still reach it); the tablet is notified alone. alice's client seeing the phone leave
    // means her server took that presence before the publish that follows.
    phone.send("<presence type='unavailable'/>");
    a.wait_for(presence_from(phone.bound_jid(), "unavailable"), "the phone's unavailable");
    publish(a, "dl2", devicelist, "current", device_list("2222"));
    require_stanza(tablet.wait_for(event_for(devicelist), "the second device list").get(),
                   devicelist_event(tablet.bound_jid(), device_list("2222")),
                   "the notification to the remaining resource");
    require_nothing(phone, event_for(devicelist), "an unavailable remote resource was notified");

    // Back online with caps both servers verified already: nobody asks again, and the last
    // item comes at once.
    phone.send("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" +
               conversations.node + "' ver='" + conversations.ver() + "'/></presence>");
    require_stanza(phone.wait_for(event_for(devicelist), "the last item from cached caps").get(),
                   devicelist_event(phone.bound_jid(), device_list("2222")),
                   "the last item to a remote resource whose caps were cached");
    require_nothing(phone, is_disco_query, "verified caps were asked for again");
}

}  // namespace starling::scenarios
