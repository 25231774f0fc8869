// Entering, changing nick, updating presence and leaving (XEP-0045 §7.2 to §7.6, §7.14).

#include "room.hpp"

#include "core/server.hpp"

#include <algorithm>

namespace starling::muc {

namespace {

// The presence payload kept for broadcasts: everything the client sent but the MUC protocol's
// own elements, which the room writes itself.
xml::ElementPtr presence_payload(const Stanza& stanza) {
    auto payload = xml::make_element("presence", std::string(ns_client));
    for (const xml::Element* child : stanza.element().child_elements()) {
        if (child->xmlns() == ns_muc || child->xmlns() == ns_user ||
            child->xmlns() == ns_occupant_id)
            continue;
        payload->add_child(child->clone());
    }
    return payload;
}

}  // namespace

bool Room::sees_jids(const Occupant& viewer) const {
    return config_.non_anonymous() || viewer.role == Role::moderator;
}

void Room::presence(const SessionPtr& origin, const StanzaPtr& stanza) {
    const Jid& from = stanza->from();
    Occupant* occupant = occupant_by_real(from);
    const auto type = stanza->type();
    if (type == "error") return error_from_occupant(*stanza);
    if (type == "unavailable") {
        if (occupant) leave(from, stanza->element().child("status"));
        return;
    }
    if (!type.empty()) return;  // subscriptions are not for rooms
    if (!allowed(presence_rate_, from))
        return bounce(stanza, "wait", "policy-violation",
                      "too many presence changes in this room; wait a minute");
    const std::string& nick = stanza->to().resource();
    // §7.2.1: a room is entered with a nickname.
    if (nick.empty()) return bounce(stanza, "modify", "jid-malformed");
    if (!occupant) return join(origin, stanza, nick);
    if (occupant->nick != nick) return change_nick(stanza, *occupant, nick);
    // §7.7: a presence update, seen by every occupant.
    occupant->presence = presence_payload(*stanza);
    occupant->changed();
    broadcast_presence(*occupant, {});
}

void Room::join(const SessionPtr& origin, const StanzaPtr& stanza, const std::string& nick) {
    const Jid& from = stanza->from();
    const xml::Element* muc = stanza->element().child("x", ns_muc);
    const bool created = state_ == State::absent;
    if (created) {
        // §10.1.1: the first to enter a room that does not exist creates it and owns it.
        if (service_->local_creation_only && !service_->is_local(from))
            return bounce(stanza, "cancel", "not-allowed",
                          "only users of this server may create rooms");
    } else {
        const Affiliation affiliation = affiliation_of(from);
        // §10.1.3: a room is locked until its owner configures it; to anyone else it is not
        // there.
        if (state_ == State::locked && affiliation != Affiliation::owner)
            return bounce(stanza, "cancel", "item-not-found", "the room is being created");
        if (affiliation == Affiliation::outcast)
            return bounce(stanza, "auth", "forbidden", "you are banned from this room");
        if (config_.members_only && affiliation < Affiliation::member)
            return bounce(stanza, "auth", "registration-required",
                          "the room is for members only");
    }
    Occupant* same_nick = occupant_by_nick(nick);
    if (same_nick && same_nick->bare != from.bare())
        return bounce(stanza, "cancel", "conflict", "that nickname is taken");
    if (!created) {
        const Affiliation affiliation = affiliation_of(from);
        if (!config_.password.empty() && affiliation != Affiliation::owner &&
            (!muc || muc->child_text("password") != config_.password))
            return bounce(stanza, "auth", "not-authorized",
                          "a password is needed to enter this room");
        const auto limit =
            config_.max_occupants > 0 ? config_.max_occupants : service_->limits.max_occupants;
        if (!same_nick && static_cast<std::int64_t>(occupants_.size()) >= limit &&
            affiliation < Affiliation::admin)
            return bounce(stanza, "wait", "service-unavailable", "the room is full");
    }
    if (!same_nick && !service_->enter_room(from.bare_str()))
        return bounce(stanza, "wait", "resource-constraint",
                      "you are in as many rooms of this service as one user may be");
    if (created) {
        // Whatever a crash left of an earlier room of this name (its archive) is not this one's.
        service_->store.remove(service_->domain, name_, [](storage::Result) {});
        state_ = State::locked;
        config_ = RoomConfig{};
        config_.history_length = std::min(config_.history_length, service_->limits.max_history);
        affiliations_[from.bare_str()] = Affiliation::owner;
    }
    const Affiliation affiliation = affiliation_of(from);

    // The new session first learns who is there (§7.2.3), then everyone learns of it.
    Occupant* occupant = same_nick;
    if (!occupant) {
        Occupant fresh;
        fresh.nick = nick;
        fresh.bare = from.bare();
        fresh.role = default_role(affiliation);
        fresh.occupant_id = service_->occupant_id(name_, from.bare_str());
        occupant = &occupants_.emplace(nick, std::move(fresh)).first->second;
    }
    occupant->sessions.push_back(Recipient{from, {}});
    occupant->presence = presence_payload(*stanza);
    occupant->changed();
    nick_of_[from.str()] = nick;

    const bool with_jids = sees_jids(*occupant);
    {
        FanOut out(service_->link.server(), this);
        for (const auto& [other_nick, other] : occupants_)
            if (&other != occupant)
                out.add(shown_presence(other, with_jids), occupant->sessions.back());
    }

    PresenceExtras extras;
    if (config_.non_anonymous()) extras.self_codes.push_back(100);
    if (config_.logging) extras.self_codes.push_back(170);
    if (created) extras.self_codes.push_back(201);
    if (same_nick) {
        // Another session of an occupant already there: only it needs the self-presence.
        send(Stanza::readdressed(occupant_presence(*occupant, true, extras, true), from));
    } else {
        broadcast_presence(*occupant, extras);
    }
    // Even a room just made ends the entry with its (empty) subject: clients such as slixmpp's
    // join wait for it (§7.2.16).
    send_history(from, muc ? muc->child("history") : nullptr);
    send_subject(from);
    publish_listing();
}

void Room::change_nick(const StanzaPtr& stanza, Occupant& occupant, const std::string& nick) {
    if (occupant_by_nick(nick))
        return bounce(stanza, "cancel", "conflict", "that nickname is taken");
    // §7.6: unavailable with 303 and the new nick, then the presence under the new nick.
    PresenceExtras going;
    going.type = "unavailable";
    going.codes.push_back(303);
    going.new_nick = nick;
    broadcast_presence(occupant, going);
    auto node = occupants_.extract(occupant.nick);
    node.key() = nick;
    node.mapped().nick = nick;
    node.mapped().presence = presence_payload(*stanza);
    node.mapped().changed();
    for (const auto& session : node.mapped().sessions) nick_of_[session.jid.str()] = nick;
    auto& renamed = occupants_.insert(std::move(node)).position->second;
    broadcast_presence(renamed, {});
}

void Room::leave(const Jid& real, const xml::Element* status) {
    Occupant* occupant = occupant_by_real(real);
    if (!occupant) return;
    nick_of_.erase(real.str());
    std::erase(occupant->sessions, real);
    PresenceExtras extras;
    extras.type = "unavailable";
    if (!occupant->sessions.empty()) {
        // One session of several leaves: only it hears of it (§7.14 with multiple sessions).
        send(Stanza::readdressed(occupant_presence(*occupant, true, extras, true), real));
        return;
    }
    // The leave says why, or nothing: the status of the last presence is not the reason.
    occupant->presence = xml::make_element("presence", std::string(ns_client));
    if (status) occupant->presence->add_child(status->clone());
    // The leaving session is no longer listed; its self-presence goes to it directly.
    auto self = occupant_presence(*occupant, true, extras, true);
    const std::string nick = occupant->nick;
    service_->left_room(occupant->bare.bare_str());
    auto node = occupants_.extract(nick);
    broadcast_presence(node.mapped(), extras);
    send(Stanza::readdressed(self, real));
    publish_listing();
    forget_if_idle();
}

void Room::error_from_occupant(const Stanza& error) {
    // Only errors that say the session is unreachable: a client that refuses one stanza (an
    // iq it does not know, a malformed message) is still there. The list is what a server that
    // cannot deliver answers (RFC 6120 §8.3.3, RFC 6121 §8.5).
    static constexpr std::string_view unreachable[] = {
        "gone", "item-not-found", "jid-malformed", "recipient-unavailable", "redirect",
        "remote-server-not-found", "remote-server-timeout", "service-unavailable"};
    const xml::Element* e = error.element().child("error");
    const xml::Element* condition = nullptr;
    for (const xml::Element* child : e ? e->child_elements() : std::vector<const xml::Element*>{})
        if (child->xmlns() == ns_stanzas && child->name() != "text") condition = child;
    if (!condition || std::find(std::begin(unreachable), std::end(unreachable),
                                condition->name()) == std::end(unreachable))
        return;
    Occupant* occupant = occupant_by_real(error.from());
    if (!occupant) return;
    PresenceExtras extras;
    extras.codes.push_back(333);  // §7.2.3: removed because of a technical problem
    extras.reason = "the occupant's session could not be reached";
    if (occupant->sessions.size() > 1) {
        // Only that session is gone; the occupant stays with the others.
        nick_of_.erase(error.from().str());
        std::erase(occupant->sessions, error.from());
        occupant->changed();
        return;
    }
    remove_occupant(occupant->nick, extras);
}

void Room::remove_occupant(const std::string& nick, PresenceExtras extras) {
    auto node = occupants_.extract(nick);
    if (node.empty()) return;
    service_->left_room(node.mapped().bare.bare_str());
    for (const auto& session : node.mapped().sessions) nick_of_.erase(session.jid.str());
    node.mapped().role = Role::none;
    extras.type = "unavailable";
    // The removed occupant hears it too (§8.2: "the kicked occupant ... with status 110").
    auto self = occupant_presence(node.mapped(), true, extras, true);
    send_to(self, node.mapped());
    broadcast_presence(node.mapped(), extras);
    publish_listing();
}

void Room::broadcast_presence(const Occupant& occupant, const PresenceExtras& extras) {
    StanzaPtr shown[2];
    FanOut out(service_->link.server(), this);
    for (const auto& [nick, other] : occupants_) {
        const bool self = &other == &occupant;
        if (self) {
            auto mine = occupant_presence(occupant, true, extras, true);
            for (const auto& session : other.sessions) out.add(mine, session);
            continue;
        }
        const bool with_jid = sees_jids(other);
        auto& presence = shown[with_jid];
        if (!presence)
            presence = extras.type == nullptr && extras.codes.empty() && extras.actor.empty() &&
                               extras.reason.empty()
                           ? shown_presence(occupant, with_jid)
                           : occupant_presence(occupant, with_jid, extras, false);
        for (const auto& session : other.sessions) out.add(presence, session);
    }
}

StanzaPtr Room::shown_presence(const Occupant& occupant, bool with_jid) const {
    auto& cached = occupant.shown[with_jid];
    if (!cached) cached = occupant_presence(occupant, with_jid, {}, false);
    return cached;
}

StanzaPtr Room::occupant_presence(const Occupant& occupant, bool with_jid,
                                  const PresenceExtras& extras, bool self) const {
    auto presence = xml::make_element("presence", std::string(ns_client));
    presence->set_attr("from", occupant_jid(occupant.nick).str());
    if (extras.type) presence->set_attr("type", extras.type);
    if (occupant.presence)
        for (const xml::Element* child : occupant.presence->child_elements())
            if (!extras.type || child->name() == "status") presence->add_child(child->clone());
    auto& x = presence->add_child("x", ns_user);
    auto& item = x.add_child("item");
    item.set_attr("affiliation", to_string(affiliation_of(occupant.bare)));
    item.set_attr("role", extras.type ? "none" : to_string(occupant.role));
    if (with_jid && !occupant.sessions.empty()) item.set_attr("jid", occupant.sessions.front().jid.str());
    if (!extras.new_nick.empty()) item.set_attr("nick", extras.new_nick);
    if (!extras.actor.empty()) item.add_child("actor").set_attr("nick", extras.actor);
    if (!extras.reason.empty()) item.add_child("reason").add_text(extras.reason);
    if (extras.destroy) x.add_child(extras.destroy->clone());
    std::vector<int> codes = extras.codes;
    if (self) {
        codes.insert(codes.end(), extras.self_codes.begin(), extras.self_codes.end());
        codes.push_back(110);
    }
    std::sort(codes.begin(), codes.end());
    for (int code : codes) x.add_child("status").set_attr("code", std::to_string(code));
    presence->add_child("occupant-id", ns_occupant_id).set_attr("id", occupant.occupant_id);
    return make_stanza(std::move(presence));
}

}  // namespace starling::muc
