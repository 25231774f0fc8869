#pragma once
// Multi-user chat (XEP-0045): each service's persistent rooms (configuration form and subject)
// and their affiliations. Temporary rooms live in memory only.

#include "storage/database.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace starling::storage {

struct StoredRoom {
    std::string config;  // the muc#roomconfig form, XML text
    std::string subject;
    std::string subject_by;  // the nick that set it
    std::map<std::string, std::string> affiliations;  // bare JID -> owner, admin, member, outcast
};

class MucStore {
public:
    explicit MucStore(Database& db) : db_(db) {}

    /// The room with its affiliations, or nullopt when it is not stored.
    void load(const std::string& service, const std::string& room,
              std::function<void(bool ok, std::optional<StoredRoom> stored)> done);
    /// Writes the room whole (configuration, subject, affiliations), replacing what was stored.
    void save(const std::string& service, const std::string& room, const StoredRoom& stored,
              Callback done);
    /// Sets or, with an empty affiliation, removes one JID's affiliation of a stored room.
    void set_affiliation(const std::string& service, const std::string& room,
                         const std::string& jid, const std::string& affiliation, Callback done);
    void set_subject(const std::string& service, const std::string& room,
                     const std::string& subject, const std::string& by, Callback done);
    /// Forgets the room, its affiliations and its archive (a room made later under the same
    /// name must not show what was said in this one).
    void remove(const std::string& service, const std::string& room, Callback done);
    /// Every stored room of the service with its configuration, sorted by name.
    void list(const std::string& service,
              std::function<void(bool ok, std::vector<std::pair<std::string, std::string>>)> done);

    /// The service's secret (made by the first call and kept), or "" when the database failed.
    /// Waits for the database: for a module's load() only.
    std::string secret_sync(const std::string& service, const std::string& fresh);

private:
    Database& db_;
};

}  // namespace starling::storage
