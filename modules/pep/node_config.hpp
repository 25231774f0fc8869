#pragma once
// A PEP node's configuration (XEP-0060 §16.4.4 pubsub#node_config, the subset PEP needs), how it
// is kept in the store, and how the forms that carry it are read: the owner's configure form and
// XEP-0223 publish-options, whose fields are preconditions on an existing node.

#include "xml/data_form.hpp"
#include "xml/element.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace starling::pep {

inline constexpr const char* ns_pubsub = "http://jabber.org/protocol/pubsub";
inline constexpr const char* ns_owner = "http://jabber.org/protocol/pubsub#owner";
inline constexpr const char* ns_event = "http://jabber.org/protocol/pubsub#event";
inline constexpr const char* ns_errors = "http://jabber.org/protocol/pubsub#errors";
inline constexpr const char* form_node_config = "http://jabber.org/protocol/pubsub#node_config";
inline constexpr const char* form_publish_options =
    "http://jabber.org/protocol/pubsub#publish-options";

struct NodeConfig {
    std::string access_model = "presence";  // presence, open or whitelist
    std::int64_t max_items = 1;             // 0 stands for "max", the module's limit
    bool persist_items = true;
    bool notify_retract = true;
    bool notify_delete = true;
    bool deliver_notifications = true;
    bool deliver_payloads = true;
    std::string send_last_published_item = "on_sub_and_presence";
    std::string title;

    /// The items a node keeps: max_items, or `limit` for "max".
    std::int64_t item_limit(std::int64_t limit) const { return max_items == 0 ? limit : max_items; }
};

/// The store's text for a configuration ("key=value" lines), and back (unknown keys ignored).
std::string serialize(const NodeConfig& config);
NodeConfig parse_config(const std::string& text);

/// What went wrong applying a form: the field, and whether it was unknown or its value invalid.
struct FormError {
    std::string field;
    bool unknown = false;
};

/// Applies the fields to `config`; `limit` bounds pubsub#max_items. Returns the first bad field.
std::optional<FormError> apply(const xml::SubmittedForm& form, NodeConfig& config,
                               std::int64_t limit);

/// True when each field's value equals the node's configuration (XEP-0060 §7.1.5 preconditions);
/// the fields were validated by apply() first.
bool matches(const xml::SubmittedForm& form, const NodeConfig& config);

/// The pubsub#node_config form (type form) describing `config`.
xml::ElementPtr config_form(const NodeConfig& config);

}  // namespace starling::pep
