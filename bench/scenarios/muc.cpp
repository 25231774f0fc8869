// muc: multi-user chat rooms (XEP-0045). Every client logs in; the first occupant of each room
// creates it (an instant room: enter, then submit the owner's empty configuration form); the
// others enter all at once (the fill), except each room's last occupant, who enters alone into
// the full room afterwards (the join time of a room of that size). Then occupants send
// groupchat messages at fixed rates (one for the big room, one spread over the others), and
// optionally 1:1 chat beside them. Each room message should reach every occupant, its sender
// included: the figures are the time until the last occupant had it, the time to each
// occupant, the deliveries missing or repeated, and the server's CPU per delivered stanza.
#include "bench/bench_error.hpp"
#include "bench/client_pool.hpp"
#include "bench/delivery_ledger.hpp"
#include "bench/process_stats.hpp"
#include "bench/scenarios/scenarios.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

namespace bench {
namespace {

enum class join_state : std::uint8_t { out, creating, configuring, joining, in };

// A groupchat message as its sender sent it.
struct room_send {
    std::uint64_t key;  // sender << 32 | seq
    std::uint32_t room;
    std::uint64_t sent_ns;
};

// One copy of a groupchat message as an occupant received it.
struct room_delivery {
    std::uint64_t key;
    std::uint32_t receiver;
    std::uint64_t received_ns;
};

// What the run knows about its rooms and accounts; fixed before any traffic.
struct room_layout {
    std::vector<std::string> room_jids;       // by room
    std::vector<std::uint32_t> first_account;  // by room
    std::vector<std::uint32_t> room_of;        // by account slot
};

// One worker's share of the run: joins of its accounts, its senders, its deliveries. Called on
// the worker's thread only, except the atomics and what main reads between on_each_worker
// barriers.
class muc_traffic final : public message_handler {
public:
    muc_traffic(client_pool& pool, worker& w, const room_layout& layout, std::uint32_t run)
        : pool_(pool), worker_(w), layout_(layout), run_(run), timer_(w.io()),
          random_(0x5bd1e995u + w.number()) {
        const auto& opts = pool_.opts();
        state_.assign(opts.users, join_state::out);
        join_sent_ns_.assign(opts.users, 0);
        joined_ns_.assign(opts.users, 0);
        chat_seq_.assign(opts.users, 0);
        local_by_room_.resize(layout_.room_jids.size());
        for (std::uint32_t a = opts.first; a < opts.first + opts.users; ++a)
            if (&pool_.worker_of(a) == &worker_)
                local_by_room_[layout_.room_of[a - opts.first]].push_back(a);
    }

    /// Sends the entry presence of each account of `accounts` that lives on this worker, with
    /// at most `window` (0: no limit) of this worker's entries unanswered at a time.
    void enter(const std::vector<std::uint32_t>& accounts, join_state next, std::uint32_t window) {
        for (auto a : accounts)
            if (&pool_.worker_of(a) == &worker_) waiting_.push_back(a);
        entering_as_ = next;
        window_ = window;
        send_entries();
    }

