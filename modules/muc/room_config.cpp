#include "room_config.hpp"

namespace starling::muc {

namespace {

std::string flag(bool value) { return value ? "1" : "0"; }

}  // namespace

xml::ElementPtr config_form(const RoomConfig& config, const ConfigLimits& limits) {
    xml::FormBuilder form("form", form_roomconfig, "Room configuration");
    form.field("muc#roomconfig_roomname", "text-single", "Name", {config.name});
    form.field("muc#roomconfig_roomdesc", "text-single", "Description", {config.description});
    form.field("muc#roomconfig_lang", "text-single", "Language", {config.language});
    form.field("muc#roomconfig_persistentroom", "boolean", "Keep the room when it is empty",
               {flag(config.persistent)});
    form.field("muc#roomconfig_publicroom", "boolean", "List the room publicly",
               {flag(config.public_room)});
    form.field("muc#roomconfig_membersonly", "boolean", "Only members may join",
               {flag(config.members_only)});
    form.field("muc#roomconfig_moderatedroom", "boolean", "Only occupants with voice may speak",
               {flag(config.moderated)});
    form.field("muc#roomconfig_passwordprotectedroom", "boolean", "A password is needed to join",
               {flag(!config.password.empty())});
    form.field("muc#roomconfig_roomsecret", "text-private", "Password", {config.password});
    form.field("muc#roomconfig_maxusers", "text-single",
               "Most occupants (up to " + std::to_string(limits.max_occupants) + ")",
               {std::to_string(config.max_occupants > 0 ? config.max_occupants
                                                        : limits.max_occupants)});
    form.field("muc#roomconfig_whois", "list-single", "Who may see occupants' real addresses",
               {config.whois}, {{"Moderators", "moderators"}, {"Anyone", "anyone"}});
    form.field("muc#maxhistoryfetch", "text-single",
               "Messages of history sent to a new occupant (up to " +
                   std::to_string(limits.max_history) + ")",
               {std::to_string(config.history_length)});
    form.field("muc#roomconfig_allowpm", "list-single", "Who may send private messages",
               {config.allow_pm},
               {{"Anyone", "anyone"},
                {"Participants", "participants"},
                {"Moderators", "moderators"},
                {"Nobody", "none"}});
    form.field("muc#roomconfig_changesubject", "boolean", "Occupants may change the subject",
               {flag(config.change_subject)});
    form.field("muc#roomconfig_allowinvites", "boolean", "Occupants may invite others",
               {flag(config.allow_invites)});
    form.field("muc#roomconfig_enablelogging", "boolean", "Archive the room's messages",
               {flag(config.logging)});
    return form.take();
}

xml::ElementPtr stored_form(const RoomConfig& config) {
    xml::FormBuilder form("submit", form_roomconfig);
    form.field("muc#roomconfig_roomname", {}, {}, {config.name});
    form.field("muc#roomconfig_roomdesc", {}, {}, {config.description});
    form.field("muc#roomconfig_lang", {}, {}, {config.language});
    form.field("muc#roomconfig_persistentroom", {}, {}, {flag(config.persistent)});
    form.field("muc#roomconfig_publicroom", {}, {}, {flag(config.public_room)});
    form.field("muc#roomconfig_membersonly", {}, {}, {flag(config.members_only)});
    form.field("muc#roomconfig_moderatedroom", {}, {}, {flag(config.moderated)});
    form.field("muc#roomconfig_passwordprotectedroom", {}, {}, {flag(!config.password.empty())});
    form.field("muc#roomconfig_roomsecret", {}, {}, {config.password});
    // No field for "the service's limit": the room follows that limit as it changes.
    if (config.max_occupants > 0)
        form.field("muc#roomconfig_maxusers", {}, {}, {std::to_string(config.max_occupants)});
    form.field("muc#roomconfig_whois", {}, {}, {config.whois});
    form.field("muc#maxhistoryfetch", {}, {}, {std::to_string(config.history_length)});
    form.field("muc#roomconfig_allowpm", {}, {}, {config.allow_pm});
    form.field("muc#roomconfig_changesubject", {}, {}, {flag(config.change_subject)});
    form.field("muc#roomconfig_allowinvites", {}, {}, {flag(config.allow_invites)});
    form.field("muc#roomconfig_enablelogging", {}, {}, {flag(config.logging)});
    return form.take();
}

namespace {

std::optional<std::int64_t> parse_count(const std::string& text, std::int64_t max) {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const std::int64_t value = std::stoll(text);
    if (value > max) return std::nullopt;
    return value;
}

}  // namespace

std::optional<ConfigError> apply(const xml::SubmittedForm& form, RoomConfig& config,
                                 const ConfigLimits& limits) {
    RoomConfig next = config;
    bool password_protected = !config.password.empty();
    for (const auto& [var, values] : form.values) {
        const std::string value = values.empty() ? std::string() : values.front();
        auto boolean = [&](bool& out) {
            const auto parsed = xml::form_boolean(value);
            if (!parsed) return false;
            out = *parsed;
            return true;
        };
        bool ok = true;
        if (var == "muc#roomconfig_roomname") next.name = value;
        else if (var == "muc#roomconfig_roomdesc") next.description = value;
        else if (var == "muc#roomconfig_lang") next.language = value;
        else if (var == "muc#roomconfig_persistentroom") ok = boolean(next.persistent);
        else if (var == "muc#roomconfig_publicroom") ok = boolean(next.public_room);
        else if (var == "muc#roomconfig_membersonly") ok = boolean(next.members_only);
        else if (var == "muc#roomconfig_moderatedroom") ok = boolean(next.moderated);
        else if (var == "muc#roomconfig_passwordprotectedroom") ok = boolean(password_protected);
        else if (var == "muc#roomconfig_roomsecret") next.password = value;
        else if (var == "muc#roomconfig_changesubject") ok = boolean(next.change_subject);
        else if (var == "muc#roomconfig_allowinvites") ok = boolean(next.allow_invites);
        else if (var == "muc#roomconfig_enablelogging") ok = boolean(next.logging);
        else if (var == "muc#roomconfig_maxusers") {
            // "none" is how several clients ask for no limit but the service's.
            if (value == "none" || value.empty()) next.max_occupants = 0;
            else if (auto n = parse_count(value, limits.max_occupants); n && *n > 0)
                next.max_occupants = *n;
            else ok = false;
        } else if (var == "muc#maxhistoryfetch" || var == "muc#roomconfig_historylength") {
            if (auto n = parse_count(value, limits.max_history)) next.history_length = *n;
            else ok = false;
        } else if (var == "muc#roomconfig_whois") {
            ok = value == "moderators" || value == "anyone";
            if (ok) next.whois = value;
        } else if (var == "muc#roomconfig_allowpm") {
            ok = value == "anyone" || value == "participants" || value == "moderators" ||
                 value == "none";
            if (ok) next.allow_pm = value;
        }
        // Fields this service does not offer (another server's, a newer XEP's) are ignored, as
        // XEP-0045 §10.2 lets a service do.
        if (!ok) return ConfigError{var};
    }
    // A client that sends only the password means a protected room.
    if (!form.has("muc#roomconfig_passwordprotectedroom") && form.has("muc#roomconfig_roomsecret"))
        password_protected = !next.password.empty();
    if (!password_protected) next.password.clear();
    // A password-protected room with no password would let nobody in: refused.
    if (password_protected && next.password.empty())
        return ConfigError{"muc#roomconfig_roomsecret"};
    config = std::move(next);
    return std::nullopt;
}

std::vector<std::string> config_features(const RoomConfig& config) {
    return {
        config.persistent ? "muc_persistent" : "muc_temporary",
        config.public_room ? "muc_public" : "muc_hidden",
        config.members_only ? "muc_membersonly" : "muc_open",
        config.moderated ? "muc_moderated" : "muc_unmoderated",
        config.non_anonymous() ? "muc_nonanonymous" : "muc_semianonymous",
        config.password.empty() ? "muc_unsecured" : "muc_passwordprotected",
    };
}

}  // namespace starling::muc
