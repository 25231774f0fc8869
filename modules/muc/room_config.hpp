#pragma once
// A room's configuration (XEP-0045 §10.2, the muc#roomconfig form): its defaults, the form an
// owner fills in, how a submitted form changes it, and the disco features that follow from it.
// It is stored as the form itself (storage::MucStore), read back by the same code.

#include "xml/data_form.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace starling::muc {

inline constexpr const char* form_roomconfig = "http://jabber.org/protocol/muc#roomconfig";

struct RoomConfig {
    std::string name;
    std::string description;
    bool persistent = false;
    bool public_room = true;
    bool members_only = false;
    bool moderated = false;
    std::string password;  // empty: none
    std::int64_t max_occupants = 0;  // 0: the service's limit
    std::string whois = "moderators";  // moderators (semi-anonymous) or anyone (non-anonymous)
    std::int64_t history_length = 20;
    std::string allow_pm = "anyone";  // anyone, participants, moderators or none
    bool change_subject = false;      // occupants may change the subject, not only moderators
    bool allow_invites = false;       // occupants may invite, not only admins and owners
    bool logging = false;             // the room's archive (XEP-0313), public logs
    std::string language;

    bool non_anonymous() const { return whois == "anyone"; }
};

/// The service-wide bounds a configuration must keep.
struct ConfigLimits {
    std::int64_t max_occupants = 1000;
    std::int64_t max_history = 50;
};

/// The form an owner fills in (type 'form'), showing `config`.
xml::ElementPtr config_form(const RoomConfig& config, const ConfigLimits& limits);
/// The configuration as a submitted form, to store.
xml::ElementPtr stored_form(const RoomConfig& config);

/// A submitted field that could not be applied: its var.
struct ConfigError {
    std::string field;
};
/// Applies a submitted muc#roomconfig form (fields it lacks keep their values); the first field
/// whose value is invalid is returned and `config` is left as it was.
std::optional<ConfigError> apply(const xml::SubmittedForm& form, RoomConfig& config,
                                 const ConfigLimits& limits);

/// The room's disco#info features (XEP-0045 §6.4) for this configuration.
std::vector<std::string> config_features(const RoomConfig& config);

}  // namespace starling::muc
