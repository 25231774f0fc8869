#pragma once
// One chat room (XEP-0045). Every member function but receive() runs on the room's strand, and
// only there is the room's state touched: occupants, roles, affiliations, history, subject and
// configuration need no lock, and a room never waits for another room or for a session
// (delivery only queues). A database write that a reply promises is committed before the reply,
// and its result is posted back to the strand.

#include "room_config.hpp"
#include "service.hpp"

#include "core/fan_out.hpp"
#include "core/rate_limit.hpp"
#include "core/strand.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace starling::muc {

/// Affiliations and roles, XEP-0045 §5, in rising order of rights.
enum class Affiliation { outcast, none, member, admin, owner };
enum class Role { none, visitor, participant, moderator };
const char* to_string(Affiliation affiliation);
const char* to_string(Role role);
std::optional<Affiliation> parse_affiliation(std::string_view text);
std::optional<Role> parse_role(std::string_view text);

struct Occupant {
    std::string nick;
    Jid bare;                 // the real bare JID
    std::vector<Recipient> sessions;  // the real full JIDs joined under this nick
    Role role = Role::participant;
    xml::ElementPtr presence;  // the last presence's payload (show, status, caps), as a template
    std::string occupant_id;
    // Its available presence as others see it, without and with its real JID, made once per
    // change rather than once per recipient (a join to a room of 1,000 sends 1,000 of them).
    mutable StanzaPtr shown[2];
    void changed() { shown[0] = shown[1] = nullptr; }
};

/// What an occupant's presence says besides its item (XEP-0045 status codes, an actor or a
/// reason on the item, a <destroy/> in the x).
struct PresenceExtras {
    std::vector<int> codes;       // to every recipient
    std::vector<int> self_codes;  // to the occupant's own sessions only (110 is always added)
    const char* type = nullptr;   // "unavailable", or null for available
    std::string new_nick;         // 303: the nick it changes to
    std::string actor;            // the nick that kicked or banned it
    std::string reason;
    xml::ElementPtr destroy;      // a <destroy/> to put in the x
};

class Room : public std::enable_shared_from_this<Room> {
public:
    Room(ServicePtr service, std::string name, StrandPtr strand);

    /// Queues a stanza for the room; any thread.
    void receive(SessionPtr origin, StanzaPtr stanza);
    /// For the public room list: name and occupants, or nullopt when the room is not listed.
    /// Any thread (a snapshot published by the strand).
    struct Listing {
        std::string name;
        std::size_t occupants = 0;
    };
    std::optional<Listing> listing() const;
    /// True once the room knows whether it exists (loaded, made or gone); any thread.
    bool settled() const;
    const std::string& name() const { return name_; }
    /// From now on the room is served by `service` (another instance, after a reload); any
    /// thread.
    void serve_with(ServicePtr service);

private:
    enum class State { loading, absent, locked, open, gone };

    void handle(const SessionPtr& origin, const StanzaPtr& stanza);
    void loaded(bool ok, std::optional<storage::StoredRoom> stored);

    // Presence (room_presence.cpp).
    void presence(const SessionPtr& origin, const StanzaPtr& stanza);
    void join(const SessionPtr& origin, const StanzaPtr& stanza, const std::string& nick);
    void change_nick(const StanzaPtr& stanza, Occupant& occupant, const std::string& nick);
    void leave(const Jid& real, const xml::Element* status);
    /// An error from an occupant's session that says it can no longer be reached (§7.2.3's
    /// ghosts): the occupant leaves with status 333.
    void error_from_occupant(const Stanza& error);
    /// Sends the occupant's presence to every occupant (its own sessions get the self codes).
    void broadcast_presence(const Occupant& occupant, const PresenceExtras& extras);
    StanzaPtr occupant_presence(const Occupant& occupant, bool with_jid,
                                const PresenceExtras& extras, bool self) const;
    /// The occupant's current available presence as `viewer` may see it.
    StanzaPtr shown_presence(const Occupant& occupant, bool with_jid) const;
    /// Removes an occupant whose role became none (kick, ban, membership revoked, destroy),
    /// telling everyone with `extras`.
    void remove_occupant(const std::string& nick, PresenceExtras extras);
    /// True when `viewer` sees occupants' real JIDs (non-anonymous room, or a moderator).
    bool sees_jids(const Occupant& viewer) const;

