#pragma once
// One client stream's XEP-0198 state: counts both ways, the queue of stanzas the client has not
// acknowledged, and the timers. It is a stream extension (core/client_stream.hpp), so it lives on
// the stream's thread and moves, whole, to the stream that resumes the session.

#include "core/client_stream.hpp"
#include "core/host.hpp"
#include "core/metrics.hpp"
#include "stream/handled_counter.hpp"
#include "stream/stream_namespaces.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace starling {
class Server;
}

namespace starling::smacks {

struct Settings {
    std::int64_t resume_timeout;  // seconds
    std::int64_t ack_timeout;     // seconds; 0: never
    std::size_t max_unacked;
};

class SmStream;

/// The resumable sessions of a host, by stream-management id; any thread.
class Registry {
public:
    struct Entry {
        std::string account;  // bare JID
        std::weak_ptr<SmStream> stream;
        std::weak_ptr<Session> session;
    };
    void put(const std::string& id, Entry entry);
    std::optional<Entry> find(const std::string& id) const;
    void set_session(const std::string& id, const SessionPtr& session);
    /// Removes `id` if it still belongs to `stream`, remembering the client's handled count so
    /// that a late <resume/> learns it in <failed h='…'/> (XEP-0198 §5).
    void remove(const std::string& id, const SmStream* stream, std::uint32_t h);
    /// The handled count of an ended session of `account`, if it is still remembered.
    std::optional<std::uint32_t> ended_h(const std::string& id, const std::string& account) const;

private:
    // Ended sessions remembered for their h, oldest first, at most this many.
    static constexpr std::size_t max_ended = 10000;

    mutable std::mutex mutex_;
    std::map<std::string, Entry> entries_;
    std::map<std::string, std::pair<std::string, std::uint32_t>> ended_;  // id -> account, h
    std::deque<std::string> ended_order_;
};

/// What the module shares with every stream of its host.
struct Module {
    Server& server;
    Host& host;
    Settings settings;
    Counter& resumed;  // sessions resumed (<resumed/> sent)
    Registry registry;
};

class SmStream final : public StreamExtension, public std::enable_shared_from_this<SmStream> {
public:
    SmStream(std::shared_ptr<Module> module, ClientStream& stream);

    void on_nonza(ClientStream& stream, const xml::Element& element) override;
    std::shared_ptr<const void> on_inbound(ClientStream& stream, const xml::Element&) override;
    Outbound on_outbound(ClientStream& stream, const StanzaPtr& stanza) override;
    bool has_room(const ClientStream& stream) const override;
    bool on_connection_lost(ClientStream& stream) override;
    void on_detach(ClientStream& stream) override;
    void on_session_end(ClientStream& stream) override;

    /// A receipt was released: the client's stanza `seq` is handled. Any thread.
    void finished(std::uint64_t seq);

private:
    void enable(ClientStream& stream, const xml::Element& element);
    void resume(ClientStream& stream, const xml::Element& element);
    /// On the new stream, once the session moved there: <resumed/> and the resend.
    void complete_resume(ClientStream& stream, std::uint32_t h);
    void acknowledged(ClientStream& stream, const xml::Element& element);
    void answer_request(ClientStream& stream);
    void send_ack(ClientStream& stream);
    /// Takes the acknowledged stanzas off the queue; false if `h` acknowledges more than sent.
    bool take_acknowledged(std::uint32_t h);
    void schedule_request(ClientStream& stream);
    void overflowed(ClientStream& stream);
    void dispose_unacked();
    void failed(ClientStream& stream, std::string_view condition, bool with_h);
    void failed(ClientStream& stream, std::string_view condition, std::optional<std::uint32_t> h);
    /// Runs `fn` on the current stream's thread, unless the state moved meanwhile.
    void on_stream_thread(std::function<void(ClientStream&)> fn);

    std::shared_ptr<Module> module_;
    ClientStream* stream_;  // the stream this state lives on (changes on resumption)

    bool enabled_ = false;
    bool resumable_ = false;
    bool hibernated_ = false;
    std::string id_;

    // Inbound: receipts are released on any thread.
    std::mutex mutex_;  // counter_, answer_*, stream_, session_, detached_
    HandledCounter counter_;
    bool answer_pending_ = false;
    std::uint64_t answer_at_ = 0;
    std::weak_ptr<Session> session_;
    bool detached_ = false;

    // Outbound, on the stream's thread.
    std::deque<StanzaPtr> unacked_;
    std::uint32_t acked_h_ = 0;  // the client's last h
    std::uint64_t sent_ = 0;     // stanzas sent since enable
    bool request_outstanding_ = false;
    bool request_scheduled_ = false;
    std::shared_ptr<void> ack_timer_;
    std::shared_ptr<void> resume_timer_;
};

}  // namespace starling::smacks
