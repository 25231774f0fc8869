#pragma once
// One XEP-0030 answer that several modules build together. mod_disco makes a DiscoReply for each
// disco#info or disco#items request to the host or an account, adds what the host declared
// (identities, features) and hands the reply to every contributor registered for that target
// and kind (Host::add_disco_contributor). A contributor adds what it knows, now or later from a
// database callback that holds the reply; the answer goes out when the last holder lets go.
// So mod_pep adds an account's nodes and mod_admin_adhoc its commands without either replacing
// the other's handler, or mod_disco's.
//
// A request for a node is answered only if some contributor claims the node (claim_node()):
// a node nobody knows is <item-not-found/>. Any contributor may fail the whole answer instead.

#include "core/host.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace starling {

class DiscoReply {
public:
    using Kind = DiscoKind;

    DiscoReply(Kind kind, IqTarget target, const StanzaEvent& request);
    ~DiscoReply();
    DiscoReply(const DiscoReply&) = delete;
    DiscoReply& operator=(const DiscoReply&) = delete;

    Kind kind() const { return kind_; }
    IqTarget target() const { return target_; }
    /// The request: who asks (request().stanza->from(), origin) and whom (its 'to').
    const StanzaEvent& request() const { return request_; }
    /// The node asked about; empty for the entity itself.
    const std::string& node() const { return node_; }

    // Each of these may be called from any thread until the reply is sent.
    void add_identity(Identity identity);
    void add_feature(std::string var);
    /// A XEP-0128 extended-information form (`<x xmlns='jabber:x:data' type='result'>`).
    void add_form(xml::ElementPtr form);
    void add_item(std::string jid, std::string node = {}, std::string name = {});
    /// This contributor knows the node asked about.
    void claim_node();
    /// Answers the request with this error instead (the first failure wins).
    void fail(std::string type, std::string condition);

private:
    Kind kind_;
    IqTarget target_;
    StanzaEvent request_;
    std::string node_;

    std::mutex mutex_;
    std::vector<Identity> identities_;
    std::vector<std::string> features_;
    std::vector<xml::ElementPtr> forms_;
    struct Item {
        std::string jid, node, name;
    };
    std::vector<Item> items_;
    bool claimed_ = false;
    std::optional<std::pair<std::string, std::string>> error_;
};

using DiscoReplyPtr = std::shared_ptr<DiscoReply>;

}  // namespace starling
