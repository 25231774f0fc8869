#include "core/disco.hpp"

#include "core/server.hpp"

#include <algorithm>

namespace starling {

namespace {
constexpr const char* ns_info = "http://jabber.org/protocol/disco#info";
constexpr const char* ns_items = "http://jabber.org/protocol/disco#items";
}  // namespace

DiscoReply::DiscoReply(Kind kind, IqTarget target, const StanzaEvent& request)
    : kind_(kind),
      target_(target),
      request_(request),
      node_(request.stanza->element().first_child_element()->attr("node")) {}

void DiscoReply::add_identity(Identity identity) {
    std::lock_guard lock(mutex_);
    identities_.push_back(std::move(identity));
}

void DiscoReply::add_feature(std::string var) {
    std::lock_guard lock(mutex_);
    features_.push_back(std::move(var));
}

void DiscoReply::add_form(xml::ElementPtr form) {
    std::lock_guard lock(mutex_);
    forms_.push_back(std::move(form));
}

void DiscoReply::add_item(std::string jid, std::string node, std::string name) {
    std::lock_guard lock(mutex_);
    items_.push_back({std::move(jid), std::move(node), std::move(name)});
}

void DiscoReply::claim_node() {
    std::lock_guard lock(mutex_);
    claimed_ = true;
}

void DiscoReply::fail(std::string type, std::string condition) {
    std::lock_guard lock(mutex_);
    if (!error_) error_.emplace(std::move(type), std::move(condition));
}

DiscoReply::~DiscoReply() {
    // Runs once, where the last contributor let go; nothing can add to it any more.
    auto& router = request_.host.server().router();
    const auto& request = *request_.stanza;
    if (error_) {
        router.bounce(request_.origin, request, error_->first, error_->second);
        return;
    }
    if (!node_.empty() && !claimed_) {
        router.bounce(request_.origin, request, "cancel", "item-not-found");
        return;
    }

    auto query = xml::make_element("query", kind_ == DiscoKind::info ? ns_info : ns_items);
    if (!node_.empty()) query->set_attr("node", node_);
    if (kind_ == DiscoKind::info) {
        // XEP-0030 §3.1 and XEP-0115 §5.1: each identity and feature once; sorted, so that the
        // same entity always answers the same way.
        std::sort(identities_.begin(), identities_.end());
        identities_.erase(std::unique(identities_.begin(), identities_.end()), identities_.end());
        std::sort(features_.begin(), features_.end());
        features_.erase(std::unique(features_.begin(), features_.end()), features_.end());
        for (const auto& id : identities_) {
            auto& e = query->add_child("identity");
            e.set_attr("category", id.category);
            e.set_attr("type", id.type);
            if (!id.name.empty()) e.set_attr("name", id.name);
        }
        for (const auto& var : features_) query->add_child("feature").set_attr("var", var);
        for (auto& form : forms_) query->add_child(std::move(form));
    } else {
        for (const auto& item : items_) {
            auto& e = query->add_child("item");
            e.set_attr("jid", item.jid);
            if (!item.node.empty()) e.set_attr("node", item.node);
            if (!item.name.empty()) e.set_attr("name", item.name);
        }
    }
    router.route(nullptr, make_iq_result(request, std::move(query)));
}

}  // namespace starling
