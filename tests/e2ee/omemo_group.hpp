#pragma once
// OMEMO in a group chat, as Conversations does it: every member's devices are occupants of one
// members-only, non-anonymous room; each device learns the members' real JIDs through the room,
// fetches their device lists and bundles over PEP, and encrypts a group message for every
// device of every member.

#include "omemo_client.hpp"
#include "omemo_device.hpp"
#include "test_accounts.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace starling::e2ee {

/// Two more accounts, so that a group can have five members.
inline constexpr scenarios::test_account dave{"d", "d@example.test", "dave-secret-4"};
inline constexpr scenarios::test_account erin{"e", "e@example.test", "erin-secret-5"};

/// Who a device learns is in the room: the real bare JID behind each nick, from the occupant
/// presences of a non-anonymous room, and the member list (muc#admin, affiliation member),
/// which also names members who are not in the room. Conversations encrypts to both.
struct room_roster {
    std::map<std::string, std::string> occupants;  ///< nick -> real bare JID
    std::set<std::string> member_list;
    std::set<std::string> members() const;
};

/// One device of a member: its keys, its connection (resource "device-<id>"), what it learned
/// of the room, and the devices it encrypts a group message for.
struct group_device {
    std::unique_ptr<omemo_device> keys;
    std::unique_ptr<omemo_client> client;
    room_roster roster;
    std::vector<omemo_device::recipient> recipients;
};

/// One account of the group: its nick in the room, under which all its devices enter.
struct group_member {
    group_member(const scenarios::test_account& account, std::string nick,
                 const std::vector<std::uint32_t>& device_ids, std::uint16_t port);
    scenarios::test_account account;
    std::string nick;
    std::vector<group_device> devices;
};

/// Brings the member's devices online one after the other, each publishing its keys as a new
/// Conversations device does: it fetches the account's device list (none for the first),
/// publishes it with itself added, then its bundle.
void publish_member_keys(group_member& member);

/// Asks the room for its member list and collects the real JIDs of the occupant presences the
/// device has received. The room answers after the presences it sent before, so every
/// occupant that had entered by then is known.
room_roster discover_room_members(omemo_client& client, const std::string& room_jid);

/// Fetches the device list of each of `members` (the device's own account included) and the
/// bundle of every device but itself, checks each bundle against the device in `published`
/// that published it, builds a session from it, and returns those devices as recipients.
std::vector<omemo_device::recipient> build_group_sessions(
    omemo_client& client, const std::set<std::string>& members,
    const std::map<std::uint32_t, const omemo_device*>& published);

}  // namespace starling::e2ee