    // Messages (room_messages.cpp).
    void message(const SessionPtr& origin, const StanzaPtr& stanza);
    void groupchat(const SessionPtr& origin, const StanzaPtr& stanza, Occupant& sender);
    void private_message(const SessionPtr& origin, const StanzaPtr& stanza, Occupant& sender);
    void change_subject(const SessionPtr& origin, const StanzaPtr& stanza, Occupant& sender);
    void send_history(const Jid& to, const xml::Element* history);
    void send_subject(const Jid& to);
    void invite(const SessionPtr& origin, const StanzaPtr& stanza, const xml::Element& x);
    /// A visitor's voice request, or a moderator's answer to one (§7.13, §8.6).
    void voice_request(const SessionPtr& origin, const StanzaPtr& stanza,
                       const xml::SubmittedForm& form);

    // Iqs (room_iq.cpp).
    void iq(const SessionPtr& origin, const StanzaPtr& stanza);
    void disco_info(const StanzaPtr& stanza);
    void owner_get(const SessionPtr& origin, const StanzaPtr& stanza);
    void owner_set(const SessionPtr& origin, const StanzaPtr& stanza);
    void destroy(const SessionPtr& origin, const StanzaPtr& stanza, const xml::Element& destroy);
    void admin_get(const SessionPtr& origin, const StanzaPtr& stanza);
    void admin_set(const SessionPtr& origin, const StanzaPtr& stanza);

    // The room's archive (room_archive.cpp).
    void archive_iq(const SessionPtr& origin, const StanzaPtr& stanza);
    /// Archives a reflected message under `row` when the room keeps logs.
    void archive(std::int64_t row, const Stanza& reflected, const std::string& nick);

    // Shared helpers (room.cpp).
    void send(StanzaPtr stanza);
    /// An error reply to `stanza`, sent as the room sends everything (send()), so that it does
    /// not overtake what the room sent that session before it.
    void bounce(const StanzaPtr& stanza, std::string_view type,
                std::string_view condition, std::string_view text = {});
    /// Sends `base` (no 'to') to every session of every occupant.
    void fan_out(const StanzaPtr& base);
    /// Sends `base` (no 'to') to every session of one occupant.
    void send_to(const StanzaPtr& base, const Occupant& occupant);
    Occupant* occupant_by_real(const Jid& real);
    Occupant* occupant_by_nick(const std::string& nick);
    Affiliation affiliation_of(const Jid& jid) const;
    Role default_role(Affiliation affiliation) const;
    std::string jid() const { return name_ + "@" + service_->domain; }
    Jid occupant_jid(const std::string& nick) const;
    /// Writes the whole room when it is persistent; `done(ok)` on the strand.
    void save(std::function<void(bool ok)> done);
    void publish_listing();
    /// Removes the room when it has no reason to stay in memory.
    void forget_if_idle();
    void configured(const SessionPtr& origin, const StanzaPtr& stanza, RoomConfig before);

    ServicePtr service_;
    std::string name_;
    StrandPtr strand_;
    State state_ = State::loading;
    bool load_started_ = false;
    std::vector<std::pair<SessionPtr, StanzaPtr>> pending_;  // while loading

    RoomConfig config_;
    std::map<std::string, Affiliation> affiliations_;  // bare JID -> affiliation (none absent)
    std::map<std::string, Occupant> occupants_;         // by nick
    std::map<std::string, std::string> nick_of_;        // real full JID -> nick
    std::string subject_;
    std::string subject_by_;
    struct HistoryEntry {
        StanzaPtr stanza;  // as reflected, with its delay, no 'to'
        std::chrono::system_clock::time_point at;
        std::size_t chars;
    };
    std::deque<HistoryEntry> history_;

    // Per real bare JID; touched on the strand only.
    RateLimit message_rate_;
    RateLimit presence_rate_;
    /// Takes one event from `limit` for `who`; false when past it.
    static bool allowed(RateLimit& limit, const Jid& who);

    mutable std::mutex listing_mutex_;  // the one field read off the strand
    std::optional<Listing> listing_;
    bool settled_ = false;
};

}  // namespace starling::muc
