// Iqs to a room: disco (§6.4), self-ping (XEP-0410), configuration and destruction by owners
// (§10), roles and affiliations by moderators, admins and owners (§8, §9, §10).

#include "room.hpp"

#include "core/archive_query.hpp"
#include "core/disco.hpp"
#include "core/server.hpp"

namespace starling::muc {

namespace {

xml::ElementPtr query(const char* ns) { return xml::make_element("query", ns); }

}  // namespace

void Room::iq(const SessionPtr& origin, const StanzaPtr& stanza) {
    const auto type = stanza->type();
    if (type != "get" && type != "set") return;  // results and errors to a room go nowhere
    const auto children = stanza->element().child_elements();
    if (children.size() != 1) return bounce(stanza, "modify", "bad-request");
    const std::string& xmlns = children.front()->xmlns();
    const Jid& from = stanza->from();
    Occupant* asker = occupant_by_real(from);
    if (!stanza->to().is_bare()) {
        // XEP-0410: a client asks whether it is still in the room by pinging its own nick.
        if (!asker || asker->nick != stanza->to().resource())
            return bounce(stanza, "cancel", "not-acceptable", "you are not in this room");
        if (xmlns == ns_ping) return send(make_iq_result(*stanza));
        return bounce(stanza, "cancel", "service-unavailable");
    }
    const bool visible = state_ == State::open ||
                         (state_ == State::locked && affiliation_of(from) == Affiliation::owner);
    if (!visible) return bounce(stanza, "cancel", "item-not-found", "no such room");
    if (xmlns == ns_disco_info && type == "get") return disco_info(stanza);
    if (xmlns == ns_disco_items && type == "get") {
        // §6.5: occupants are not listed to people outside the room.
        auto result = query(ns_disco_items);
        if (auto node = children.front()->attr("node"); !node.empty())
            return bounce(stanza, "cancel", "item-not-found");
        return send(make_iq_result(*stanza, std::move(result)));
    }
    if (xmlns == ns_ping && type == "get") return send(make_iq_result(*stanza));
    if (xmlns == ns_owner) return type == "get" ? owner_get(origin, stanza) : owner_set(origin, stanza);
    if (xmlns == ns_admin) return type == "get" ? admin_get(origin, stanza) : admin_set(origin, stanza);
    if (xmlns == mam::ns_mam) return archive_iq(origin, stanza);
    bounce(stanza, "cancel", "service-unavailable");
}

void Room::disco_info(const StanzaPtr& stanza) {
    auto reply = std::make_shared<DiscoReply>(DiscoKind::info, IqTarget::host,
                                              StanzaEvent{service_->link.host(), nullptr, stanza});
    if (!reply->node().empty()) return;  // no nodes: item-not-found
    reply->add_identity({"conference", "text", config_.name.empty() ? name_ : config_.name});
    for (const char* feature :
         {ns_muc, ns_disco_info, ns_disco_items, ns_sid, ns_occupant_id, ns_ping,
          "http://jabber.org/protocol/muc#stable_id",
          "http://jabber.org/protocol/muc#self-ping-optimization", form_request})
        reply->add_feature(feature);
    for (auto& feature : config_features(config_)) reply->add_feature(std::move(feature));
    if (config_.logging)
        for (const char* feature : {mam::ns_mam, mam::ns_mam_extended}) reply->add_feature(feature);
    xml::FormBuilder info("result", "http://jabber.org/protocol/muc#roominfo");
    info.field("muc#roomconfig_roomname", {}, "Name", {config_.name});
    info.field("muc#roominfo_description", {}, "Description", {config_.description});
    info.field("muc#roominfo_subject", {}, "Subject", {subject_});
    info.field("muc#roominfo_occupants", {}, "Occupants", {std::to_string(occupants_.size())});
    info.field("muc#maxhistoryfetch", {}, "Messages of history",
               {std::to_string(config_.history_length)});
    if (!config_.language.empty()) info.field("muc#roominfo_lang", {}, "Language", {config_.language});
    reply->add_form(info.take());
}

void Room::owner_get(const SessionPtr& origin, const StanzaPtr& stanza) {
    if (affiliation_of(stanza->from()) != Affiliation::owner)
        return bounce(stanza, "auth", "forbidden", "only owners configure the room");
    auto result = query(ns_owner);
    result->add_child(config_form(config_, service_->limits));
    send(make_iq_result(*stanza, std::move(result)));
}

void Room::owner_set(const SessionPtr& origin, const StanzaPtr& stanza) {
    if (affiliation_of(stanza->from()) != Affiliation::owner)
        return bounce(stanza, "auth", "forbidden", "only owners configure the room");
    const xml::Element& payload = *stanza->element().first_child_element();
    if (const xml::Element* destroy_request = payload.child("destroy"))
        return destroy(origin, stanza, *destroy_request);
    const xml::Element* x = payload.child("x", xml::ns_data);
    if (!x) return bounce(stanza, "modify", "bad-request");
    if (x->attr("type") == "cancel") {
        // §10.1.3: cancelling the first configuration of a new room destroys it.
        send(make_iq_result(*stanza));
        if (state_ == State::locked) {
            for (auto& [nick, occupant] : std::map<std::string, Occupant>(occupants_))
                remove_occupant(nick, {});
            state_ = State::absent;
            affiliations_.clear();
            forget_if_idle();
        }
        return;
    }
    auto form = xml::read_submitted_form(x);
    if (!form || (!form->form_type.empty() && form->form_type != form_roomconfig))
        return bounce(stanza, "modify", "bad-request", "not a muc#roomconfig form");
    RoomConfig before = config_;
    if (auto error = apply(*form, config_, service_->limits))
        return bounce(stanza, "modify", "not-acceptable",
                      "invalid value for " + error->field);
    configured(origin, stanza, std::move(before));
}

void Room::configured(const SessionPtr& origin, const StanzaPtr& stanza, RoomConfig before) {
    const bool was_stored = before.persistent;
    auto finish = [self = shared_from_this(), origin, stanza, before](bool ok) {
        if (!ok) {
            self->config_ = before;
            return self->bounce(stanza, "wait", "internal-server-error");
        }
        const bool initial = self->state_ == State::locked;
        self->state_ = State::open;
        self->send(make_iq_result(*stanza));
        self->publish_listing();
        // §10.2.1: occupants learn that the configuration changed, and how its privacy did.
        std::vector<int> codes;
        if (!initial) codes.push_back(104);
        if (self->config_.logging != before.logging) codes.push_back(self->config_.logging ? 170 : 171);
        if (self->config_.whois != before.whois)
            codes.push_back(self->config_.non_anonymous() ? 172 : 173);
        if (codes.empty()) return;
        auto message = xml::make_element("message", std::string(ns_client));
        message->set_attr("from", self->jid());
        message->set_attr("type", "groupchat");
        auto& x = message->add_child("x", ns_user);
        for (int code : codes) x.add_child("status").set_attr("code", std::to_string(code));
        self->fan_out(make_stanza(std::move(message)));
    };
    if (config_.persistent) return save(std::move(finish));
    if (!was_stored) return finish(true);
    // No longer persistent: forgotten by the store, kept while occupied.
    service_->store.remove(service_->domain, name_,
                           [self = shared_from_this(), finish](storage::Result r) {
                               self->strand_->post([finish, ok = r.ok] { finish(ok); });
                           });
}

void Room::destroy(const SessionPtr& origin, const StanzaPtr& stanza, const xml::Element& request) {
    auto element = xml::make_element("destroy", ns_user);
    if (auto venue = request.attr("jid"); !venue.empty()) {
        auto parsed = Jid::parse(venue);
        if (!parsed) return bounce(stanza, "modify", "jid-malformed");
        element->set_attr("jid", parsed->str());
    }
    if (auto reason = request.child_text("reason"); !reason.empty())
        element->add_child("reason").add_text(reason);
    auto finish = [self = shared_from_this(), origin, stanza, element](bool ok) {
        if (!ok) return self->bounce(stanza, "wait", "internal-server-error");
        // §10.9: every occupant leaves with the destroy element (and where to go instead).
        // §10.9: everyone leaves with affiliation and role none.
        self->affiliations_.clear();
        PresenceExtras extras;
        extras.destroy = element;
        for (const auto& nick : [&] {
                 std::vector<std::string> nicks;
                 for (const auto& [nick, occupant] : self->occupants_) nicks.push_back(nick);
                 return nicks;
             }())
            self->remove_occupant(nick, extras);
        self->history_.clear();
        self->config_ = RoomConfig{};
        self->state_ = State::absent;
        self->send(make_iq_result(*stanza));
        self->forget_if_idle();
    };
    if (!config_.persistent) return finish(true);
    service_->store.remove(service_->domain, name_,
                           [self = shared_from_this(), finish](storage::Result r) {
                               self->strand_->post([finish, ok = r.ok] { finish(ok); });
                           });
}

void Room::admin_get(const SessionPtr& origin, const StanzaPtr& stanza) {
    const xml::Element* item = stanza->element().first_child_element()->child("item");
    if (!item) return bounce(stanza, "modify", "bad-request");
    const Jid& from = stanza->from();
    const Affiliation mine = affiliation_of(from);
    const Occupant* asker = occupant_by_real(from);
    auto result = query(ns_admin);
    if (auto wanted = parse_affiliation(item->attr("affiliation"));
        wanted && *wanted != Affiliation::none) {
        // §9.5, §10.5: admins and owners see the lists; members see the member list of a
        // non-anonymous room, where each member's real JID is no secret (OMEMO in groups needs
        // it to encrypt to every member).
        const bool allowed = mine >= Affiliation::admin ||
                             (*wanted == Affiliation::member && config_.non_anonymous() &&
                              mine >= Affiliation::member);
        if (!allowed) return bounce(stanza, "auth", "forbidden");
        for (const auto& [jid, affiliation] : affiliations_) {
            if (affiliation != *wanted) continue;
            auto& out = result->add_child("item");
            out.set_attr("affiliation", to_string(affiliation));
            out.set_attr("jid", jid);
            for (const auto& [nick, occupant] : occupants_)
                if (occupant.bare.str() == jid) out.set_attr("nick", nick);
        }
        return send(make_iq_result(*stanza, std::move(result)));
    }
    if (auto wanted = parse_role(item->attr("role")); wanted && *wanted != Role::none) {
        if (!asker || asker->role != Role::moderator) return bounce(stanza, "auth", "forbidden");
        for (const auto& [nick, occupant] : occupants_) {
            if (occupant.role != *wanted) continue;
            auto& out = result->add_child("item");
            out.set_attr("role", to_string(occupant.role));
            out.set_attr("affiliation", to_string(affiliation_of(occupant.bare)));
            out.set_attr("nick", nick);
            if (!occupant.sessions.empty()) out.set_attr("jid", occupant.sessions.front().jid.str());
        }
        return send(make_iq_result(*stanza, std::move(result)));
    }
    bounce(stanza, "modify", "bad-request");
}

void Room::admin_set(const SessionPtr& origin, const StanzaPtr& stanza) {
    const Jid& from = stanza->from();
    const Affiliation mine = affiliation_of(from);
    Occupant* actor = occupant_by_real(from);
    const std::string actor_nick = actor ? actor->nick : std::string();
    struct Change {
        std::string nick;
        std::optional<Role> role;
        std::string jid;
        std::optional<Affiliation> affiliation;
        std::string reason;
    };
    std::vector<Change> changes;
    // Every item is checked before any is applied: a request is done whole or not at all.
    auto counted = affiliations_;
    for (const xml::Element* item : stanza->element().first_child_element()->child_elements()) {
        if (item->name() != "item") continue;
        Change change;
        change.reason = item->child_text("reason");
        if (auto text = item->attr("affiliation"); !text.empty()) {
            change.affiliation = parse_affiliation(text);
            auto jid = Jid::parse(item->attr("jid"));
            if (!change.affiliation || !jid) return bounce(stanza, "modify", "bad-request");
            change.jid = jid->local().empty() ? jid->domain() : jid->bare_str();
            const auto current = affiliation_of(*jid);
            // §9, §10: admins manage members and outcasts below them; owners manage everyone.
            const bool allowed =
                mine == Affiliation::owner ||
                (mine == Affiliation::admin && current < Affiliation::admin &&
                 *change.affiliation < Affiliation::admin);
            if (!allowed) return bounce(stanza, "cancel", "not-allowed");
            if (*change.affiliation == Affiliation::none) counted.erase(change.jid);
            else counted[change.jid] = *change.affiliation;
        } else if (auto text = item->attr("role"); !text.empty()) {
            change.role = parse_role(text);
            change.nick = std::string(item->attr("nick"));
            const Occupant* target = occupant_by_nick(change.nick);
            if (!change.role) return bounce(stanza, "modify", "bad-request");
            if (!actor || actor->role != Role::moderator)
                return bounce(stanza, "auth", "forbidden");
            if (!target)
                return bounce(stanza, "cancel", "item-not-found", "no occupant has that nickname");
            // §8.2, §8.5: nobody changes the role of someone at or above their own
            // affiliation, and only admins make moderators.
            const auto theirs = affiliation_of(target->bare);
            if ((theirs >= mine && target != actor) ||
                (*change.role == Role::moderator && mine < Affiliation::admin) ||
                (theirs >= Affiliation::admin && *change.role != Role::moderator))
                return bounce(stanza, "cancel", "not-allowed");
        } else {
            return bounce(stanza, "modify", "bad-request");
        }
        changes.push_back(std::move(change));
    }
    if (changes.empty()) return bounce(stanza, "modify", "bad-request");
    // §10.6: a room keeps at least one owner.
    if (std::none_of(counted.begin(), counted.end(),
                     [](const auto& entry) { return entry.second == Affiliation::owner; }))
        return bounce(stanza, "cancel", "conflict", "the room needs an owner");

    auto before = affiliations_;
    affiliations_ = std::move(counted);
    auto apply_changes = [self = shared_from_this(), origin, stanza, changes, before,
                          actor_nick](bool ok) {
        if (!ok) {
            self->affiliations_ = before;
            return self->bounce(stanza, "wait", "internal-server-error");
        }
        self->send(make_iq_result(*stanza));
        for (const auto& change : changes) {
            PresenceExtras extras;
            extras.actor = actor_nick;
            extras.reason = change.reason;
            if (change.role) {
                Occupant* target = self->occupant_by_nick(change.nick);
                if (!target) continue;
                if (*change.role == Role::none) {
                    extras.codes.push_back(307);  // §8.2 kicked
                    self->remove_occupant(change.nick, extras);
                    continue;
                }
                target->role = *change.role;
                target->changed();
                self->broadcast_presence(*target, extras);
                continue;
            }
            // The occupants this affiliation is about (a domain's covers many).
            std::vector<std::string> nicks;
            for (const auto& [nick, occupant] : self->occupants_)
                if (occupant.bare.bare_str() == change.jid || occupant.bare.domain() == change.jid)
                    nicks.push_back(nick);
            for (const auto& nick : nicks) {
                Occupant& target = self->occupants_.at(nick);
                const auto affiliation = self->affiliation_of(target.bare);
                if (affiliation == Affiliation::outcast) {
                    extras.codes = {301};  // §9.1 banned
                    self->remove_occupant(nick, extras);
                } else if (self->config_.members_only && affiliation < Affiliation::member) {
                    extras.codes = {321};  // §9.4 no longer a member
                    self->remove_occupant(nick, extras);
                } else {
                    target.role = self->default_role(affiliation);
                    target.changed();
                    self->broadcast_presence(target, extras);
                }
            }
        }
    };
    save(std::move(apply_changes));
}

}  // namespace starling::muc
