#include "room.hpp"

#include "core/server.hpp"
#include "storage/stored_xml.hpp"
#include "xml/serializer.hpp"

namespace starling::muc {

const char* to_string(Affiliation affiliation) {
    switch (affiliation) {
        case Affiliation::outcast: return "outcast";
        case Affiliation::none: return "none";
        case Affiliation::member: return "member";
        case Affiliation::admin: return "admin";
        case Affiliation::owner: return "owner";
    }
    return "none";
}

const char* to_string(Role role) {
    switch (role) {
        case Role::none: return "none";
        case Role::visitor: return "visitor";
        case Role::participant: return "participant";
        case Role::moderator: return "moderator";
    }
    return "none";
}

std::optional<Affiliation> parse_affiliation(std::string_view text) {
    for (auto a : {Affiliation::outcast, Affiliation::none, Affiliation::member, Affiliation::admin,
                   Affiliation::owner})
        if (text == to_string(a)) return a;
    return std::nullopt;
}

std::optional<Role> parse_role(std::string_view text) {
    for (auto r : {Role::none, Role::visitor, Role::participant, Role::moderator})
        if (text == to_string(r)) return r;
    return std::nullopt;
}

Room::Room(ServicePtr service, std::string name, StrandPtr strand)
    : service_(std::move(service)),
      name_(std::move(name)),
      strand_(std::move(strand)),
      message_rate_(service_->messages_per_minute, std::chrono::minutes(1)),
      presence_rate_(service_->presences_per_minute, std::chrono::minutes(1)) {}

bool Room::allowed(RateLimit& limit, const Jid& who) {
    const auto now = RateLimit::clock::now();
    const std::string key = who.bare_str();
    if (!limit.allows(key, now)) return false;
    limit.take(key, now);
    return true;
}

void Room::serve_with(ServicePtr service) {
    strand_->post([self = shared_from_this(), service = std::move(service)]() mutable {
        self->service_ = std::move(service);
    });
}

void Room::receive(SessionPtr origin, StanzaPtr stanza) {
    strand_->post([self = shared_from_this(), origin = std::move(origin),
                   stanza = std::move(stanza), receipt = current_receipt] {
        // The sender's XEP-0198 receipt stays current while the room handles the stanza.
        ReceiptScope scope(receipt);
        self->handle(origin, stanza);
    });
}

void Room::handle(const SessionPtr& origin, const StanzaPtr& stanza) {
    if (state_ == State::gone) {
        // Forgotten after this stanza was queued to it: the directory makes or finds the
        // room's current object.
        return service_->room(name_)->receive(origin, stanza);
    }
    if (state_ == State::loading) {
        pending_.emplace_back(origin, stanza);
        if (load_started_) return;
        load_started_ = true;
        service_->store.load(service_->domain, name_,
                             [self = shared_from_this()](bool ok, auto stored) {
                                 self->strand_->post([self, ok, stored = std::move(stored)] {
                                     self->loaded(ok, stored);
                                 });
                             });
        return;
    }
    if (stanza->is_presence()) return presence(origin, stanza);
    if (stanza->is_message()) return message(origin, stanza);
    iq(origin, stanza);
}

void Room::loaded(bool ok, std::optional<storage::StoredRoom> stored) {
    auto pending = std::move(pending_);
    pending_.clear();
    if (!ok) {
        // Nothing is known about the room: each waiting stanza is told to try again.
        for (const auto& [origin, stanza] : pending)
            bounce(stanza, "wait", "internal-server-error");
        state_ = State::gone;
        service_->forget(name_, this);
        return;
    }
    if (stored) {
        auto form = xml::read_submitted_form(
            storage::parse_stored_xml(stored->config, xml::ns_data).get());
        // A stored value the service's limits no longer allow (max_history lowered since) is
        // left at its default, and said so; every other setting (members only!) still holds.
        if (!form)
            service_->link.log().warn("room {}: its stored configuration cannot be read", jid());
        while (form) {
            auto error = apply(*form, config_, service_->limits);
            if (!error) break;
            service_->link.log().warn("room {}: stored {} is outside the service's limits; "
                                      "the room takes the default",
                                      jid(), error->field);
            form->values.erase(error->field);
        }
        config_.persistent = true;
        subject_ = stored->subject;
        subject_by_ = stored->subject_by;
        for (const auto& [jid, text] : stored->affiliations)
            if (auto affiliation = parse_affiliation(text)) affiliations_[jid] = *affiliation;
        state_ = State::open;
    } else {
        state_ = State::absent;
    }
    publish_listing();
    for (const auto& [origin, stanza] : pending) handle(origin, stanza);
    forget_if_idle();
}

void Room::send(StanzaPtr stanza) {
    // Through a fan-out even alone, so that it keeps its place behind the room's fan-outs.
    FanOut(service_->link.server(), this).add(std::move(stanza));
}

void Room::bounce(const StanzaPtr& stanza, std::string_view type, std::string_view condition,
                  std::string_view text) {
    if (!may_answer_with_error(*stanza)) return;
    service_->link.server().router().count_bounce(condition);
    send(make_error_reply(*stanza, type, condition, text));
}

void Room::fan_out(const StanzaPtr& base) {
    FanOut out(service_->link.server(), this, base);
    for (const auto& [nick, occupant] : occupants_)
        for (const auto& session : occupant.sessions) out.add(session);
}

void Room::send_to(const StanzaPtr& base, const Occupant& occupant) {
    FanOut out(service_->link.server(), this, base);
    for (const auto& session : occupant.sessions) out.add(session);
}

Occupant* Room::occupant_by_real(const Jid& real) {
    const auto it = nick_of_.find(real.str());
    return it == nick_of_.end() ? nullptr : occupant_by_nick(it->second);
}

Occupant* Room::occupant_by_nick(const std::string& nick) {
    const auto it = occupants_.find(nick);
    return it == occupants_.end() ? nullptr : &it->second;
}

Affiliation Room::affiliation_of(const Jid& jid) const {
    // A bare JID's own affiliation, else its domain's (XEP-0045 §9.1 lets a domain be banned).
    for (const auto& key : {jid.bare_str(), jid.domain()}) {
        const auto it = affiliations_.find(key);
        if (it != affiliations_.end()) return it->second;
    }
    return Affiliation::none;
}

Role Room::default_role(Affiliation affiliation) const {
    // XEP-0045 §5.1.2.
    if (affiliation >= Affiliation::admin) return Role::moderator;
    if (config_.moderated && affiliation < Affiliation::member) return Role::visitor;
    return Role::participant;
}

Jid Room::occupant_jid(const std::string& nick) const {
    return *Jid::make(name_, service_->domain, nick);
}

void Room::save(std::function<void(bool ok)> done) {
    if (!config_.persistent) return done(true);
    storage::StoredRoom stored{xml::to_string(*stored_form(config_)), subject_, subject_by_, {}};
    for (const auto& [jid, affiliation] : affiliations_)
        stored.affiliations[jid] = to_string(affiliation);
    service_->store.save(service_->domain, name_, stored,
                         [self = shared_from_this(), done = std::move(done)](storage::Result r) {
                             self->strand_->post([done, ok = r.ok] { done(ok); });
                         });
}

bool Room::settled() const {
    std::lock_guard lock(listing_mutex_);
    return settled_;
}

void Room::publish_listing() {
    std::optional<Listing> listing;
    if (state_ == State::open && config_.public_room)
        listing = Listing{config_.name, occupants_.size()};
    std::lock_guard lock(listing_mutex_);
    listing_ = std::move(listing);
    settled_ = state_ != State::loading;
}

std::optional<Room::Listing> Room::listing() const {
    std::lock_guard lock(listing_mutex_);
    return listing_;
}

void Room::forget_if_idle() {
    if (!occupants_.empty() || state_ == State::loading) return;
    // A temporary room ends with its last occupant (XEP-0045 §10.1.2). A persistent one stays
    // stored and is read again when next addressed, unless it has history to give, which is
    // kept in memory only.
    if (state_ == State::open && config_.persistent && !history_.empty()) return;
    // A temporary room's archive ends with it.
    if (state_ != State::absent && !config_.persistent && config_.logging)
        service_->store.remove(service_->domain, name_, [](storage::Result) {});
    state_ = State::gone;
    publish_listing();
    service_->forget(name_, this);
}

}  // namespace starling::muc
