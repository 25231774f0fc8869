// XEP-0045 Multi-User Chat: a chat service on its own domain (conference.<host> unless
// configured), with rooms that own their state on their own strands (room.hpp). The service is
// registered with add_service: the core routes to it without knowing what it is.

#include "room.hpp"
#include "service.hpp"

#include "core/module.hpp"
#include "core/server.hpp"

namespace starling::muc {

namespace {

std::vector<OptionSpec> options() {
    return {
        {"domain", OptionType::string, "", 0, 0,
         "the service's domain; empty: conference. followed by the host's domain"},
        {"name", OptionType::string, "Chatrooms", 0, 0,
         "the service's name in service discovery"},
        {"max_occupants", OptionType::integer, "1000", 1, 100000,
         "most occupants of one room; a room's own limit may only be lower"},
        {"max_history", OptionType::integer, "50", 0, 1000,
         "most messages a room keeps to give new occupants; a room's own length may be lower"},
        {"max_rooms_per_user", OptionType::integer, "100", 1, 100000,
         "rooms of this service one user may be in at once; one more gets resource-constraint"},
        {"messages_per_minute", OptionType::integer, "120", 1, 100000,
         "groupchat and private messages one occupant may send in a room per minute (bursts "
         "up to it); past it they get policy-violation"},
        {"presences_per_minute", OptionType::integer, "30", 1, 100000,
         "presence changes one user may make in a room per minute, entering included; past it "
         "they get policy-violation"},
        {"max_archived_per_room", OptionType::integer, "100000", 0, 100000000,
         "messages a room with logging keeps in its archive (XEP-0313); past it the oldest go; "
         "0 keeps every message"},
        {"remote_users_create_rooms", OptionType::boolean, "false",
         0, 1, "whether users of other servers may create rooms here (they may always join)"},
    };
}

// The instance serves the domain's rooms while it is loaded (Service::attach and detach).
class Attachment {
public:
    explicit Attachment(ServicePtr service) : service_(std::move(service)) { service_->attach(); }
    ~Attachment() { service_->detach(); }
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;

private:
    ServicePtr service_;
};

void load(ModuleContext& ctx) {
    std::string domain = ctx.options().get_string("domain");
    if (domain.empty()) domain = "conference." + ctx.domain();
    auto parsed = Jid::parse(domain);
    if (!parsed || !parsed->is_domain())
        throw std::runtime_error("muc: domain: \"" + domain + "\" is not a domain name");
    auto service = std::make_shared<Service>(ctx, parsed->domain());
    ctx.own(std::make_shared<Attachment>(service));
    ctx.add_service(service->domain, [service](const SessionPtr& origin, StanzaPtr stanza) {
        service->receive(origin, std::move(stanza));
    });
}

}  // namespace

}  // namespace starling::muc

STARLING_MODULE("muc", "XEP-0045 Multi-User Chat", starling::muc::options, nullptr,
                starling::muc::load)
