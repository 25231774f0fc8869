#include "core/events.hpp"

#include "core/host.hpp"

#include <deque>
#include <mutex>
#include <unordered_map>

namespace starling {
namespace {

struct Interner {
    std::mutex mutex;
    std::unordered_map<std::string, std::uint32_t> index;
    std::deque<std::string> names;  // a deque keeps references stable as it grows
};

Interner& interner() {
    static Interner instance;
    return instance;
}

}  // namespace

EventKey::EventKey(std::string_view name) {
    auto& in = interner();
    std::lock_guard lock(in.mutex);
    auto [it, inserted] = in.index.try_emplace(std::string(name), static_cast<std::uint32_t>(in.names.size()));
    if (inserted) in.names.emplace_back(name);
    index_ = it->second;
}

const std::string& EventKey::name() const {
    auto& in = interner();
    std::lock_guard lock(in.mutex);
    return in.names[index_];
}

thread_local Receipt current_receipt;

std::optional<Jid> StanzaEvent::local_client() const {
    if (!origin) return std::nullopt;
    const Jid& session = origin->jid();
    // Only a bound client resource has a JID with a local part and a resource: a stream that
    // has not authenticated has none yet, and a component's JID is its domain.
    if (session.local().empty() || session.resource().empty()) return std::nullopt;
    // The client stream stamps 'from' with the session's full JID; a stanza that names someone
    // else was not this client's request, whoever routed it with this origin.
    if (stanza->from() != session) return std::nullopt;
    return session.bare();
}

std::optional<Jid> StanzaEvent::requester() const {
    auto client = local_client();
    if (!client || client->domain() != host.domain()) return std::nullopt;
    return client;
}

std::optional<Jid> StanzaEvent::own_account() const {
    auto account = requester();
    if (!account) return std::nullopt;
    const Jid& to = stanza->to();
    if (to.empty() || to == *account || (to.is_domain() && to.domain() == host.domain()))
        return account;
    return std::nullopt;
}

namespace events {
const EventKey message_bare{"message/bare"};
const EventKey message_full{"message/full"};
const EventKey message_host{"message/host"};
const EventKey message_offline{"message/offline"};
const EventKey presence_bare{"presence/bare"};
const EventKey presence_full{"presence/full"};
const EventKey presence_host{"presence/host"};
const EventKey presence_out{"presence/out"};
const EventKey stanza_out{"stanza/out"};
const EventKey stanza_in{"stanza/in"};
const EventKey session_bound{"session/bound"};
const EventKey session_available{"session/available"};
const EventKey session_closed{"session/closed"};
const EventKey session_hibernated{"session/hibernated"};
const EventKey session_resumed{"session/resumed"};
const EventKey message_hibernated{"message/hibernated"};
}  // namespace events

}  // namespace starling
