#include "omemo_group.hpp"

#include "e2ee_checks.hpp"
#include "muc_steps.hpp"
#include "scenario.hpp"

#include <algorithm>

namespace starling::e2ee {
namespace {

using scenarios::require;
using scenarios::stanza_attribute;
using scenarios::stanza_child;
using scenarios::stanza_text;

std::string bare_of(const std::string& jid) {
    return jid.substr(0, jid.find('/'));
}

}  // namespace

std::set<std::string> room_roster::members() const {
    std::set<std::string> all = member_list;
    for (const auto& [nick, jid] : occupants) all.insert(jid);
    return all;
}

group_member::group_member(const scenarios::test_account& account, std::string nick,
                           const std::vector<std::uint32_t>& device_ids, std::uint16_t port)
    : account(account), nick(std::move(nick)) {
    for (std::uint32_t id : device_ids) {
        group_device device;
        device.keys = std::make_unique<omemo_device>(account.jid, id);
        device.client = std::make_unique<omemo_client>(*device.keys, "device-" + std::to_string(id),
                                                       account.password, port);
        devices.push_back(std::move(device));
    }
}

void publish_member_keys(group_member& member) {
    std::vector<std::uint32_t> listed;
    for (auto& device : member.devices) {
        omemo_client& client = *device.client;
        client.come_online();
        if (!listed.empty())
            require(client.fetch_device_list(member.account.jid) == listed,
                    "device " + std::to_string(device.keys->device_id()) + " of " +
                        member.account.jid + " does not find the list its other devices published");
        listed.push_back(device.keys->device_id());
        client.publish_device_list(listed);
        client.publish_bundle();
    }
}

room_roster discover_room_members(omemo_client& client, const std::string& room_jid) {
    using namespace scenarios::muc;
    room_roster roster;
    const std::string id = "members-" + std::to_string(client.device().device_id());
    auto reply = client.xmpp().request("<iq type='get' id='" + id + "' to='" + room_jid +
                                           "'><query xmlns='" + ns_admin +
                                           "'><item affiliation='member'/></query></iq>",
                                       id);
    require(stanza_attribute(reply.get(), "type") == "result",
            "the member list to a member: " + stanza_text(reply.get()));
    xmpp_stanza_t* query = stanza_child(reply.get(), "query", ns_admin);
    for (xmpp_stanza_t* item = query ? xmpp_stanza_get_children(query) : nullptr; item;
         item = xmpp_stanza_get_next(item))
        if (xmpp_stanza_is_tag(item)) roster.member_list.insert(stanza_attribute(item, "jid"));

    const auto presences = client.xmpp().take_all([&room_jid](xmpp_stanza_t* stanza) {
        return std::string(xmpp_stanza_get_name(stanza)) == "presence" &&
               bare_of(stanza_attribute(stanza, "from")) == room_jid;
    });
    for (const auto& presence : presences) {
        const std::string from = stanza_attribute(presence.get(), "from");
        const std::string nick = from.substr(from.find('/') + 1);
        if (stanza_attribute(presence.get(), "type") == "unavailable") {
            roster.occupants.erase(nick);
            continue;
        }
        const std::string real = item_attribute(presence.get(), "jid");
        require(!real.empty(), "a non-anonymous room hid the real JID of " + from + ": " +
                                   stanza_text(presence.get()));
        roster.occupants[nick] = bare_of(real);
    }
    return roster;
}

std::vector<omemo_device::recipient> build_group_sessions(
    omemo_client& client, const std::set<std::string>& members,
    const std::map<std::uint32_t, const omemo_device*>& published) {
    omemo_device& self = client.device();
    std::vector<omemo_device::recipient> recipients;
    for (const auto& jid : members) {
        for (std::uint32_t device : client.fetch_device_list(jid)) {
            if (jid == self.bare_jid() && device == self.device_id()) continue;
            const auto owner = published.find(device);
            require(owner != published.end() && owner->second->bare_jid() == jid,
                    jid + " lists device " + std::to_string(device) + ", which it never had");
            const omemo_bundle bundle = client.fetch_bundle(jid, device);
            require_published(bundle, *owner->second, published_pre_keys, "the items retrieval");
            // Each device picks another of the prekeys, as random picks mostly would.
            const auto& pre_key = bundle.pre_keys[self.device_id() % bundle.pre_keys.size()];
            self.build_session(jid, device, bundle, pre_key.id);
            recipients.push_back({jid, device});
        }
    }
    return recipients;
}

}  // namespace starling::e2ee
