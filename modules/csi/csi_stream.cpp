// XEP-0352 on one stream: <inactive/> and <active/>, holding and flushing.

#include "csi_stream.hpp"

#include "core/router.hpp"
#include "core/server.hpp"

namespace starling::csi {
void CsiStream::on_nonza(ClientStream& stream, const xml::Element& element) {
    if (element.name() == "inactive") {
        inactive_ = true;
        return;
    }
    if (element.name() == "active") {
        inactive_ = false;
        return flush(stream);
    }
    stream.stream_error("unsupported-stanza-type", "unknown client state element");
}

Outbound CsiStream::on_outbound(ClientStream& stream, const StanzaPtr& stanza) {
    if (!inactive_) return Outbound::pass;
    if (urgent(*stanza)) {
        // What was held came first: it goes first, then this one.
        flush(stream);
        return Outbound::pass;
    }
    hold(stanza);
    // A client inactive for very long must not hold the server's memory: what is held then
    // goes out, as if it had become active for a moment.
    if (count_ > max_held_) flush(stream);
    return Outbound::hold;
}

void CsiStream::hold(const StanzaPtr& stanza) {
    if (stanza->is_presence()) {
        // The newest presence of each sender (full JID) is all the client needs.
        const auto from = stanza->from().str();
        if (auto it = presence_at_.find(from); it != presence_at_.end()) {
            held_[it->second] = nullptr;
            --count_;
        }
        presence_at_[from] = held_.size();
    }
    held_.push_back(stanza);
    ++count_;
}

void CsiStream::flush(ClientStream& stream) {
    auto held = std::move(held_);
    held_.clear();
    presence_at_.clear();
    count_ = 0;
    for (auto& stanza : held)
        if (stanza) stream.pass_on(std::move(stanza), this, false);
}

void CsiStream::on_resumed(ClientStream& stream) {
    // A resumed stream starts active, as every new stream does (XEP-0352 §4); the client says
    // again if it is not.
    inactive_ = false;
    flush(stream);
}

void CsiStream::on_session_end(ClientStream& stream) {
    // Held stanzas go where a session's undelivered stanzas go: messages to offline storage.
    auto held = std::move(held_);
    held_.clear();
    presence_at_.clear();
    count_ = 0;
    for (auto& stanza : held)
        if (stanza) server_.router().undeliverable(stream.host(), std::move(stanza));
}

}  // namespace starling::csi
