#include "service.hpp"

#include "room.hpp"

#include "core/disco.hpp"
#include "core/server.hpp"
#include "storage/stored_xml.hpp"
#include "stream/scram_crypto.hpp"

#include <algorithm>
#include <functional>

namespace starling::muc {

namespace {

constexpr const char* ns_rsm = "http://jabber.org/protocol/rsm";

}  // namespace

Service::Service(ModuleContext& ctx, std::string service_domain)
    : link(ctx),
      domain(std::move(service_domain)),
      name(ctx.options().get_string("name")),
      limits{ctx.options().get_int("max_occupants"), ctx.options().get_int("max_history")},
      local_creation_only(!ctx.options().get_bool("remote_users_create_rooms")),
      max_rooms_per_user(ctx.options().get_int("max_rooms_per_user")),
      messages_per_minute(ctx.options().get_int("messages_per_minute")),
      presences_per_minute(ctx.options().get_int("presences_per_minute")),
      store(ctx.database()),
      archive_ids(storage::ArchiveIds::load(ctx.database())),
      archive(ctx.database(), archive_ids, ctx.options().get_int("max_archived_per_room"),
              {"muc_archive_messages", "muc_archive_counts"}),
      directory_(Directory::of(domain)) {
    occupant_id_key = store.secret_sync(domain, sasl::to_hex(sasl::random_bytes(32)));
    if (occupant_id_key.empty())
        throw std::runtime_error("cannot read the chat service's secret from the database");
}

std::shared_ptr<Directory> Directory::of(const std::string& domain) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<Directory>> directories;
    std::lock_guard lock(mutex);
    auto& slot = directories[domain];
    auto directory = slot.lock();
    if (!directory) slot = directory = std::make_shared<Directory>();
    return directory;
}

void Service::attach() {
    std::lock_guard lock(directory_->owners_mutex);
    directory_->owners.push_back(this);
    hand_rooms_to(shared_from_this());
}

void Service::detach() {
    std::lock_guard lock(directory_->owners_mutex);
    const bool serving = !directory_->owners.empty() && directory_->owners.back() == this;
    std::erase(directory_->owners, this);
    if (!directory_->owners.empty()) {
        // Whoever is in the list is still loaded: the newest (the old instance again, after a
        // reload that failed) serves the rooms.
        if (serving) hand_rooms_to(directory_->owners.back()->shared_from_this());
        return;
    }
    // The module is unloaded: rooms hold the service, so without this neither would be freed.
    for (auto& s : directory_->shards) {
        std::unordered_map<std::string, std::shared_ptr<Room>> dropped;
        std::lock_guard shard_lock(s.mutex);
        dropped.swap(s.rooms);
    }
}

void Service::hand_rooms_to(const std::shared_ptr<Service>& service) {
    for (const auto& room : rooms()) room->serve_with(service);
}

std::shared_ptr<Room> Service::room(const std::string& room_name) {
    auto& s = directory_->shard(room_name);
    std::lock_guard lock(s.mutex);
    auto& slot = s.rooms[room_name];
    if (!slot)
        slot = std::make_shared<Room>(shared_from_this(), room_name, link.server().make_strand());
    return slot;
}

void Service::forget(const std::string& room_name, const Room* room) {
    auto& s = directory_->shard(room_name);
    std::shared_ptr<Room> dropped;  // released outside the lock
    std::lock_guard lock(s.mutex);
    auto it = s.rooms.find(room_name);
    if (it != s.rooms.end() && it->second.get() == room) {
        dropped = std::move(it->second);
        s.rooms.erase(it);
    }
}

std::vector<std::shared_ptr<Room>> Service::rooms() const {
    std::vector<std::shared_ptr<Room>> out;
    for (const auto& s : directory_->shards) {
        std::lock_guard lock(s.mutex);
        for (const auto& [name, room] : s.rooms) out.push_back(room);
    }
    return out;
}

std::string Service::occupant_id(const std::string& room, const std::string& bare) const {
    // HMAC-SHA-256 keyed with the secret, the room and the user: the same user in the same room always
    // has the same id; nobody without the secret can tell whose id it is.
    return sasl::to_hex(
        sasl::hmac(sasl::Hash::sha256, occupant_id_key, room + '\0' + bare).substr(0, 16));
}

bool Service::is_local(const Jid& jid) const {
    return !jid.local().empty() && link.server().host(jid.domain()) != nullptr;
}

bool Service::enter_room(const std::string& bare) {
    std::lock_guard lock(directory_->occupancy_mutex);
    auto& count = directory_->rooms_of[bare];
    if (count >= max_rooms_per_user) return false;
    ++count;
    return true;
}

void Service::left_room(const std::string& bare) {
    std::lock_guard lock(directory_->occupancy_mutex);
    auto it = directory_->rooms_of.find(bare);
    if (it != directory_->rooms_of.end() && --it->second <= 0) directory_->rooms_of.erase(it);
}

