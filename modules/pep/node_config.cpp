#include "node_config.hpp"

#include <charconv>
#include <sstream>

namespace starling::pep {

namespace {

const char* flag(bool value) {
    return value ? "1" : "0";
}

std::optional<std::int64_t> parse_max_items(const std::string& text, std::int64_t limit) {
    if (text == "max") return 0;
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > limit)
        return std::nullopt;
    return value;
}

bool* boolean_field(NodeConfig& config, const std::string& var) {
    if (var == "pubsub#persist_items") return &config.persist_items;
    if (var == "pubsub#notify_retract") return &config.notify_retract;
    if (var == "pubsub#notify_delete") return &config.notify_delete;
    if (var == "pubsub#deliver_notifications") return &config.deliver_notifications;
    if (var == "pubsub#deliver_payloads") return &config.deliver_payloads;
    return nullptr;
}

}  // namespace

std::string serialize(const NodeConfig& c) {
    std::ostringstream out;
    out << "access_model=" << c.access_model << "\n"
        << "max_items=" << (c.max_items == 0 ? std::string("max") : std::to_string(c.max_items))
        << "\n"
        << "persist_items=" << flag(c.persist_items) << "\n"
        << "notify_retract=" << flag(c.notify_retract) << "\n"
        << "notify_delete=" << flag(c.notify_delete) << "\n"
        << "deliver_notifications=" << flag(c.deliver_notifications) << "\n"
        << "deliver_payloads=" << flag(c.deliver_payloads) << "\n"
        << "send_last_published_item=" << c.send_last_published_item << "\n"
        << "title=" << c.title << "\n";
    return out.str();
}

NodeConfig parse_config(const std::string& text) {
    NodeConfig c;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = line.substr(0, eq);
        const std::string value = line.substr(eq + 1);
        if (key == "access_model")
            c.access_model = value;
        else if (key == "max_items")
            c.max_items = value == "max" ? 0 : std::stoll(value);
        else if (key == "send_last_published_item")
            c.send_last_published_item = value;
        else if (key == "title")
            c.title = value;
        else if (bool* b = boolean_field(c, "pubsub#" + key))
            *b = value == "1";
    }
    return c;
}

std::optional<FormError> apply(const xml::SubmittedForm& form, NodeConfig& config,
                               std::int64_t limit) {
    for (const auto& [var, values] : form.values) {
        const std::string value = values.empty() ? std::string() : values.front();
        if (var == "pubsub#access_model") {
            if (value != "presence" && value != "open" && value != "whitelist")
                return FormError{var, false};
            config.access_model = value;
        } else if (var == "pubsub#max_items") {
            const auto max = parse_max_items(value, limit);
            if (!max) return FormError{var, false};
            config.max_items = *max;
        } else if (var == "pubsub#send_last_published_item") {
            if (value != "never" && value != "on_sub" && value != "on_sub_and_presence")
                return FormError{var, false};
            config.send_last_published_item = value;
        } else if (var == "pubsub#title") {
            if (value.find('\n') != std::string::npos) return FormError{var, false};
            config.title = value;
        } else if (bool* b = boolean_field(config, var)) {
            const auto parsed = xml::form_boolean(value);
            if (!parsed) return FormError{var, false};
            *b = *parsed;
        } else {
            return FormError{var, true};
        }
    }
    return std::nullopt;
}

bool matches(const xml::SubmittedForm& form, const NodeConfig& config) {
    // Apply the fields to a copy and compare: a field that changes nothing is a met precondition,
    // whatever spelling of its value it used ("1" or "true").
    NodeConfig wanted = config;
    if (apply(form, wanted, INT64_MAX)) return false;
    return serialize(wanted) == serialize(config);
}

xml::ElementPtr config_form(const NodeConfig& c) {
    auto x = xml::make_element("x", xml::ns_data);
    x->set_attr("type", "form");
    auto add = [&x](const char* var, const char* type, const std::string& value) -> xml::Element& {
        auto& field = x->add_child("field");
        field.set_attr("var", var);
        field.set_attr("type", type);
        field.add_child("value").add_text(value);
        return field;
    };
    add("FORM_TYPE", "hidden", form_node_config);
    auto& access = add("pubsub#access_model", "list-single", c.access_model);
    for (const char* model : {"open", "presence", "whitelist"})
        access.add_child("option").add_child("value").add_text(model);
    add("pubsub#max_items", "text-single",
        c.max_items == 0 ? std::string("max") : std::to_string(c.max_items));
    add("pubsub#persist_items", "boolean", flag(c.persist_items));
    add("pubsub#notify_retract", "boolean", flag(c.notify_retract));
    add("pubsub#notify_delete", "boolean", flag(c.notify_delete));
    add("pubsub#deliver_notifications", "boolean", flag(c.deliver_notifications));
    add("pubsub#deliver_payloads", "boolean", flag(c.deliver_payloads));
    auto& last = add("pubsub#send_last_published_item", "list-single", c.send_last_published_item);
    for (const char* when : {"never", "on_sub", "on_sub_and_presence"})
        last.add_child("option").add_child("value").add_text(when);
    add("pubsub#title", "text-single", c.title);
    return x;
}

}  // namespace starling::pep