    void send_entries() {
        const auto& opts = pool_.opts();
        while (!waiting_.empty() && (window_ == 0 || in_flight_ < window_)) {
            const auto a = waiting_.front();
            waiting_.pop_front();
            ++in_flight_;
            const auto slot = a - opts.first;
            state_[slot] = entering_as_;
            join_sent_ns_[slot] = now_ns();
            pool_.connection_of(a)->send_stanza(
                "<presence to='" + occupant_jid(a) +
                "'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        }
    }

    // An entry (or a creation) finished: count it and send the next one waiting.
    void entered(std::uint32_t slot) {
        state_[slot] = join_state::in;
        joined_ns_[slot] = now_ns();
        ready_.fetch_add(1, std::memory_order_relaxed);
        if (in_flight_ > 0) --in_flight_;
        send_entries();
    }

    void on_room_stanza(connection& c, const stanza& s) override {
        const auto slot = c.account() - pool_.opts().first;
        auto& state = state_[slot];
        const auto& room = layout_.room_jids[layout_.room_of[slot]];
        if (s.type == "error" && (s.name == "iq" || s.from.starts_with(room))) {
            fail(c, "the room " + room + " refused <" + s.name + "/>: <" +
                        (s.condition.empty() ? "no condition" : s.condition) + "/>" +
                        (s.error_text.empty() ? "" : " '" + s.error_text + "'"));
            return;
        }
        if (state == join_state::creating && s.name == "presence" &&
            (s.muc_status & muc_status_self)) {
            // A creator's room stays locked until the owner configures it: accept the defaults.
            state = join_state::configuring;
            c.send_stanza("<iq type='set' id='muc-cfg' to='" + room +
                          "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                          "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
        } else if (state == join_state::configuring && s.name == "iq" && s.id == "muc-cfg") {
            entered(slot);
        } else if (state == join_state::joining && s.name == "message" && s.has_subject) {
            entered(slot);
        }
    }

    void on_message(connection& c, const stanza& message) override {
        if (!counting_) return;
        const auto body = decode_body(message.body);
        const auto now = now_ns();
        if (!body || (body->run != run_ && body->run != run_ + 1)) {
            ++foreign_;
            return;
        }
        if (message.type == "error") {
            ++bounced_;
            return;
        }
        if (body->run == run_ + 1) {
            chat_ledger_.record_delivery(body->sender, body->seq);
            chat_latency_.add(now > body->sent_ns ? now - body->sent_ns : 0);
            chat_delivered_.fetch_add(1, std::memory_order_relaxed);
        } else {
            deliveries_.push_back(
                {std::uint64_t{body->sender} << 32 | body->seq, c.account(), now});
            room_delivered_.fetch_add(1, std::memory_order_relaxed);
        }
        last_delivery_ns_ = now;
    }

    void start() {
        const auto& opts = pool_.opts();
        const double workers = double(pool_.worker_count());
        const bool big_apart = opts.big_room > 0 && opts.big_room_rate >= 0;
        for (std::uint32_t r = 0; r < local_by_room_.size(); ++r)
            if (!local_by_room_[r].empty()) (big_apart && r == 0 ? big_ : rest_).rooms.push_back(r);
        big_.rate = big_apart ? opts.big_room_rate / workers : 0;
        rest_.rate = opts.rate / workers;
        chat_.rate = opts.chat_rate / workers;
        for (auto& room : local_by_room_)
            for (auto a : room) chat_senders_.push_back(a);
        sending_ = true;
        started_ns_ = now_ns();
        schedule_tick();
    }

    void stop() {
        sending_ = false;
        timer_.cancel();
    }

    std::atomic<std::uint64_t> ready_{0};  // rooms configured, or occupants in
    std::atomic<std::uint64_t> room_expected_{0};
    std::atomic<std::uint64_t> room_delivered_{0};
    std::atomic<std::uint64_t> chat_sent_{0};
    std::atomic<std::uint64_t> chat_delivered_{0};
    std::vector<join_state> state_;
    std::vector<std::uint64_t> join_sent_ns_;
    std::vector<std::uint64_t> joined_ns_;
    std::vector<room_send> sends_;
    std::vector<room_delivery> deliveries_;
    delivery_ledger chat_ledger_;
    latency_stats chat_latency_;
    std::uint64_t last_delivery_ns_ = 0;
    std::uint64_t bounced_ = 0;
    std::uint64_t foreign_ = 0;
    bool counting_ = true;
    std::mutex failure_mutex_;
    std::string failure_;

private:
    // A stream of messages at a fixed rate: into some rooms, or 1:1.
    struct stream {
        double rate = 0;
        std::vector<std::uint32_t> rooms;  // rooms with a local occupant
        std::uint64_t sent = 0;
    };

    std::string occupant_jid(std::uint32_t account) const {
        const auto slot = account - pool_.opts().first;
        return layout_.room_jids[layout_.room_of[slot]] + "/u" + std::to_string(account);
    }

    void fail(connection& c, std::string why) {
        std::lock_guard lock(failure_mutex_);
        if (failure_.empty()) failure_ = pool_.opts().jid(c.account()) + ": " + why;
    }

    void schedule_tick() {
        timer_.expires_after(std::chrono::milliseconds(1));
        timer_.async_wait([this](const error_code& ec) {
            if (ec || !sending_) return;
            tick();
            schedule_tick();
        });
    }

    // Sends what each stream's rate says is due by now; a late tick catches up.
    void tick() {
        const double elapsed = double(now_ns() - started_ns_) / 1e9;
        for (auto* s : {&big_, &rest_}) {
            if (s->rooms.empty()) continue;
            const auto due = static_cast<std::uint64_t>(s->rate * elapsed);
            for (int burst = 0; s->sent < due && burst < 10000; ++s->sent, ++burst)
                send_to_room(s->rooms[s->sent % s->rooms.size()]);
        }
        if (chat_senders_.empty() || pool_.opts().users < 2) return;
        const auto due = static_cast<std::uint64_t>(chat_.rate * elapsed);
        for (int burst = 0; chat_.sent < due && burst < 10000; ++chat_.sent, ++burst)
            send_chat(chat_senders_[random_() % chat_senders_.size()]);
    }

    void send_to_room(std::uint32_t room) {
        const auto& occupants = local_by_room_[room];
        const auto account = occupants[random_() % occupants.size()];
        auto* c = pool_.connection_of(account);
        if (!c->online()) return;
        const message_body body{run_, account, c->next_seq++, now_ns()};
        sends_.push_back({std::uint64_t{account} << 32 | body.seq, room, body.sent_ns});
        room_expected_.fetch_add(pool_.opts().room_size(room), std::memory_order_relaxed);
        c->send_groupchat(layout_.room_jids[room], body);
    }

    void send_chat(std::uint32_t account) {
        const auto& opts = pool_.opts();
        auto* c = pool_.connection_of(account);
        if (!c->online()) return;
        auto peer = opts.first + static_cast<std::uint32_t>(random_() % (opts.users - 1));
        if (peer >= account) ++peer;
        const message_body body{run_ + 1, account, chat_seq_[account - opts.first]++, now_ns()};
        chat_ledger_.record_sent(body.sender, body.seq);
        chat_sent_.fetch_add(1, std::memory_order_relaxed);
        c->send_chat(opts.jid(peer), body);
    }

    client_pool& pool_;
    worker& worker_;
    const room_layout& layout_;
    std::uint32_t run_;
    asio::steady_timer timer_;
    std::minstd_rand random_;
    std::vector<std::vector<std::uint32_t>> local_by_room_;
    std::vector<std::uint32_t> chat_senders_;
    std::vector<std::uint32_t> chat_seq_;  // by account slot
    stream big_, rest_, chat_;
    std::deque<std::uint32_t> waiting_;  // accounts whose entry is not sent yet
    join_state entering_as_ = join_state::joining;
    std::uint32_t window_ = 0;
    std::uint32_t in_flight_ = 0;
    std::uint64_t started_ns_ = 0;
    bool sending_ = false;
};

// Fan-out figures of a set of rooms (the big one, or the others).
struct fanout {
    std::uint64_t messages = 0;
    std::uint64_t expected = 0;    // messages x occupants
    std::uint64_t delivered = 0;   // distinct (message, occupant)
    std::uint64_t duplicated = 0;  // repeats of a (message, occupant)
    std::uint64_t incomplete = 0;  // messages some occupant never had
    latency_stats to_last;         // send to the last occupant, complete messages only
    latency_stats to_each;         // send to each occupant (first copy)

    void add_to(report& r) {
        r.add("messages", messages);
        r.add("deliveries_expected", expected);
        r.add("delivered", delivered);
        r.add("lost", expected - delivered);
        r.add("duplicated", duplicated);
        r.add("incomplete_messages", incomplete);
        auto& last = r.group("to_last_occupant_ms");
        last.add("p50", to_last.percentile(0.50) / 1e6);
        last.add("p99", to_last.percentile(0.99) / 1e6);
        last.add("max", to_last.max() / 1e6);
        auto& each = r.group("to_each_occupant_ms");
        each.add("p50", to_each.percentile(0.50) / 1e6);
        each.add("p99", to_each.percentile(0.99) / 1e6);
        each.add("max", to_each.max() / 1e6);
    }
};

std::string hex(std::uint32_t value) {
    char digits[16];
    return std::string(digits, std::to_chars(digits, digits + sizeof digits, value, 16).ptr);
}

}  // namespace

report run_muc(const options& opts) {
    const process_set server{opts.server_pids};
    const auto run = static_cast<std::uint32_t>(std::random_device{}()) & 0x7fffffffu;
    room_layout layout;
    layout.room_of.resize(opts.users);
    for (std::uint32_t r = 0, next = opts.first; r < opts.rooms; ++r) {
        layout.room_jids.push_back("r" + hex(run) + "-" + std::to_string(r + 1) + "@" +
                                   opts.muc_domain);
        layout.first_account.push_back(next);
        for (std::uint32_t i = 0; i < opts.room_size(r); ++i)
            layout.room_of[next++ - opts.first] = r;
    }
    const bool has_big = opts.big_room > 0;

    client_pool pool(opts);
    auto logins = pool.connect(opts.first, opts.users, connection::goal::login);
    require_all_online(logins, opts.users);

    std::vector<std::unique_ptr<muc_traffic>> traffic;
    std::vector<muc_traffic*> by_worker;
    pool.on_each_worker([&](worker& w) {
        traffic.push_back(std::make_unique<muc_traffic>(pool, w, layout, run));
        by_worker.push_back(traffic.back().get());
        w.set_message_handler(traffic.back().get());
    });
    auto total = [&traffic](auto member) {
        std::uint64_t sum = 0;
        for (auto& t : traffic) sum += ((*t).*member).load(std::memory_order_relaxed);
        return sum;
    };
    auto failure = [&traffic]() -> std::string {
        for (auto& t : traffic) {
            std::lock_guard lock(t->failure_mutex_);
            if (!t->failure_.empty()) return t->failure_;
        }
        return {};
    };
    // Enters `accounts` (as `how`) and waits until all are in; returns the seconds it took.
    // Gives up when nothing moved for 60 s.
    auto enter = [&](const std::vector<std::uint32_t>& accounts, join_state how,
                     const char* what) {
        const auto before = total(&muc_traffic::ready_);
        const auto started = now_ns();
        const auto window =
            opts.join_window / static_cast<std::uint32_t>(pool.worker_count()) +
            (opts.join_window > 0 && opts.join_window < pool.worker_count() ? 1 : 0);
        pool.on_each_worker(
            [&](worker& w) { by_worker[w.number()]->enter(accounts, how, window); });
        auto progress = before, last_change = started;
        for (unsigned polls = 1; total(&muc_traffic::ready_) < before + accounts.size(); ++polls) {
            if (auto why = failure(); !why.empty()) throw bench_error(what + (": " + why));
            // Asking the workers for drops costs a round of posts: every 200 polls only.
            if (polls % 200 == 0 && pool.dropped() > 0)
                throw bench_error(std::string(what) + ": " + pool.first_drop().value_or("?"));
            const auto entered = total(&muc_traffic::ready_);
            if (entered != progress) {
                progress = entered;
                last_change = now_ns();
            }
            if (now_ns() - last_change > 60'000'000'000ull)
                throw bench_error(std::string(what) + ": " + std::to_string(entered - before) +
                                  " of " + std::to_string(accounts.size()) +
                                  " entered; nothing more for 60 s");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return double(now_ns() - started) / 1e9;
    };

    // Creation, fill, and the last occupants: the small rooms' first, then the big room's alone.
    std::vector<std::uint32_t> owners, fillers, last_small, last_big;
    for (std::uint32_t r = 0; r < opts.rooms; ++r) {
        const auto first = layout.first_account[r], size = opts.room_size(r);
        owners.push_back(first);
        for (std::uint32_t i = 1; i + 1 < size; ++i) fillers.push_back(first + i);
        if (size >= 2) (has_big && r == 0 ? last_big : last_small).push_back(first + size - 1);
    }
    const double join_cpu_before = server.cpu_seconds();
    const double create_s = enter(owners, join_state::creating, "creating the rooms");
    const auto fill_started = now_ns();
    const double fill_s = enter(fillers, join_state::joining, "filling the rooms");
    enter(last_small, join_state::joining, "the last occupants of the rooms");
    enter(last_big, join_state::joining, "the last occupant of the big room");
    const double join_cpu = server.cpu_seconds() - join_cpu_before;

    // Join times from each worker's records (read after the barrier of the last enter).
    auto joined_at = [&](std::uint32_t account) {
        auto& t = *by_worker[pool.worker_of(account).number()];
        return t.joined_ns_[account - opts.first];
    };
    auto join_ms = [&](std::uint32_t account) {
        auto& t = *by_worker[pool.worker_of(account).number()];
        const auto slot = account - opts.first;
        return double(t.joined_ns_[slot] - t.join_sent_ns_[slot]) / 1e6;
    };
    auto room_filled_s = [&](std::uint32_t r) {
        std::uint64_t last = fill_started;
        const auto first = layout.first_account[r], size = opts.room_size(r);
        for (std::uint32_t i = 1; i + 1 < size; ++i) last = std::max(last, joined_at(first + i));
        return double(last - fill_started) / 1e9;
    };

    // Traffic.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double server_before = server.cpu_seconds();
    const double own_before = own_cpu_seconds();
    const auto started = now_ns();
    pool.on_each_worker([&](worker& w) { by_worker[w.number()]->start(); });
    std::this_thread::sleep_for(std::chrono::duration<double>(opts.duration_seconds));
    pool.on_each_worker([&](worker& w) { by_worker[w.number()]->stop(); });
    const auto stopped = now_ns();
    const auto grace_end = stopped + static_cast<std::uint64_t>(opts.grace_seconds * 1e9);
    while (now_ns() < grace_end &&
           (total(&muc_traffic::room_delivered_) < total(&muc_traffic::room_expected_) ||
            total(&muc_traffic::chat_delivered_) < total(&muc_traffic::chat_sent_)))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    pool.on_each_worker([&](worker& w) {
        by_worker[w.number()]->counting_ = false;
        w.set_message_handler(nullptr);
    });
    const double own_cpu = own_cpu_seconds() - own_before;
    const double server_cpu = server.cpu_seconds() - server_before;

    // Each message's copies: distinct occupants, repeats, and the time to the last one.
    std::vector<room_send> sends;
    std::vector<room_delivery> deliveries;
    delivery_ledger chat_ledger;
    latency_stats chat_latency;
    std::uint64_t last_delivery = started, bounced = 0, foreign = 0;
    for (auto& t : traffic) {
        sends.insert(sends.end(), t->sends_.begin(), t->sends_.end());
        deliveries.insert(deliveries.end(), t->deliveries_.begin(), t->deliveries_.end());
        chat_ledger.merge(std::move(t->chat_ledger_));
        chat_latency.merge(std::move(t->chat_latency_));
        last_delivery = std::max(last_delivery, t->last_delivery_ns_);
        bounced += t->bounced_;
        foreign += t->foreign_;
    }
    std::sort(sends.begin(), sends.end(),
              [](const room_send& a, const room_send& b) { return a.key < b.key; });
    std::sort(deliveries.begin(), deliveries.end(),
              [](const room_delivery& a, const room_delivery& b) {
                  return a.key != b.key ? a.key < b.key : a.receiver < b.receiver;
              });
    fanout big, rest;
    std::uint64_t unknown = 0;
    std::size_t d = 0;
    for (const auto& s : sends) {
        auto& f = has_big && s.room == 0 ? big : rest;
        const auto size = opts.room_size(s.room);
        ++f.messages;
        f.expected += size;
        while (d < deliveries.size() && deliveries[d].key < s.key) ++unknown, ++d;
        std::uint64_t distinct = 0, last = 0;
        for (; d < deliveries.size() && deliveries[d].key == s.key; ++d) {
            if (distinct > 0 && deliveries[d].receiver == deliveries[d - 1].receiver) {
                ++f.duplicated;
                continue;
            }
            ++distinct;
            const auto at = deliveries[d].received_ns;
            f.to_each.add(at > s.sent_ns ? at - s.sent_ns : 0);
            last = std::max(last, at);
        }
        f.delivered += distinct;
        if (distinct >= size)
            f.to_last.add(last > s.sent_ns ? last - s.sent_ns : 0);
        else
            ++f.incomplete;
    }
    unknown += deliveries.size() - d;
    const auto chat = chat_ledger.totals();
    const double seconds = double(std::max(last_delivery, stopped) - started) / 1e9;
    const double send_seconds = double(stopped - started) / 1e9;

    report r;
    r.add("scenario", "muc");
    r.add("clients", opts.users);
    r.add("rooms", opts.rooms);
    r.add("occupants", opts.occupants);
    r.add("big_room", opts.big_room);
    auto& join = r.group("join");
    join.add("create_s", create_s);
    join.add("fill_s", fill_s);
    if (has_big) {
        join.add("big_room_fill_s", room_filled_s(0));
        if (!last_big.empty()) join.add("big_room_last_join_ms", join_ms(last_big.front()));
    }
    if (!last_small.empty()) {
        latency_stats small;
        for (auto a : last_small) small.add(static_cast<std::uint64_t>(join_ms(a) * 1e6));
        join.add("rooms_last_join_ms_p50", small.percentile(0.5) / 1e6);
        join.add("rooms_last_join_ms_max", small.max() / 1e6);
    }
    join.add("server_cpu_s", join_cpu);
    if (has_big) big.add_to(r.group("big_room_traffic"));
    if (rest.messages > 0 || !has_big || opts.rooms > 1) rest.add_to(r.group("rooms_traffic"));
    const auto room_delivered = big.delivered + rest.delivered;
    r.add("room_messages_sent_per_s", double(big.messages + rest.messages) / send_seconds);
    r.add("room_stanzas_delivered_per_s", double(room_delivered) / seconds);
    r.add("seconds", seconds);
    if (opts.chat_rate > 0) {
        auto& c = r.group("chat");
        c.add("sent", chat.sent);
        c.add("delivered", chat.unique);
        c.add("lost", chat.lost);
        c.add("duplicated", chat.duplicated);
        auto& ms = c.group("latency_ms");
        ms.add("p50", chat_latency.percentile(0.50) / 1e6);
        ms.add("p99", chat_latency.percentile(0.99) / 1e6);
        ms.add("max", chat_latency.max() / 1e6);
    }
    r.add("bounced", bounced);
    r.add("generator_cpu_s", own_cpu);
    r.add("server_cpu_s", server_cpu);
    const auto stanzas = room_delivered + chat.unique;
    r.add("server_cpu_us_per_delivered_stanza",
          stanzas ? server_cpu * 1e6 / double(stanzas) : 0.0);
    r.add("dropped_connections", pool.dropped());
    if (unknown) r.add("unknown_room_messages", unknown);
    if (foreign) r.add("foreign_messages", foreign);
    return r;
}

}  // namespace bench
