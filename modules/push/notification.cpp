#include "notification.hpp"

#include <array>
#include <string_view>

namespace starling::push {

std::string form_type(const xml::Element& form) {
    for (const auto* field : form.child_elements())
        if (field->name() == "field" && field->attr("var") == "FORM_TYPE")
            return field->child_text("value");
    return "";
}

bool wakes_device(const Stanza& message) {
    const auto type = message.type();
    if (type != "" && type != "normal" && type != "chat") return false;
    if (message.element().child("body", ns_client)) return true;
    for (const auto* child : message.element().child_elements())
        if (child->name() == "encrypted") return true;
    return false;
}

namespace {

void add_field(xml::Element& form, std::string_view var, std::string_view value) {
    auto& field = form.add_child("field", ns_data);
    field.set_attr("var", var);
    field.add_child("value", ns_data).add_text(value);
}

}  // namespace

xml::ElementPtr make_publish(const std::string& user_bare, const std::string& service,
                             const std::string& node, const Summary& summary,
                             const xml::Element* options) {
    auto iq = xml::make_element("iq", std::string(ns_client));
    iq->set_attr("type", "set");
    iq->set_attr("from", user_bare);
    iq->set_attr("to", service);
    auto& pubsub = iq->add_child("pubsub", ns_pubsub);
    auto& publish = pubsub.add_child("publish", ns_pubsub);
    publish.set_attr("node", node);
    auto& notification = publish.add_child("item", ns_pubsub).add_child("notification", ns_push);
    auto& form = notification.add_child("x", ns_data);
    form.set_attr("type", "submit");
    add_field(form, "FORM_TYPE", form_summary);
    add_field(form, "message-count", std::to_string(summary.message_count));
    if (!summary.last_sender.empty()) add_field(form, "last-message-sender", summary.last_sender);
    if (options) {
        auto copy = options->clone();
        copy->set_attr("type", "submit");
        pubsub.add_child("publish-options", ns_pubsub).add_child(std::move(copy));
    }
    return iq;
}

ErrorVerdict judge_error(const Stanza& error, std::string& condition) {
    const xml::Element* element = error.element().child("error");
    condition.clear();
    if (!element) return ErrorVerdict::disable;  // an error with no detail is still a refusal
    for (const auto* child : element->child_elements())
        if (child->xmlns() == ns_stanzas && child->name() != "text") condition = child->name();
    static constexpr std::array<std::string_view, 3> unreachable = {
        "remote-server-not-found", "remote-server-timeout", "service-unavailable"};
    for (const auto name : unreachable)
        if (condition == name) return ErrorVerdict::keep;
    const auto type = element->attr("type");
    return type == "cancel" || type == "auth" ? ErrorVerdict::disable : ErrorVerdict::keep;
}

}  // namespace starling::push
