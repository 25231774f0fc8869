#pragma once
// Named events with typed payloads. An event name is interned once, when a module or the core
// declares it, into a small integer key; dispatch never builds or compares strings.

#include "core/registration.hpp"
#include "core/session.hpp"
#include "core/stanza.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace starling {

class Host;

/// What a handler says about the event: let later (lower-priority) handlers see it, stop because
/// it took care of it, or stop and discard it.
enum class Verdict { pass, handled, drop };

/// Marks one stanza a client sent as handled (XEP-0198 `h`) when its last copy is released.
/// Null for streams without stream management, which makes carrying it free. While the client
/// stream routes the stanza, a ReceiptScope makes it the thread's current receipt, and every
/// StanzaEvent made meanwhile takes a copy: a handler that finishes the stanza later (an
/// asynchronous store, say) keeps `event.receipt` in its callback until the stanza is
/// committed, delivered or bounced (the delivery guarantee in DESIGN.md).
using Receipt = std::shared_ptr<const void>;
extern thread_local Receipt current_receipt;

/// Makes `receipt` the thread's current receipt until destroyed.
class ReceiptScope {
public:
    explicit ReceiptScope(Receipt receipt) : previous_(std::move(current_receipt)) {
        current_receipt = std::move(receipt);
    }
    ~ReceiptScope() { current_receipt = std::move(previous_); }
    ReceiptScope(const ReceiptScope&) = delete;
    ReceiptScope& operator=(const ReceiptScope&) = delete;

private:
    Receipt previous_;
};

/// A stanza on its way through a host: sent by `origin` (a c2s session, or null when the server
/// itself or another host generated it).
///
/// Who asks: `from` alone says who a stanza claims to be from, and a handler must not act on an
/// account for it. The three calls below are the one place that decides which local account,
/// if any, authenticated and sent the stanza (docs/modules.md, "Who asks"): the origin is a
/// client's bound session (a stream that has not logged in has no JID yet; components and
/// modules route with no origin; a remote server, later, will not be a client session either),
/// and the stanza's `from` is that session's JID, as the client stream stamped it.
struct StanzaEvent {
    Host& host;
    SessionPtr origin;
    StanzaPtr stanza;
    Receipt receipt = current_receipt;

    /// The bare JID of the local account whose own authenticated client session sent the
    /// stanza, on any host of this server; nullopt for anyone else. For rights that are the
    /// whole server's (the `admins` list).
    std::optional<Jid> local_client() const;
    /// local_client(), when that account is on this event's host: the account that asks, which
    /// a request may read or change as its owner. nullopt for a user of another host (even of
    /// this server), a component, a module, an unauthenticated stream.
    std::optional<Jid> requester() const;
    /// requester(), when the stanza is addressed to that account itself: no 'to', its own bare
    /// JID, or its own server (this host's domain). What every request that changes "my" data
    /// (password, removal, roster, blocklist, PEP nodes, settings) checks; nullopt: refuse it.
    std::optional<Jid> own_account() const;
};

/// A session lifecycle event: bound, available, closed.
struct SessionEvent {
    Host& host;
    SessionPtr session;
    std::string_view reason;  // for closed: the stream error condition or "closed"
};

/// An interned event name.
class EventKey {
public:
    explicit EventKey(std::string_view name);
    std::uint32_t index() const { return index_; }
    const std::string& name() const;

private:
    std::uint32_t index_;
};

/// The events the core raises. Modules may intern more of their own.
namespace events {
extern const EventKey message_bare;     // message to a local bare JID (after pre-routing)
extern const EventKey message_full;     // message to a local full JID
extern const EventKey message_host;     // message to the host itself
extern const EventKey message_offline;  // message for an account with no session that takes it
extern const EventKey presence_bare;
extern const EventKey presence_full;
extern const EventKey presence_host;
extern const EventKey presence_out;  // a client's broadcast presence (no 'to')
extern const EventKey stanza_out;    // any stanza a client sent, before routing
extern const EventKey stanza_in;     // any stanza to a local account, before its kind's rules
extern const EventKey session_bound;
extern const EventKey session_available;
extern const EventKey session_closed;
// XEP-0198: a session whose connection was lost and that waits to be resumed, and its return.
extern const EventKey session_hibernated;
extern const EventKey session_resumed;
// A message queued for a hibernated session (XEP-0357 push wakes the device for it).
extern const EventKey message_hibernated;
}  // namespace events

/// Handlers of one payload type for every event key, in priority order (higher first).
/// Registration and removal (module loads, on the control thread) publish a new table; dispatch,
/// on every stanza and every I/O thread, reads the current one with one acquire load: no lock,
/// no reference count bumped on a cache line all threads share.
template <typename Payload>
class HookTable {
public:
    using Handler = std::function<Verdict(Payload&)>;

    HookTable() = default;
    HookTable(const HookTable&) = delete;
    HookTable& operator=(const HookTable&) = delete;
    ~HookTable() { delete current_.load(); }

    Registration add(const EventKey& key, Handler handler, int priority) {
        std::lock_guard lock(mutex_);
        auto table = copy_table();
        if (table->size() <= key.index()) table->resize(key.index() + 1);
        auto& list = (*table)[key.index()];
        const auto id = ++next_id_;
        auto pos = list.begin();
        while (pos != list.end() && pos->priority >= priority) ++pos;
        list.insert(pos, Entry{priority, id, std::move(handler)});
        publish(std::move(table));
        return Registration([this, index = key.index(), id] { remove(index, id); });
    }

    /// Runs the handlers until one returns handled or drop; pass when none did.
    Verdict fire(const EventKey& key, Payload& payload) const {
        const Table* table = current_.load(std::memory_order_acquire);
        if (!table || table->size() <= key.index()) return Verdict::pass;
        for (const auto& entry : (*table)[key.index()]) {
            const auto verdict = entry.handler(payload);
            if (verdict != Verdict::pass) return verdict;
        }
        return Verdict::pass;
    }

    bool has(const EventKey& key) const {
        const Table* table = current_.load(std::memory_order_acquire);
        return table && table->size() > key.index() && !(*table)[key.index()].empty();
    }

private:
    struct Entry {
        int priority;
        std::uint64_t id;
        Handler handler;
    };
    using Table = std::vector<std::vector<Entry>>;
    using Clock = std::chrono::steady_clock;
    // A replaced table may still be walked by a dispatch that loaded it just before; handlers
    // never block, so one that was replaced this long ago is walked by nobody.
    static constexpr auto retire_after = std::chrono::seconds(10);

    std::unique_ptr<Table> copy_table() const {
        const Table* table = current_.load(std::memory_order_acquire);
        return table ? std::make_unique<Table>(*table) : std::make_unique<Table>();
    }
    void publish(std::unique_ptr<Table> table) {
        const auto now = Clock::now();
        std::erase_if(retired_, [now](const auto& old) { return now - old.first > retire_after; });
        if (const Table* old = current_.exchange(table.release(), std::memory_order_acq_rel))
            retired_.emplace_back(now, std::unique_ptr<const Table>(old));
    }
    void remove(std::uint32_t index, std::uint64_t id) {
        std::lock_guard lock(mutex_);
        auto table = copy_table();
        if (table->size() > index)
            std::erase_if((*table)[index], [id](const Entry& e) { return e.id == id; });
        publish(std::move(table));
    }

    std::mutex mutex_;  // registrations, and retired_
    std::uint64_t next_id_ = 0;
    std::atomic<const Table*> current_{nullptr};
    std::vector<std::pair<Clock::time_point, std::unique_ptr<const Table>>> retired_;
};

}  // namespace starling