void Service::receive(const SessionPtr& origin, StanzaPtr stanza) {
    const Jid& to = stanza->to();
    if (!to.local().empty()) return room(to.local())->receive(origin, std::move(stanza));
    if (stanza->is_iq()) return service_iq(origin, stanza);
    // Messages and presence to the service itself have nothing to do here.
    if (stanza->is_message() && stanza->type() != "error")
        link.server().router().bounce(origin, *stanza, "cancel", "service-unavailable");
}

void Service::service_iq(const SessionPtr& origin, const StanzaPtr& stanza) {
    auto& router = link.server().router();
    const auto type = stanza->type();
    if (type != "get" && type != "set") return;
    const auto children = stanza->element().child_elements();
    if (children.size() != 1) return router.bounce(origin, *stanza, "modify", "bad-request");
    const xml::Element& payload = *children.front();
    if (type == "get" && payload.xmlns() == ns_ping) return link.send(make_iq_result(*stanza));
    if (type == "get" && payload.xmlns() == ns_disco_info) {
        auto reply = std::make_shared<DiscoReply>(DiscoKind::info, IqTarget::host,
                                                  StanzaEvent{link.host(), origin, stanza});
        if (!reply->node().empty()) return;
        reply->add_identity({"conference", "text", name});
        for (const char* feature : {ns_muc, ns_disco_info, ns_disco_items, ns_ping,
                                    "http://jabber.org/protocol/muc#unique", ns_rsm,
                                    ns_occupant_id, ns_sid})
            reply->add_feature(feature);
        return;
    }
    if (type == "get" && payload.xmlns() == ns_disco_items) {
        if (!payload.attr("node").empty())
            return router.bounce(origin, *stanza, "cancel", "item-not-found");
        // §6.3: the public rooms, stored and in memory, by JID, a page at a time (XEP-0059).
        auto self = shared_from_this();
        return store.list(domain, [self, origin, stanza](bool ok, auto stored) {
            if (!ok)
                return self->link.server().router().bounce(origin, *stanza, "wait",
                                                           "internal-server-error");
            std::map<std::string, std::string> listed;  // room JID -> name
            for (const auto& [room_name, config_text] : stored) {
                RoomConfig config;
                if (auto form = xml::read_submitted_form(
                        storage::parse_stored_xml(config_text, xml::ns_data).get()))
                    apply(*form, config, self->limits);
                if (config.public_room) listed[room_name + "@" + self->domain] = config.name;
            }
            for (const auto& room : self->rooms()) {
                // A room in memory says for itself whether it is listed now (a stored room
                // made hidden, or a temporary public one).
                const std::string jid = room->name() + "@" + self->domain;
                if (auto listing = room->listing())
                    listed[jid] = listing->name;
                else if (room->settled())
                    listed.erase(jid);
            }
            self->list_rooms(origin, stanza, listed);
        });
    }
    if (type == "get" && payload.xmlns() == "http://jabber.org/protocol/muc#unique") {
        // XEP-0045 §10.1.4: a room name nobody has.
        auto result = xml::make_element("unique", "http://jabber.org/protocol/muc#unique");
        result->add_text(sasl::to_hex(sasl::random_bytes(10)));
        return link.send(make_iq_result(*stanza, std::move(result)));
    }
    router.bounce(origin, *stanza, "cancel", "service-unavailable");
}

void Service::list_rooms(const SessionPtr& origin, const StanzaPtr& stanza,
                         const std::map<std::string, std::string>& listed) {
    const xml::Element& payload = *stanza->element().first_child_element();
    const xml::Element* set = payload.child("set", ns_rsm);
    std::size_t max = 100;
    std::string after;
    if (set) {
        const std::string text = set->child_text("max");
        if (!text.empty() && text.size() < 6 && text.find_first_not_of("0123456789") == std::string::npos)
            max = std::min<std::size_t>(std::stoul(text), 100);
        after = set->child_text("after");
    }
    auto result = xml::make_element("query", ns_disco_items);
    auto it = after.empty() ? listed.begin() : listed.upper_bound(after);
    const std::size_t index = static_cast<std::size_t>(std::distance(listed.begin(), it));
    std::string first, last;
    for (std::size_t n = 0; it != listed.end() && n < max; ++it, ++n) {
        auto& item = result->add_child("item");
        item.set_attr("jid", it->first);
        if (!it->second.empty()) item.set_attr("name", it->second);
        if (first.empty()) first = it->first;
        last = it->first;
    }
    if (set) {
        auto& out = result->add_child("set", ns_rsm);
        if (!first.empty()) {
            auto& f = out.add_child("first");
            f.set_attr("index", std::to_string(index));
            f.add_text(first);
            out.add_child("last").add_text(last);
        }
        out.add_child("count").add_text(std::to_string(listed.size()));
    }
    (void)origin;
    link.send(make_iq_result(*stanza, std::move(result)));
}

}  // namespace starling::muc
