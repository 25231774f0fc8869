// End-to-end encryption in groups (issue 15): OMEMO in a members-only, non-anonymous room, the
// room Conversations makes for a private group. Five members with two devices each publish
// their keys over PEP; every device learns the members' real JIDs from the room (occupant
// presences and the member list), fetches every member's device list and bundles and builds
// sessions; a groupchat message encrypted for every device of every member comes back from the
// room to all ten devices, the sender's own included, and each reads the original text. The
// server stores and logs none of it.
#include "e2ee_checks.hpp"
#include "muc_steps.hpp"
#include "omemo_group.hpp"
#include "scram_client.hpp"
#include "scenario.hpp"

#include <random>

namespace starling::e2ee {
namespace {

using namespace scenarios::muc;
using scenarios::alice;
using scenarios::bob;
using scenarios::require;
using scenarios::stanza_attribute;
using scenarios::stanza_child;
using scenarios::stanza_content;
using scenarios::stanza_text;

constexpr const char* ns_sid = "urn:xmpp:sid:0";
constexpr const char* ns_occupant_id = "urn:xmpp:occupant-id:0";
const std::string room_name = "omemo-circle";

// A long random text no server could come up with by chance, so finding it anywhere in
// storage can only mean the plaintext leaked.
std::string random_marker(const std::string& label) {
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device random;
    std::string marker = label + " ";
    for (int i = 0; i < 64; ++i) marker += letters[random() % (sizeof letters - 1)];
    return marker;
}

std::string device_name(const group_member& member, const group_device& device) {
    return member.nick + "'s device " + std::to_string(device.keys->device_id());
}

// The owner's first device creates the room and configures it as Conversations configures a
// private group; bob and carol become members through muc#admin, dave and erin through
// mediated invitations, which reach both of their devices.
void make_room(std::vector<group_member>& group) {
    scenarios::strophe_client& owner = group[0].devices[0].client->xmpp();
    create_room(owner, room_name, group[0].nick,
                {{"muc#roomconfig_membersonly", "1"},
                 {"muc#roomconfig_whois", "anyone"},
                 {"muc#roomconfig_publicroom", "0"},
                 {"muc#roomconfig_persistentroom", "1"},
                 // The room archives what is said (XEP-0313): ciphertext is all it may hold.
                 {"muc#roomconfig_enablelogging", "1"}});
    auto added = owner.request("<iq type='set' id='add' to='" + room(room_name) +
                                   "'><query xmlns='" + ns_admin +
                                   "'><item affiliation='member' "
                                   "jid='" +
                                   group[1].account.jid +
                                   "'/><item affiliation='member' "
                                   "jid='" +
                                   group[2].account.jid + "'/></query></iq>",
                               "add");
    require(stanza_attribute(added.get(), "type") == "result",
            "adding members: " + stanza_text(added.get()));
    owner.send("<message to='" + room(room_name) + "'><x xmlns='" + ns_user + "'><invite to='" +
               group[3].account.jid + "'/><invite to='" + group[4].account.jid +
               "'/></x></message>");
    for (std::size_t invited : {3, 4})
        for (auto& device : group[invited].devices)
            device.client->xmpp().wait_for(
                [](xmpp_stanza_t* s) {
                    return stanza_attribute(s, "from") == room(room_name) && user_x(s) &&
                           stanza_child(user_x(s), "invite", ns_user);
                },
                "the invitation at " + device_name(group[invited], device));
}

// Every device enters under its member's nick (the owner's first is in already).
void enter_room(std::vector<group_member>& group) {
    for (auto& member : group)
        for (auto& device : member.devices) {
            if (&device == &group[0].devices[0]) continue;
            auto self = enter_and_settle(device.client->xmpp(), room_name, member.nick);
            const char* affiliation = &member == &group[0] ? "owner" : "member";
            require(item_attribute(self.get(), "affiliation") == affiliation &&
                        has_code(self.get(), "100"),
                    device_name(member, device) + " entered as: " + stanza_text(self.get()));
        }
}

// What a device learned of the room names every member, by the nick each uses.
void require_roster(const std::vector<group_member>& group, const group_member& member,
                    const group_device& device) {
    const std::string who = device_name(member, device);
    std::set<std::string> expected_members;
    for (const auto& other : group) {
        if (&other != &group[0]) expected_members.insert(other.account.jid);
        if (&other == &member) continue;
        const auto seen = device.roster.occupants.find(other.nick);
        require(seen != device.roster.occupants.end() && seen->second == other.account.jid,
                who + " did not learn from the presences that " + other.nick + " is " +
                    other.account.jid);
    }
    require(device.roster.member_list == expected_members,
            who + " got a member list without the four members");
}

// The real JID behind a nick, as the reading device knows it: its own account's nick is itself.
std::string real_jid_of(const group_member& reader, const group_device& device,
                        const std::string& nick) {
    if (nick == reader.nick) return reader.account.jid;
    return device.roster.occupants.at(nick);
}

// Every device of every member gets the room's copy of message `id`, sent by `sender` as
// `sent`, and reads `plaintext`: from the sender's occupant JID, with the <encrypted/> as sent,
// one stanza id by the room and one occupant id on every copy.
void require_everyone_reads(std::vector<group_member>& group, const group_member& sender,
                            const std::string& id, const omemo_encrypted& sent,
                            const std::string& plaintext) {
    std::string stanza_id;
    std::string occupant_id;
    for (auto& member : group)
        for (auto& device : member.devices) {
            const std::string who = device_name(member, device);
            scenarios::stanza_ptr copy;
            const std::string text = device.client->receive_encrypted_groupchat(
                occupant(room_name, sender.nick), real_jid_of(member, device, sender.nick), id,
                &copy);
            require(text == plaintext,
                    who + " read something else than " + sender.nick + " sent: '" + text + "'");
            const std::string xml = stanza_text(copy.get());
            require(encrypted_xml(parse_encrypted(
                        stanza_child(copy.get(), "encrypted", omemo_ns))) == encrypted_xml(sent),
                    "the room changed the <encrypted/> on its way to " + who + ": " + xml);
            xmpp_stanza_t* sid = stanza_child(copy.get(), "stanza-id", ns_sid);
            require(sid && stanza_attribute(sid, "by") == room(room_name) &&
                        !stanza_attribute(sid, "id").empty(),
                    "no stanza-id by the room at " + who + ": " + xml);
            if (stanza_id.empty()) stanza_id = stanza_attribute(sid, "id");
            require(stanza_attribute(sid, "id") == stanza_id,
                    "another stanza id at " + who + ": " + xml);
            const std::string occupant_of =
                stanza_attribute(stanza_child(copy.get(), "occupant-id", ns_occupant_id), "id");
            if (occupant_id.empty()) occupant_id = occupant_of;
            require(!occupant_of.empty() && occupant_of == occupant_id,
                    "no or another occupant-id at " + who + ": " + xml);
            require(stanza_content(stanza_child(copy.get(), "body", nullptr)) == fallback_body,
                    "the fallback body changed at " + who + ": " + xml);
        }
}

// The device ids an <encrypted/> holds keys for, and which of them are prekey messages.
std::set<std::uint32_t> key_ids(const omemo_encrypted& encrypted, bool prekey_only = false) {
    std::set<std::uint32_t> ids;
    for (const auto& key : encrypted.keys)
        if (!prekey_only || key.prekey) ids.insert(key.rid);
    return ids;
}

}  // namespace

STARLING_SCENARIO(e2ee_omemo_groupchat_in_members_only_room) {
    scenarios::server_fixture server(options);
    start_server(server, "{}", "muc", {dave, erin});
    const std::uint16_t port = server.c2s_port();
    std::vector<group_member> group;
    group.reserve(5);
    group.emplace_back(alice, "alice", std::vector<std::uint32_t>{1101, 1102}, port);
    group.emplace_back(bob, "bob", std::vector<std::uint32_t>{2201, 2202}, port);
    group.emplace_back(carol, "carol", std::vector<std::uint32_t>{3301, 3302}, port);
    group.emplace_back(dave, "dave", std::vector<std::uint32_t>{4401, 4402}, port);
    group.emplace_back(erin, "erin", std::vector<std::uint32_t>{5501, 5502}, port);
    std::map<std::uint32_t, const omemo_device*> published;
    std::set<std::uint32_t> every_device;
    for (auto& member : group) {
        publish_member_keys(member);
        for (const auto& device : member.devices) {
            published[device.keys->device_id()] = device.keys.get();
            every_device.insert(device.keys->device_id());
        }
    }
    make_room(group);
    enter_room(group);

    // Each device learns the members through the room, then keys up with every other device.
    for (auto& member : group)
        for (auto& device : member.devices) {
            device.roster = discover_room_members(*device.client, room(room_name));
            require_roster(group, member, device);
            std::set<std::string> members = device.roster.members();
            members.insert(member.account.jid);
            device.recipients = build_group_sessions(*device.client, members, published);
            require(device.recipients.size() == every_device.size() - 1,
                    device_name(member, device) + " has sessions with " +
                        std::to_string(device.recipients.size()) + " devices, not 9");
        }

    // Bob's second device writes to the room: a key for the nine other devices, bob's first
    // among them, each the first message of its session.
    group_device& bob_laptop = group[1].devices[1];
    const std::string first = random_marker("Group secret one:");
    const omemo_encrypted sent = bob_laptop.client->send_encrypted_groupchat(
        room(room_name), "e2ee-group-1", first, bob_laptop.recipients);
    std::set<std::uint32_t> others = every_device;
    others.erase(2202);
    require(key_ids(sent) == others && key_ids(sent, true) == others && sent.keys.size() == 9,
            "bob's laptop did not encrypt a prekey message for each of the nine other devices");
    require_everyone_reads(group, group[1], "e2ee-group-1", sent, first);

    // Erin answers from her first device: bob's laptop, whose prekey message she has read, gets
    // a plain ratchet message; the others are still the first of their sessions.
    group_device& erin_phone = group[4].devices[0];
    const std::string reply = random_marker("Group secret two:");
    const omemo_encrypted answered = erin_phone.client->send_encrypted_groupchat(
        room(room_name), "e2ee-group-2", reply, erin_phone.recipients);
    std::set<std::uint32_t> prekeyed = every_device;
    prekeyed.erase(5501);
    prekeyed.erase(2202);
    require(key_ids(answered).size() == 9 && key_ids(answered, true) == prekeyed,
            "erin's answer did not continue the session bob's laptop began");
    require_everyone_reads(group, group[4], "e2ee-group-2", answered, reply);

    // The scan must find the room, every identity key and both messages' ciphertext (the room's
    // archive) in storage, so that finding no plaintext there means something.
    std::vector<std::string> stored{room_name, scenarios::base64_encode(sent.payload),
                                    scenarios::base64_encode(answered.payload)};
    for (const auto& member : group)
        for (const auto& device : member.devices) stored.push_back(identity_base64(*device.keys));
    require_no_plaintext_stored(server, {first, reply}, stored);
}

}  // namespace starling::e2ee
