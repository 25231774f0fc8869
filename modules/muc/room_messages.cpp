// Messages in a room: to all occupants (§7.4), private messages (§7.5), the subject (§8.1),
// history to a new occupant (§7.2.15), mediated invitations and declines (§7.8.2, §7.8.3).

#include "room.hpp"

#include "core/datetime.hpp"
#include "core/server.hpp"
#include "stream/scram_crypto.hpp"

#include <algorithm>

namespace starling::muc {

namespace {

std::string random_id() { return sasl::to_hex(sasl::random_bytes(12)); }

std::int64_t micros(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

// Only the room says which stanza id and occupant id a message has (XEP-0359 §4, XEP-0421 §4):
// whatever the sender put in goes.
void strip_room_claims(xml::Element& message) {
    message.remove_children("stanza-id", ns_sid);
    message.remove_children("occupant-id", ns_occupant_id);
}

}  // namespace

void Room::message(const SessionPtr& origin, const StanzaPtr& stanza) {
    const Jid& from = stanza->from();
    Occupant* sender = occupant_by_real(from);
    const auto type = stanza->type();
    // §7.2.3 ghosts: an occupant whose session bounces the room's messages may be gone.
    if (type == "error") return error_from_occupant(*stanza);
    if (state_ != State::open && state_ != State::locked)
        return bounce(stanza, "cancel", "item-not-found", "no such room");
    if (!allowed(message_rate_, from))
        return bounce(stanza, "wait", "policy-violation",
                      "too many messages to this room; wait a minute");
    if (stanza->to().is_bare()) {
        const xml::Element* x = stanza->element().child("x", ns_user);
        if (x && (x->child("invite") || x->child("decline"))) return invite(origin, stanza, *x);
        if (auto form = xml::read_submitted_form(stanza->element().child("x", xml::ns_data));
            form && form->form_type == form_request)
            return voice_request(origin, stanza, *form);
        if (type != "groupchat")
            return bounce(stanza, "modify", "bad-request",
                          "messages to a room are of type groupchat");
        if (!sender)
            return bounce(stanza, "modify", "not-acceptable",
                          "only occupants may send messages to the room");
        if (stanza->element().child("subject") && !stanza->element().child("body"))
            return change_subject(origin, stanza, *sender);
        return groupchat(origin, stanza, *sender);
    }
    if (type == "groupchat")
        return bounce(stanza, "modify", "bad-request",
                      "a groupchat message goes to the room, not to an occupant");
    if (!sender)
        return bounce(stanza, "modify", "not-acceptable",
                      "only occupants may send private messages");
    private_message(origin, stanza, *sender);
}

void Room::groupchat(const SessionPtr& origin, const StanzaPtr& stanza, Occupant& sender) {
    // §7.4 and §8.4: a visitor in a moderated room has no voice.
    if (sender.role < Role::participant)
        return bounce(stanza, "auth", "forbidden", "you have no voice in this room");
    auto message = stanza->copy();
    message->remove_attr("to");
    message->set_attr("from", occupant_jid(sender.nick).str());
    strip_room_claims(*message);
    // A logged room's stanza id is the message's archive id (XEP-0359 §4, XEP-0313 §5).
    const std::int64_t row = config_.logging ? storage::ArchiveIds::next_row() : 0;
    message->add_child("stanza-id", ns_sid)
        .set_attr("by", jid())
        .set_attr("id", config_.logging ? service_->archive_ids->encode(row) : random_id());
    message->add_child("occupant-id", ns_occupant_id).set_attr("id", sender.occupant_id);
    StanzaPtr reflected;
    const bool keep = config_.history_length > 0 && message->child("body");
    xml::ElementPtr kept = keep ? message->clone() : nullptr;
    reflected = make_stanza(std::move(message));
    fan_out(reflected);
    if (config_.logging) archive(row, *reflected, sender.nick);
    if (!kept) return;
    // History carries when it was said (§7.2.15, XEP-0203).
    const auto now = std::chrono::system_clock::now();
    kept->add_child("delay", ns_delay).set_attr("from", jid()).set_attr(
        "stamp", format_datetime(micros(now)));
    auto entry = make_stanza(std::move(kept));
    history_.push_back({entry, now, entry->bytes().size()});
    while (static_cast<std::int64_t>(history_.size()) > config_.history_length) history_.pop_front();
}

void Room::private_message(const SessionPtr& origin, const StanzaPtr& stanza, Occupant& sender) {
    const bool allowed = config_.allow_pm == "anyone" ||
                         (config_.allow_pm == "participants" && sender.role >= Role::participant) ||
                         (config_.allow_pm == "moderators" && sender.role == Role::moderator);
    if (!allowed)
        return bounce(stanza, "cancel", "not-allowed",
                      "private messages are not allowed in this room");
    Occupant* recipient = occupant_by_nick(stanza->to().resource());
    if (!recipient)
        return bounce(stanza, "cancel", "item-not-found", "no occupant has that nickname");
    auto message = stanza->copy();
    message->remove_attr("to");
    message->set_attr("from", occupant_jid(sender.nick).str());
    strip_room_claims(*message);
    // §7.5: marks the message as from an occupant, not from a user of that name.
    if (!message->child("x", ns_user)) message->add_child("x", ns_user);
    message->add_child("occupant-id", ns_occupant_id).set_attr("id", sender.occupant_id);
    auto base = make_stanza(std::move(message));
    send_to(base, *recipient);
}

void Room::change_subject(const SessionPtr& origin, const StanzaPtr& stanza, Occupant& sender) {
    const bool allowed = sender.role == Role::moderator ||
                         (config_.change_subject && sender.role >= Role::participant);
    if (!allowed)
        return bounce(stanza, "auth", "forbidden",
                      "only moderators may change the subject of this room");
    subject_ = stanza->element().child_text("subject");
    subject_by_ = sender.nick;
    if (config_.persistent)
        service_->store.set_subject(service_->domain, name_, subject_, subject_by_,
                                    // The sender's stanza counts as handled once stored.
                                    [receipt = current_receipt](storage::Result) {});
    auto message = xml::make_element("message", std::string(ns_client));
    message->set_attr("from", occupant_jid(sender.nick).str());
    message->set_attr("type", "groupchat");
    if (auto id = stanza->id(); !id.empty()) message->set_attr("id", id);
    message->add_child("subject").add_text(subject_);
    message->add_child("occupant-id", ns_occupant_id).set_attr("id", sender.occupant_id);
    fan_out(make_stanza(std::move(message)));
}

void Room::send_subject(const Jid& to) {
    // §7.2.16: the subject, empty when none was set, ends the join and tells the client so.
    auto message = xml::make_element("message", std::string(ns_client));
    message->set_attr("from", subject_by_.empty() ? jid() : occupant_jid(subject_by_).str());
    message->set_attr("to", to.str());
    message->set_attr("type", "groupchat");
    message->set_attr("id", random_id());
    message->add_child("subject").add_text(subject_);
    send(make_stanza(std::move(message)));
}

void Room::send_history(const Jid& to, const xml::Element* request) {
    // §7.2.15: the newest messages that pass every limit the client gave, oldest first.
    std::int64_t max_stanzas = config_.history_length;
    std::int64_t max_chars = -1;
    std::optional<std::chrono::system_clock::time_point> after;
    auto number = [](std::string_view text) -> std::optional<std::int64_t> {
        if (text.empty() || text.size() > 12 ||
            text.find_first_not_of("0123456789") != std::string_view::npos)
            return std::nullopt;
        return std::stoll(std::string(text));
    };
    if (request) {
        if (auto n = number(request->attr("maxstanzas"))) max_stanzas = std::min(max_stanzas, *n);
        if (auto n = number(request->attr("maxchars"))) max_chars = *n;
        if (auto n = number(request->attr("seconds")))
            after = std::chrono::system_clock::now() - std::chrono::seconds(*n);
        if (auto since = parse_datetime(request->attr("since"))) {
            const auto at = std::chrono::system_clock::time_point(std::chrono::microseconds(*since));
            after = after ? std::max(*after, at) : at;
        }
    }
    std::vector<const HistoryEntry*> chosen;
    std::int64_t chars = 0;
    for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
        if (static_cast<std::int64_t>(chosen.size()) >= max_stanzas) break;
        if (after && it->at < *after) break;
        if (max_chars >= 0 && chars + static_cast<std::int64_t>(it->chars) > max_chars) break;
        chars += static_cast<std::int64_t>(it->chars);
        chosen.push_back(&*it);
    }
    for (auto it = chosen.rbegin(); it != chosen.rend(); ++it)
        send(Stanza::readdressed((*it)->stanza, to));
}

void Room::invite(const SessionPtr& origin, const StanzaPtr& stanza, const xml::Element& x) {
    const Jid& from = stanza->from();
    if (const xml::Element* decline = x.child("decline")) {
        // §7.8.3: the invitee says no; the room passes it to the inviter.
        auto to = Jid::parse(decline->attr("to"));
        if (!to) return bounce(stanza, "modify", "jid-malformed");
        auto message = xml::make_element("message", std::string(ns_client));
        message->set_attr("from", jid());
        message->set_attr("to", to->str());
        auto& out = message->add_child("x", ns_user).add_child("decline");
        out.set_attr("from", from.bare_str());
        if (auto reason = decline->child_text("reason"); !reason.empty())
            out.add_child("reason").add_text(reason);
        return send(make_stanza(std::move(message)));
    }
    Occupant* sender = occupant_by_real(from);
    if (!sender)
        return bounce(stanza, "modify", "not-acceptable", "only occupants may invite");
    const Affiliation affiliation = affiliation_of(from);
    // §7.8.2: in a members-only room only admins and owners invite, unless occupants may.
    if (config_.members_only && !config_.allow_invites && affiliation < Affiliation::admin)
        return bounce(stanza, "auth", "forbidden", "only admins may invite to this room");
    std::vector<std::pair<Jid, std::string>> invitees;
    for (const xml::Element* invite : x.child_elements()) {
        if (invite->name() != "invite") continue;
        auto to = Jid::parse(invite->attr("to"));
        if (!to) return bounce(stanza, "modify", "jid-malformed");
        invitees.emplace_back(to->bare(), invite->child_text("reason"));
    }
    if (invitees.empty() || invitees.size() > 50)
        return bounce(stanza, "modify", "bad-request", "invite 1 to 50 users at once");
    bool members_added = false;
    for (const auto& [invitee, reason] : invitees) {
        if (config_.members_only && affiliation_of(invitee) < Affiliation::member &&
            affiliation_of(invitee) != Affiliation::outcast) {
            affiliations_[invitee.bare_str()] = Affiliation::member;
            members_added = true;
        }
        auto message = xml::make_element("message", std::string(ns_client));
        message->set_attr("from", jid());
        message->set_attr("to", invitee.str());
        auto& out = message->add_child("x", ns_user);
        auto& invite = out.add_child("invite");
        invite.set_attr("from", from.str());
        if (!reason.empty()) invite.add_child("reason").add_text(reason);
        if (!config_.password.empty()) out.add_child("password").add_text(config_.password);
        message->add_child("body").add_text(from.bare_str() + " invites you to the room " + jid() +
                                            (reason.empty() ? "" : ": " + reason));
        send(make_stanza(std::move(message)));
    }
    if (members_added) save([](bool) {});
}

void Room::voice_request(const SessionPtr& origin, const StanzaPtr& stanza,
                         const xml::SubmittedForm& form) {
    Occupant* sender = occupant_by_real(stanza->from());
    if (!sender)
        return bounce(stanza, "modify", "not-acceptable", "only occupants may ask for voice");
    if (sender->role == Role::moderator) {
        // §8.6: a moderator's answer; granted, the visitor becomes a participant.
        if (xml::form_boolean(form.first("muc#request_allow")) != true) return;
        Occupant* visitor = occupant_by_nick(form.first("muc#roomnick"));
        if (!visitor || visitor->role != Role::visitor) return;
        visitor->role = Role::participant;
        visitor->changed();
        PresenceExtras extras;
        extras.actor = sender->nick;
        return broadcast_presence(*visitor, extras);
    }
    // §7.13: only a visitor asks, for participant; each moderator gets the form to approve.
    if (sender->role != Role::visitor) return;
    xml::FormBuilder approval("form", form_request, "Voice request");
    approval.field("muc#role", "list-single", "Requested role", {"participant"});
    approval.field("muc#jid", "jid-single", "User ID", {stanza->from().str()});
    approval.field("muc#roomnick", "text-single", "Room nickname", {sender->nick});
    approval.field("muc#request_allow", "boolean", "Grant voice to this person?", {"false"});
    auto message = xml::make_element("message", std::string(ns_client));
    message->set_attr("from", jid());
    message->add_child(approval.take());
    auto base = make_stanza(std::move(message));
    FanOut out(service_->link.server(), this, base);
    for (const auto& [nick, occupant] : occupants_)
        if (occupant.role == Role::moderator)
            for (const auto& session : occupant.sessions) out.add(session);
}

}  // namespace starling::muc
