#pragma once
// The chat service of one host (XEP-0045): its domain, limits and store, and the directory of
// rooms it has in memory. The directory only finds a room's object by name, under a lock per
// shard held for the lookup alone; everything about a room is its own (room.hpp), on its strand.

#include "room_config.hpp"

#include "core/module.hpp"
#include "storage/archive_store.hpp"
#include "storage/muc_store.hpp"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace starling::muc {

inline constexpr const char* ns_muc = "http://jabber.org/protocol/muc";
inline constexpr const char* ns_user = "http://jabber.org/protocol/muc#user";
inline constexpr const char* ns_admin = "http://jabber.org/protocol/muc#admin";
inline constexpr const char* ns_owner = "http://jabber.org/protocol/muc#owner";
inline constexpr const char* ns_disco_info = "http://jabber.org/protocol/disco#info";
inline constexpr const char* ns_disco_items = "http://jabber.org/protocol/disco#items";
inline constexpr const char* ns_occupant_id = "urn:xmpp:occupant-id:0";
inline constexpr const char* ns_sid = "urn:xmpp:sid:0";
inline constexpr const char* ns_delay = "urn:xmpp:delay";
inline constexpr const char* ns_ping = "urn:xmpp:ping";
inline constexpr const char* form_request = "http://jabber.org/protocol/muc#request";

class Room;
struct Service;

/// The rooms of one service domain, kept for the life of the process rather than of one module
/// instance: a reload (a SIGHUP for a renewed certificate, say) must not empty every room. The
/// instances serving the domain share it; the newest live one serves its rooms.
struct Directory {
    struct Shard {
        mutable std::mutex mutex;  // held for a lookup only
        std::unordered_map<std::string, std::shared_ptr<Room>> rooms;
    };
    std::array<Shard, 64> shards;
    Shard& shard(const std::string& name) {
        return shards[std::hash<std::string>{}(name) % shards.size()];
    }

    std::mutex occupancy_mutex;  // rooms_of only, taken on entering and leaving
    std::unordered_map<std::string, std::int64_t> rooms_of;

    std::mutex owners_mutex;
    std::vector<Service*> owners;  // the live instances serving the domain, newest last

    /// The domain's directory, made when no instance has it.
    static std::shared_ptr<Directory> of(const std::string& domain);
};

struct Service : std::enable_shared_from_this<Service> {
    Service(ModuleContext& ctx, std::string domain);

    ModuleLink link;
    std::string domain;
    std::string name;        // the service's disco identity name
    ConfigLimits limits;
    bool local_creation_only;  // only users of this server's hosts create rooms
    std::int64_t max_rooms_per_user;
    std::int64_t messages_per_minute;   // per occupant, in each room
    std::int64_t presences_per_minute;  // per occupant, in each room
    storage::MucStore store;
    std::shared_ptr<const storage::ArchiveIds> archive_ids;
    storage::ArchiveStore archive;  // rooms' archives (XEP-0313), of rooms with logging on
    std::string occupant_id_key;  // keeps XEP-0421 occupant ids stable and unguessable

    /// Takes a stanza to the service or a room (the ServiceRegistry handler).
    void receive(const SessionPtr& origin, StanzaPtr stanza);

    /// The room's object, made (to be loaded from the store) when there is none in memory.
    std::shared_ptr<Room> room(const std::string& name);
    /// Drops the room's object from the directory if it is still `room` (empty and temporary,
    /// destroyed, or not stored).
    void forget(const std::string& name, const Room* room);
    /// Every room in memory (for the public list and unloading).
    std::vector<std::shared_ptr<Room>> rooms() const;
    /// Serves the domain's rooms from now on (a new instance, at load or a reload).
    void attach();
    /// Stops serving them: the newest instance still loaded takes them over, or, when none is,
    /// every room goes (the module unloads).
    void detach();

    /// A stable id of `bare` in `room` (XEP-0421).
    std::string occupant_id(const std::string& room, const std::string& bare) const;
    /// True when `jid` is an account of one of this server's hosts.
    bool is_local(const Jid& jid) const;

    /// Counts `bare` in one more room of this service; false (not counted) when it is in
    /// max_rooms_per_user rooms already. Every room a user is in costs memory in it.
    bool enter_room(const std::string& bare);
    void left_room(const std::string& bare);

private:
    void service_iq(const SessionPtr& origin, const StanzaPtr& stanza);
    void list_rooms(const SessionPtr& origin, const StanzaPtr& stanza,
                    const std::map<std::string, std::string>& listed);

    void hand_rooms_to(const std::shared_ptr<Service>& service);

    std::shared_ptr<Directory> directory_;
};

using ServicePtr = std::shared_ptr<Service>;

}  // namespace starling::muc
